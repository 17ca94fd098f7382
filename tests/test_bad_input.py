"""Bad input and interrupted work: every path that used to end silently wrong, or in a traceback deep inside torch,
now ends in one clear message that names the offending value or file and says what to do."""
import os
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

import resnet_lab.data.cifar10 as cifar10_module
from resnet_lab import setup
from resnet_lab.config import Recipe, get_scale
from resnet_lab.data import ENV_VAR, DataFormatError, Images, data_status, load_cifar10
from resnet_lab.data import cache
from resnet_lab.models import get_model, imagenet_net_note
from resnet_lab.runs import load_trained_model, run_folder, train_or_load
from resnet_lab.runtime import THREADS_ENV_VAR, set_threads
from resnet_lab.tools import cli
from resnet_lab.training import CHECKPOINT, HISTORY, History, evaluate, train, train_step
from resnet_lab.training import checkpoint as checkpoint_module

SCALE = get_scale("smoke").replace(name="tiny", train_per_class=4, test_per_class=2, epochs=1, batch_size=20,
                                   precision="fp32")


@pytest.fixture(autouse=True)
def offline_private_cache(tmp_path, monkeypatch):
    """Every test decodes into its own cache folder, and nothing here may try the network."""
    monkeypatch.setenv("RESNET_LAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(cifar10_module, "_online", lambda *a, **k: False)


def random_data(n_train=40, n_test=20, seed=0):
    g = torch.Generator().manual_seed(seed)
    make = lambda n: Images(torch.randint(0, 256, (n, 3, 32, 32), generator=g, dtype=torch.uint8),  # noqa: E731
                            torch.arange(n) % 10)
    return SimpleNamespace(train=make(n_train), test=make(n_test), source="random images")


def recipe(**changes):
    return Recipe(**{**dict(epochs=1, batch_size=8, precision="fp32", eval_batch_size=8), **changes})


def small_net(name="resnet8", **options):
    torch.manual_seed(0)
    return get_model(name, width=4, **options) if name.startswith(("resnet8", "plain")) else get_model(name, **options)


def run_cli(capsys, *argv):
    """``python -m resnet_lab ARGV`` in this process: (exit status, stderr). SystemExit (argparse) counts too."""
    try:
        code = cli.main(list(argv))
    except SystemExit as done:
        code = done.code
    return code, capsys.readouterr().err


def never(*args, **kwargs):
    raise AssertionError("this must not be reached")


# ------------------------------------------------------------------ 3. a stale image-folder cache

def test_the_fingerprint_sees_an_image_overwritten_in_place_or_touched(tmp_path, make_image_tree):
    tree = make_image_tree(tmp_path / "tree", (("train", 1), ("test", 1)))
    image = tree / "test" / "cat" / "0000.png"
    before, stat = cache.fingerprint(tree), image.stat()
    folder_mtime = image.parent.stat().st_mtime_ns
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(image)     # other pixels, another size
    os.utime(image, ns=(stat.st_atime_ns, stat.st_mtime_ns))          # the very same modification time
    assert image.stat().st_size != stat.st_size and image.parent.stat().st_mtime_ns == folder_mtime
    overwritten = cache.fingerprint(tree)
    assert overwritten != before
    os.utime(image, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))      # touched: same bytes, 1 ns later
    assert cache.fingerprint(tree) not in (before, overwritten)
    assert len(cache.tree_entries(tree)) == 20 and cache.tree_entries(tree)[0].startswith("test/airplane/0000.png\t")


