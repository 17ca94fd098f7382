"""resnet_lab.bench: both pipelines train the same model, the canonical one normalises like ours, the report."""
import pytest
import torch

from resnet_lab.tools.bench import (CIFAR10Style, Measurement, bf16_support, canonical_batches, format_results, main, resnet_lab_batches, run)
from resnet_lab.data import CIFAR10, Images, normalize


@pytest.fixture()
def tiny_cifar():
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (200, 3, 32, 32), generator=g, dtype=torch.uint8)
    data = Images(images, torch.arange(200) % 10)
    return CIFAR10(data, data.subset(2), source="random test images")


def test_canonical_dataset_normalises_like_resnet_lab(tiny_cifar):
    from torchvision import transforms

    from resnet_lab.data import MEAN, STD

    images = tiny_cifar.train.images[:4]
    dataset = CIFAR10Style(images, torch.arange(4), transforms.Compose([transforms.ToTensor(),
                                                                         transforms.Normalize(MEAN, STD)]))
    x = torch.stack([dataset[i][0] for i in range(4)])
    torch.testing.assert_close(x, normalize(images))
    assert [dataset[i][1] for i in range(4)] == [0, 1, 2, 3]


def test_both_pipelines_give_normalised_batches(tiny_cifar):
    train = tiny_cifar.train
    x1, y1 = next(canonical_batches(train.images, train.labels, 16, 0, "cpu"))
    x2, y2 = next(resnet_lab_batches(train.images, train.labels, 16, "cpu"))
    for x, y in ((x1, y1), (x2, y2)):
        assert x.shape == (16, 3, 32, 32) and x.dtype == torch.float32 and y.shape == (16,)
    assert x2.is_contiguous(memory_format=torch.channels_last)
    # the same per-channel range: both are (x / 255 - MEAN) / STD of augmented images (zero padding included)
    torch.testing.assert_close(x1.amin((0, 2, 3)), x2.amin((0, 2, 3)))


def test_run_measures_every_pipeline_and_prints_the_ratio_last(tiny_cifar):
    results = run(["resnet8"], batch_size=16, iterations=1, warmup=0, workers=[0], per_class=16,
                  data=tiny_cifar, log=lambda *a: None, model_options={"width": 4})
    pipelines = [(m.pipeline, m.precision) for m in results]
    assert ("canonical", "fp32") in pipelines and ("resnet_lab", "fp32") in pipelines
    assert len(pipelines) == (3 if bf16_support("cpu")[0] is not None else 2)
    assert all(len(m.images_per_s) == 1 and m.images_per_s[0] > 0 for m in results)
    report = format_results(results)
    assert report.splitlines()[-1].startswith("  resnet8: ") and report.splitlines()[-1].count("x") >= 1


def test_format_results_ratio_uses_the_best_worker_count():
    results = [Measurement("resnet20", "canonical", 0, "fp32", 128, 10, [100.0]),
               Measurement("resnet20", "canonical", 2, "fp32", 128, 10, [200.0]),
               Measurement("resnet20", "resnet_lab", None, "fp32", 128, 10, [300.0]),
               Measurement("resnet20", "resnet_lab", None, "bf16", 128, 10, [500.0])]
    report = format_results(results)
    assert report.splitlines()[-1] == "  resnet20: 2.50x as train() runs it [bf16] (float32 alone: 1.50x)"
    assert "2 workers, NCHW *" in report


def test_bad_arguments_are_rejected(capsys):
    with pytest.raises(SystemExit):
        main(["--iterations", "0"])
    assert "--iterations must be at least 1" in capsys.readouterr().err
