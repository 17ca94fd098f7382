"""Training on two processes with DistributedDataParallel (Gloo on the CPU), and the image-folder path."""
import os
import socket
import subprocess
import sys

import pytest
import torch
import torch.multiprocessing as mp
from torch.utils.data import TensorDataset

from resnet_lab.training import distributed
from resnet_lab.data import Images
from resnet_lab.training.history import History
from resnet_lab.models import get_model
from resnet_lab.config import Recipe
from resnet_lab.training import CHECKPOINT, HISTORY, epoch_generator, evaluate, load_checkpoint, train

WORLD = 2
SERIES = ("iter_loss", "iter_error", "epoch", "epoch_iteration", "train_loss", "train_error", "eval_loss",
          "eval_error", "lr")


def tiny_images():
    g = torch.Generator().manual_seed(0)
    train_set = Images(torch.randint(0, 256, (64, 3, 32, 32), generator=g, dtype=torch.uint8), torch.arange(64) % 10)
    test_set = Images(torch.randint(0, 256, (30, 3, 32, 32), generator=g, dtype=torch.uint8), torch.arange(30) % 10)
    return train_set, test_set


def small_model(seed=0):
    torch.manual_seed(seed)
    return get_model("resnet8", width=4)


def config(**changes):
    values = dict(epochs=3, batch_size=16, milestones=(0.5,), precision="fp32", eval_batch_size=8)
    values.update(changes)
    return Recipe(**values)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def interrupt_at(stop):
    def on_batch(iteration, indices):
        if iteration == stop:
            raise KeyboardInterrupt
    return on_batch