def test_an_image_overwritten_in_place_is_decoded_again(tmp_path, make_image_tree):
    tree = make_image_tree(tmp_path / "tree", (("train", 1), ("test", 1)))
    image = tree / "test" / "airplane" / "0000.png"          # the first test image
    first = load_cifar10(tree).test.images[0]
    stat = image.stat()
    Image.fromarray(np.full((32, 32, 3), 7, np.uint8)).save(image)
    os.utime(image, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    again = load_cifar10(tree).test.images[0]
    assert not torch.equal(again, first) and (again == 7).all()


def test_a_cache_file_with_foreign_arrays_is_rebuilt(tmp_path, make_image_tree):
    tree = make_image_tree(tmp_path / "tree", (("train", 1), ("test", 1)))
    target = cache.cache_file(tree)
    cache.save_arrays(target, {"something_else": np.zeros(3)})      # was: KeyError 'train_images'
    data = load_cifar10(tree)
    assert len(data.train) == 10 and "train_images" in np.load(target).files


# ------------------------------------------------------------------ 5, 6, 7, 11. the command line, before any data

def test_resume_with_nothing_to_resume_is_refused(tmp_path, capsys):
    for out in (tmp_path / "missing", tmp_path):
        code, err = run_cli(capsys, "train", "--model", "resnet20", "--data", str(tmp_path / "no-data"),
                            "--out", str(out), "--resume")
        assert code == 2
        assert err == f"error: nothing to resume in {out} (no checkpoint.pt); drop --resume to start a new run\n"
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("option, value, message", [
    ("--workers", "-1", "--workers must be a whole number >= 0 (DataLoader processes; 0 loads the images in the "
                        "training process), got -1"),
    ("--image-size", "4", "--image-size must be a whole number >= 8 (pixels), got 4"),
    ("--threads", "0", "--threads must be a whole number >= 1 (CPU threads), got 0"),
    ("--epochs", "0", "--epochs must be a whole number >= 1 (epochs), got 0"),
    ("--iterations", "-5", "--iterations must be a whole number >= 1 (SGD steps), got -5"),
    ("--lr", "nan", "--lr must be a finite number > 0, such as 0.1, got nan"),
    ("--lr", "0", "--lr must be a finite number > 0, such as 0.1, got 0.0"),
    ("--batch-size", "1", "--batch-size must be a whole number >= 2 (images; BatchNorm, in every net here, needs "
                          "at least 2 per batch), got 1"),
    ("--width", "0", "--width must be a whole number >= 1 (filters), got 0"),
    ("--warmup-epochs", "-3", "--warmup-epochs must be a finite number >= 0 (0: no warm-up), got -3.0"),
    ("--seed", "-1", "--seed must be a whole number from 0 to 2**63 - 1, got -1"),
    ("--seed", str(2**63), f"--seed must be a whole number from 0 to 2**63 - 1, got {2**63}"),
    ("--device", "gpu", "--device: unknown device 'gpu'; use 'cpu', 'cuda', 'cuda:N' or 'mps' (here: "),
])
def test_every_numeric_option_is_checked_before_data_is_loaded(tmp_path, capsys, monkeypatch, option, value,
                                                                message):
    monkeypatch.setattr(cli, "load_cifar10", never)
    out = tmp_path / "run"
    code, err = run_cli(capsys, "train", "--model", "resnet20", "--out", str(out), option, value)
    assert code == 2 and err.startswith(f"error: {message}") and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("options, message", [
    (["--width", "8"], "--width applies to the CIFAR nets of depth 6n+2 (plainN, resnetN, e.g. resnet56) only; "
                       "resnet18 has fixed widths and option-B projection shortcuts. Drop --width, or choose a 6n+2 "
                       "net."),
    (["--shortcut", "B"], "--shortcut applies to the CIFAR nets of depth 6n+2 (plainN, resnetN, e.g. resnet56) only; "
                          "resnet18 has fixed widths and option-B projection shortcuts. Drop --shortcut, or choose a "
                          "6n+2 net."),
])
def test_width_and_shortcut_are_refused_for_an_imagenet_net(tmp_path, capsys, monkeypatch, options, message):
    monkeypatch.setattr(cli, "load_cifar10", never)
    code, err = run_cli(capsys, "train", "--model", "resnet18", "--out", str(tmp_path / "run"), *options)
    assert (code, err) == (2, f"error: {message}\n")


def test_an_imagenet_net_on_cifar10_is_explained(tmp_path, capsys):
    note = imagenet_net_note("resnet50")
    assert note == ("resnet50 is the ImageNet ResNet-50 of He et al. 2015: 25,557,032 parameters and 1000 output "
                    "classes, with a stem (7x7 convolution at stride 2, then max-pooling) made for 224 x 224 images "
                    "that shrinks a 32 x 32 CIFAR-10 image to 8 x 8 before the first block. For CIFAR-10 use "
                    "resnet18_cifar or resnet50_cifar (the ImageNet nets with a CIFAR stem and 10 classes: "
                    "11,173,962 and 23,520,842 parameters), or a CIFAR net of depth 6n+2 such as resnet56 (853,018 "
                    "parameters). (plain50, by contrast, is a 6n+2 CIFAR net of 755,802 parameters, not a plain twin "
                    "of resnet50.)")
    assert "60,192,808 parameters" in imagenet_net_note("resnet152") and "plain152" in imagenet_net_note("resnet152")
    assert imagenet_net_note("resnet56") is None and imagenet_net_note("resnet50_cifar") is None
    code, err = run_cli(capsys, "train", "--model", "resnet50", "--data", str(tmp_path / "no-data"),
                        "--out", str(tmp_path / "run"))
    assert code == 2 and err.startswith(f"warning: {note}\nerror: No CIFAR-10 found at ")  # warned before loading


def test_the_model_list_explains_the_two_families(capsys, monkeypatch):
    from resnet_lab.models import registry

    assert "so ``plain50`` and ``plain152`` build CIFAR nets (0.76M and\n2.4M parameters)" in registry.__doc__
    monkeypatch.setenv("COLUMNS", "400")
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert ("Although 50 and 152 are of the form 6n+2, resnet50 and resnet152 are the ImageNet nets, while plain50 "
            "and plain152 are CIFAR nets") in help_text


@pytest.mark.parametrize("where, message", [
    ("file", "The output folder {out} is a file, not a folder; choose another output folder (--out), e.g. "
             "runs/<model>-<scale>."),
    ("under a file", "Cannot create the output folder {out}: {file} is a file, not a folder; choose another output "
                     "folder (--out), e.g. runs/<model>-<scale>."),
    ("/", "Refusing to write a run into /, a system folder (or the home folder itself); choose another output "
          "folder (--out), e.g. runs/<model>-<scale>."),
    ("/usr", "Refusing to write a run into /usr, a system folder (or the home folder itself); choose another output "
             "folder (--out), e.g. runs/<model>-<scale>."),
    ("/etc/resnet", "Refusing to write a run into /etc/resnet, a system folder (or the home folder itself); choose "
                    "another output folder (--out), e.g. runs/<model>-<scale>."),
    ("home", "Refusing to write a run into {out}, a system folder (or the home folder itself); choose another output "
             "folder (--out), e.g. runs/<model>-<scale>."),
    ("unwritable", "Cannot write to the output folder {out} (Permission denied); choose a folder you can write to "
                   "(--out)."),
])
def test_a_bad_output_folder_is_refused_before_any_data_or_training(tmp_path, capsys, monkeypatch, where, message):
    monkeypatch.setattr(cli, "load_cifar10", never)
    file = tmp_path / "a-file"
    file.write_text("not a folder")
    out = {"file": file, "under a file": file / "run", "home": tmp_path / "home",
           "unwritable": tmp_path / "locked"}.get(where, Path(where))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if where == "unwritable":   # root may write anywhere: make the probe fail as it would for a user
        monkeypatch.setattr(checkpoint_module.tempfile, "mkstemp",
                            lambda **kw: (_ for _ in ()).throw(PermissionError(13, "Permission denied")))
    code, err = run_cli(capsys, "train", "--model", "resnet20", "--out", str(out))
    assert (code, err) == (2, f"error: {message.format(out=out, file=file)}\n")


def test_train_checks_its_output_folder_before_the_first_step(tmp_path, tiny_images):
    file = tmp_path / "a-file"
    file.write_text("")
    with pytest.raises(ValueError, match=re.escape(f"The output folder {file} is a file, not a folder; choose")):
        train(small_net(), *tiny_images, recipe(), out=file, progress=False, after_backward=never)


def test_other_commands_give_one_error_line(capsys):
    code, err = run_cli(capsys, "bench", "--models", "resnet21")
    assert code == 2 and err.splitlines()[-1] == (
        "python -m resnet_lab bench: error: --models: 'resnet21': the CIFAR nets of He et al. 2015 have depth 6n+2 "
        "(20, 32, 44, 56, 110, ...); 21 is not of that form. Nearest valid depths: 20 and 26")
    code, err = run_cli(capsys, "runs", "degradation", "--models", "resnet21", "--data", "/no/such/data")
    assert code == 2 and err.splitlines()[-1] == (
        "python -m resnet_lab runs: error: --models: 'resnet21' not in the degradation group; its models are "
        "plain20, plain56, resnet20, resnet56")
    code, err = run_cli(capsys, "notebooks", "nope.ipynb")
    assert code == 2 and err.splitlines()[-1].startswith(
        "python -m resnet_lab notebooks: error: no notebook nope.ipynb; the course's notebooks are "
        "notebooks/00_start_here.ipynb, notebooks/01_degradation.ipynb")


# ------------------------------------------------------------------ 9. a damaged download in the default location

@pytest.fixture()
def default_root(tmp_path, monkeypatch):
    root = tmp_path / "default-cifar10"
    root.mkdir()
    monkeypatch.setattr(cifar10_module, "DEFAULT_ROOT", root)
    return root


def test_a_truncated_download_is_reported_with_the_file_to_delete(default_root, monkeypatch):
    archive = default_root / "cifar-10-python.tar.gz"
    archive.write_bytes(b"\x1f\x8b" + bytes(998))      # what a killed download leaves
    monkeypatch.setattr(cifar10_module, "_from_torchvision", never)
    damage = (f"{archive} is damaged: it has 1,000 bytes, the official archive 170,498,071 (an interrupted "
              "download?)")
    fix = (f"Delete it (rm '{archive}') and load again with download=True (python -m resnet_lab train --download) to "
           "download it afresh")
    status = data_status()
    assert not status.present and status.damaged and status.problems == (damage,)
    assert str(status).splitlines()[1:] == [f"present: damaged -- {damage}", f"to fix: {fix}"]
    for download in (None, False):
        with pytest.raises(DataFormatError) as info:
            load_cifar10(download=download)
        assert str(info.value) == f"{damage} (chosen by the default location). {fix}."


def test_a_download_with_the_right_size_and_the_wrong_md5_is_damaged(default_root, monkeypatch):
    archive = default_root / "cifar-10-python.tar.gz"
    with open(archive, "wb") as f:
        f.truncate(170_498_071)   # sparse: the right size, all zeros
    monkeypatch.setattr(cifar10_module, "_from_torchvision", never)
    assert data_status().present   # the size alone looks right
    with pytest.raises(DataFormatError, match=re.escape(f"{archive} is damaged: its md5 is "
                                                        "b8e55445e7077ab450cff47699d02de8, the official archive's "
                                                        "c58f30108f718f92721af3b95e74349a (chosen by the default "
                                                        f"location). Delete it (rm '{archive}')")):
        load_cifar10()


def test_download_true_deletes_a_damaged_archive_and_downloads_again(default_root, monkeypatch, capsys):
    archive = default_root / "cifar-10-python.tar.gz"
    archive.write_bytes(bytes(1000))
    calls = []
    tiny = random_data(10, 10)
    monkeypatch.setattr(cifar10_module, "_from_torchvision",
                        lambda root, download: calls.append((root, download)) or (tiny.train, tiny.test))
    data = load_cifar10(download=True)
    assert not archive.exists() and calls == [(default_root, True)] and len(data.train) == 10
    assert f"deleted the damaged {archive}; downloading it again" in capsys.readouterr().out


# ------------------------------------------------------------------ 10. a corrupt history.json

def test_history_load_names_the_damaged_file(tmp_path):
    path = tmp_path / HISTORY
    path.write_text('{"model": "resn')
    with pytest.raises(ValueError) as info:
        History.load(path)
    assert str(info.value) == (f"Cannot read the training history {path}: it is damaged or not a History "
                               "(JSONDecodeError: Unterminated string starting at: line 1 column 11 (char 10)). "
                               "Delete it (a run folder's checkpoint.pt holds its own History), or restore it from "
                               "a copy.")


def test_train_or_load_resumes_from_the_checkpoint_when_its_history_is_damaged(tmp_path, capsys):
    data = random_data()
    first = train_or_load("resnet8", data, SCALE, runs=tmp_path, progress=False, device="cpu")
    folder = run_folder("resnet8", data, SCALE, runs=tmp_path)
    (folder / HISTORY).write_text("{")
    capsys.readouterr()
    again = train_or_load("resnet8", data, SCALE, runs=tmp_path, progress=False, device="cpu",
                          after_backward=never)   # the checkpoint is complete: nothing is trained again
    assert again == first and History.load(folder / HISTORY) == first   # and the history is written back
    assert capsys.readouterr().out.startswith(f"{folder / HISTORY} is damaged; resuming from {folder / CHECKPOINT}, "
                                              "which holds its own History.")


def test_train_or_load_names_the_folder_to_delete_when_there_is_no_checkpoint(tmp_path):
    data = random_data()
    folder = run_folder("resnet8", data, SCALE, runs=tmp_path)
    folder.mkdir(parents=True)
    (folder / HISTORY).write_text("[1, 2")
    with pytest.raises(ValueError, match=re.escape(
            f"The run folder {folder} holds a damaged history.json and no checkpoint.pt to resume from: delete "
            f"that folder (rm -r '{folder}') and call train_or_load again to train afresh. (Cannot read the "
            f"training history {folder / HISTORY}")):
        train_or_load("resnet8", data, SCALE, runs=tmp_path, progress=False)


# ------------------------------------------------------------------ 12. other messages

def test_a_float64_batch_says_to_call_float():
    for name in ("resnet8", "resnet18"):
        with pytest.raises(TypeError) as info:
            small_net(name)(torch.zeros(2, 3, 32, 32, dtype=torch.float64))
        assert str(info.value) == ("expected float32 images [N, 3, H, W], got float64; call .float() on the batch "
                                   "(the model's weights are float32)")
    assert small_net().double()(torch.zeros(2, 3, 32, 32, dtype=torch.float64)).dtype == torch.float64


def test_a_batch_of_one_with_batchnorm_is_refused(tiny_images):
    with pytest.raises(ValueError) as info:
        train(small_net(), *tiny_images, recipe(batch_size=1), progress=False, after_backward=never)
    assert str(info.value) == ("batch_size 1 is too small for this model: the batch size must be at least 2 with "
                               "BatchNorm, which normalises each batch by its own mean and variance. Use a batch "
                               "size of at least 2.")
    model = small_net("resnet18", num_classes=10)   # a final partial batch of 1 in someone's own loop
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError) as info:
        train_step(model.train(), optimizer, torch.zeros(1, 3, 32, 32), torch.zeros(1, dtype=torch.long))
    assert str(info.value) == ("A training batch of 1 image(s) reached a 1 x 1 feature map, so a BatchNorm layer saw "
                               "one value per channel: the batch size must be at least 2 with BatchNorm, which "
                               "normalises each batch by its own mean and variance. Use a batch size of 2 or more "
                               "(and drop a final batch of 1, e.g. DataLoader(..., drop_last=True)).")


def test_an_image_folder_without_test_says_test_is_missing(tmp_path, make_image_tree):
    tree = make_image_tree(tmp_path / "half", (("train", 1),))
    with pytest.raises(DataFormatError) as info:
        load_cifar10(tmp_path)
    assert str(info.value) == (f"{tree / 'train'} is there but {tree / 'test'} is missing: an image-folder copy of "
                               "CIFAR-10 needs both train/<class>/ (the 50,000 training images) and test/<class>/ "
                               "(the 10,000 test images). Add the missing folder, or point resnet_lab at a complete "
                               "copy (load_cifar10(root=...) or `export RESNET_LAB_DATA=/path/to/cifar10`).")


def test_the_data_variable_pointing_at_a_text_file(tmp_path, monkeypatch):
    notes = tmp_path / "notes.txt"
    notes.write_text("CIFAR-10 is somewhere else")
    monkeypatch.setenv(ENV_VAR, str(notes))
    message = (f"{notes} is a file, but not a CIFAR-10 archive (.tar.gz, .tgz or .tar) (chosen by $RESNET_LAB_DATA). "
               "Point resnet_lab at a CIFAR-10 folder or archive instead (load_cifar10(root=...) or "
               "`export RESNET_LAB_DATA=/path/to/cifar10`).")
    with pytest.raises(DataFormatError) as info:
        load_cifar10(download=True)
    assert str(info.value) == message
    assert data_status().damaged and "present: damaged -- " in str(data_status())