def _worker(rank, port, folder):
    """One of the two processes: what torchrun would start, with the environment torchrun would set."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE=str(WORLD), RANK=str(rank),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    train_set, test_set = tiny_images()
    record = {}
    with distributed.process_group("cpu") as context:
        record["context"] = (context.rank, context.world_size, str(context.device), distributed.is_distributed())
        seen, hooked = [], set()
        model = small_model()
        history = train(model, train_set, test_set, config(), out=folder / f"run-rank{rank}", progress=False,
                        on_batch=lambda i, idx: seen.append((i, idx.tolist())),
                        after_backward=lambda i, m: hooked.add(type(m).__name__))
        record.update(seen=seen, hooked=sorted(hooked), history=history.to_dict(),
                      weights={k: v.clone() for k, v in model.state_dict().items()})
        try:
            train(small_model(), train_set, test_set, config(batch_size=15), progress=False)
        except ValueError as err:
            record["batch_error"] = str(err)
        shared = folder / "shared"
        partial = train(small_model(), train_set, test_set, config(), out=shared, progress=False,
                        on_batch=interrupt_at(6))  # in the middle of epoch 2, on both ranks
        resumed = train(small_model(seed=1), train_set, test_set, config(), out=shared, resume=True, progress=False)
        record.update(partial=partial.to_dict(), resumed=resumed.to_dict())
        floats = TensorDataset(train_set.images.float() / 255, train_set.labels)  # a Dataset: the DataLoader path
        loaded, model = [], small_model()
        train(model, floats, TensorDataset(test_set.images.float() / 255, test_set.labels), config(epochs=2),
              progress=False, on_batch=lambda i, idx: loaded.append((i, idx.tolist())))
        record.update(loaded=loaded, loaded_weights=model.state_dict())
    record["after"] = distributed.is_distributed()
    torch.save(record, folder / f"rank{rank}.pt")


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ddp")
    mp.start_processes(_worker, args=(free_port(), folder), nprocs=WORLD, start_method="spawn")
    records = [torch.load(folder / f"rank{r}.pt", weights_only=False) for r in range(WORLD)]
    return folder, records


def test_ranks_join_one_gloo_group_and_leave_it(two_ranks):
    _, records = two_ranks
    assert [r["context"] for r in records] == [(0, 2, "cpu", True), (1, 2, "cpu", True)]
    assert [r["after"] for r in records] == [False, False]  # the group is destroyed on the way out


def test_both_ranks_end_with_identical_weights_and_history(two_ranks):
    _, (first, second) = two_ranks
    assert first["weights"].keys() == second["weights"].keys()
    for key, value in first["weights"].items():
        assert torch.equal(value, second["weights"][key]), key  # BatchNorm statistics included
    for key in SERIES:
        assert first["history"][key] == second["history"][key], key
    assert first["history"]["epoch_iteration"] == [4, 8, 12] and len(first["history"]["iter_loss"]) == 12
    assert first["hooked"] == second["hooked"] == ["CifarResNet"]  # after_backward gets the plain model


def test_every_example_once_per_epoch_in_the_single_process_batches(two_ranks):
    _, records = two_ranks
    batches = [dict((i, idx) for i, idx in r["seen"]) for r in records]
    assert [sorted(b) for b in batches] == [list(range(12))] * 2
    for epoch in range(3):
        order = torch.randperm(64, generator=epoch_generator(0, epoch)).tolist()
        together = []
        for step in range(4):
            i = epoch * 4 + step
            assert len(batches[0][i]) == len(batches[1][i]) == 8
            # rank 0 takes the first half of the single-process batch, rank 1 the second half
            assert batches[0][i] + batches[1][i] == order[16 * step:16 * (step + 1)]
            together += batches[0][i] + batches[1][i]
        assert sorted(together) == list(range(64)), epoch


def test_dataloader_path_shares_every_epoch_between_the_ranks(two_ranks):
    _, (first, second) = two_ranks
    for key, value in first["loaded_weights"].items():
        assert torch.equal(value, second["loaded_weights"][key]), key
    assert [i for i, _ in first["loaded"]] == [i for i, _ in second["loaded"]] == list(range(8))  # 64 / 16 x 2
    for epoch in range(2):
        mine = [sum((idx for i, idx in r["loaded"] if i // 4 == epoch), []) for r in (first, second)]
        assert len(mine[0]) == len(mine[1]) == 32 and sorted(mine[0] + mine[1]) == list(range(64)), epoch
    assert first["loaded"][0][1] != first["loaded"][4][1]  # reshuffled every epoch (set_epoch)


def test_only_rank_0_writes_and_its_checkpoint_loads_into_a_plain_model(two_ranks):
    folder, (first, _) = two_ranks
    assert sorted(p.name for p in (folder / "run-rank0").iterdir()) == [CHECKPOINT, HISTORY]
    assert not (folder / "run-rank1").exists()
    saved = History.load(folder / "run-rank0" / HISTORY)
    assert saved == History.from_dict(first["history"])
    model = small_model(seed=5)
    model.load_state_dict(load_checkpoint(folder / "run-rank0" / CHECKPOINT)["model"])  # no "module." prefix
    for key, value in model.state_dict().items():
        assert torch.equal(value, first["weights"][key]), key
    torch.set_num_threads(1)
    loss, error = evaluate(model, tiny_images()[1], 8, "cpu")  # one process, all 30 test images
    assert error == saved.eval_error[-1]
    assert loss == pytest.approx(saved.eval_loss[-1], rel=1e-5)


def test_batch_must_split_over_the_ranks(two_ranks):
    _, records = two_ranks
    for record in records:
        assert "batch_size 15 does not split evenly over 2 processes" in record["batch_error"]
        assert "multiple of 2" in record["batch_error"]


def test_interrupted_distributed_run_resumes_to_the_same_history(two_ranks):
    folder, (first, second) = two_ranks
    for record in (first, second):
        partial, resumed = History.from_dict(record["partial"]), History.from_dict(record["resumed"])
        assert partial.interrupted and partial.epoch == [1]
        assert resumed.completed and not resumed.interrupted
        for key in SERIES:
            assert getattr(resumed, key) == first["history"][key], key
    assert sorted(p.name for p in (folder / "shared").iterdir()) == [CHECKPOINT, HISTORY]


def test_single_process_helpers_without_torchrun(monkeypatch):
    for name in distributed.ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    assert not distributed.launched_by_torchrun() and distributed.rank() == 0
    t = torch.tensor([1.0, 2.0])
    assert distributed.all_reduce_sum(t) is t and t.tolist() == [1.0, 2.0]
    with distributed.process_group("cpu") as context:
        assert (context.rank, context.world_size, context.device) == (0, 1, torch.device("cpu"))
        assert not distributed.is_distributed()
    assert distributed.pick_device("cuda", local_rank=3) == torch.device("cuda", 3)


@pytest.fixture(scope="module")
def tiny_image_folder(tmp_path_factory, make_image_tree):
    """DIR/train/<class>/*.png (4 per class) and DIR/val/<class>/*.png (2 per class), 3 classes, 40 x 40 pixels."""
    return make_image_tree(tmp_path_factory.mktemp("folders"), (("train", 4), ("val", 2)),
                           classes=("cat", "dog", "fox"), size=40)


def test_image_folder_under_torchrun_through_the_cli(tiny_image_folder, tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={WORLD}",
               "-m", "resnet_lab", "train", "--model", "resnet18", "--data-format", "imagefolder",
               "--data", str(tiny_image_folder), "--epochs", "1", "--batch-size", "4", "--image-size", "32",
               "--workers", "0", "--device", "cpu", "--threads", "1", "--precision", "fp32", "--no-progress",
               "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"},
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("distributed: 2 processes, cpu (gloo)") == 1  # rank 0 alone prints
    assert "12 training images, 6 validation images, 3 classes; 0 loader workers" in done.stdout
    assert sorted(p.name for p in out.iterdir()) == [CHECKPOINT, HISTORY]
    history = History.load(out / HISTORY)
    assert history.completed and history.epoch_iteration == [3] and len(history.iter_loss) == 3  # 12 images / 4
    assert history.model == "resnet18" and history.eval_name == "validation"
    assert history.config["batch_size"] == 4 and history.config["milestones"] == pytest.approx([1 / 3, 2 / 3])
    assert 0 <= history.eval_error[0] <= 100 and history.eval_error[0] * 6 / 100 == pytest.approx(
        round(history.eval_error[0] * 6 / 100))  # a whole number of the 6 images
    model = get_model("resnet18", num_classes=3)
    model.load_state_dict(load_checkpoint(out / CHECKPOINT)["model"])


def test_image_folder_errors_say_what_to_do(tmp_path, tiny_image_folder):
    from resnet_lab.data.imagefolder import load_image_folder

    with pytest.raises(FileNotFoundError, match="DIR/train/<class>"):
        load_image_folder(tmp_path)
    (tmp_path / "train" / "cat").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="DIR/val/<class>"):
        load_image_folder(tmp_path)
    data = load_image_folder(tiny_image_folder, size=32)
    assert data.classes == ["cat", "dog", "fox"] and (len(data.train), len(data.eval)) == (12, 6)
    x, y = data.train[0]
    assert tuple(x.shape) == (3, 32, 32) and y == 0
    assert tuple(data.eval[0][0].shape) == (3, 32, 32)