def test_an_empty_official_folder_names_the_missing_files_and_download_repairs_it(tmp_path, monkeypatch):
    (tmp_path / "cifar-10-batches-py").mkdir()
    monkeypatch.setattr(cifar10_module, "_from_torchvision", never)
    with pytest.raises(DataFormatError) as info:
        load_cifar10(tmp_path)
    assert str(info.value) == (
        f"{tmp_path / 'cifar-10-batches-py'} is incomplete: it is empty (the official release holds data_batch_1, "
        "data_batch_2, data_batch_3, data_batch_4, data_batch_5, test_batch, batches.meta). Delete that folder "
        f"(rm -r '{tmp_path / 'cifar-10-batches-py'}') and load again with download=True (python -m resnet_lab "
        "train --download), or copy a complete one there.")
    calls = []
    tiny = random_data(10, 10)
    monkeypatch.setattr(cifar10_module, "_from_torchvision",
                        lambda root, download: calls.append((root, download)) or (tiny.train, tiny.test))
    load_cifar10(tmp_path, download=True)   # what --download passes: torchvision downloads into the folder
    assert calls == [(tmp_path, True)]


def test_a_bad_thread_count_in_the_environment_is_named(monkeypatch):
    monkeypatch.setenv(THREADS_ENV_VAR, "abc")
    with pytest.raises(ValueError) as info:
        set_threads()
    assert str(info.value) == ("threads must be a positive whole number such as 2, got 'abc' (from the environment "
                               "variable RESNET_LAB_THREADS)")


def test_an_unknown_device_names_the_valid_ones():
    with pytest.raises(ValueError) as info:
        setup(device="gpu", quiet=True)
    assert re.fullmatch(r"unknown device 'gpu'; use 'cpu', 'cuda', 'cuda:N' or 'mps' \(here: cpu(, cuda.*|, mps)?\), "
                        r"or leave it out for the fastest one here", str(info.value))


@pytest.mark.parametrize("seed", [None, 2**63, -1, 1.5])
def test_a_bad_seed_is_refused_by_setup_and_train_or_load(seed, tmp_path):
    message = f"seed must be a whole number from 0 to 2**63 - 1, got {seed!r}"
    with pytest.raises(ValueError) as info:
        setup(seed=seed, quiet=True, device="cpu")
    assert str(info.value) == message
    with pytest.raises(ValueError) as info:
        train_or_load("resnet8", random_data(), SCALE, seed=seed, runs=tmp_path, progress=False)
    assert str(info.value) == message


def test_labels_beyond_the_models_classes_are_refused_before_training(tiny_images):
    train_set, test_set = tiny_images
    twelve = Images(train_set.images, torch.arange(len(train_set)) % 12)
    with pytest.raises(ValueError) as info:
        train(small_net(), twelve, test_set, recipe(), progress=False, after_backward=never)
    assert str(info.value) == ("train_set has labels from 0 to 11, but the model has 10 outputs (classes 0 to 9): "
                               "build the model with num_classes=12 (e.g. get_model(name, num_classes=12)), or fix "
                               "the labels.")
    negative = Images(test_set.images, torch.arange(len(test_set)) % 10 - 1)
    with pytest.raises(ValueError) as info:
        train(small_net(), train_set, negative, recipe(), progress=False, after_backward=never)
    assert str(info.value) == ("eval_set has labels from -1 to 8, but labels are class indices from 0 and the model "
                               "has 10 outputs (classes 0 to 9): fix the negative labels.")


def test_an_empty_evaluation_set_is_refused(tiny_images):
    train_set, _ = tiny_images
    empty = Images(torch.zeros(0, 3, 32, 32, dtype=torch.uint8), torch.zeros(0, dtype=torch.long))
    with pytest.raises(ValueError) as info:
        evaluate(small_net(), empty)
    assert str(info.value) == ("evaluate got an empty data set (0 images): give it at least one image (with a "
                               "recipe, check test_per_class and the evaluation split).")
    with pytest.raises(ValueError) as info:
        train(small_net(), train_set, empty, recipe(), progress=False, after_backward=never)
    assert str(info.value) == ("eval_set is empty (0 images), so no epoch could be evaluated; give it at least one "
                               "image (with a recipe, check test_per_class and the evaluation split).")


def test_load_trained_model_refuses_a_bare_state_dict(tmp_path):
    data = random_data()
    folder = run_folder("resnet8", data, SCALE, runs=tmp_path)
    folder.mkdir(parents=True)
    torch.save(small_net().state_dict(), folder / CHECKPOINT)
    with pytest.raises(ValueError) as info:
        load_trained_model("resnet8", data, SCALE, runs=tmp_path)
    assert str(info.value) == (f"{folder / CHECKPOINT} is not a resnet_lab checkpoint (no 'model' and 'architecture' "
                               f"entries); it may be a bare state_dict. Delete the folder {folder} and call "
                               "train_or_load to train resnet8 again.")
