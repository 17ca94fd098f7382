"""Fixtures shared by the unit tests."""
import numpy as np
import pytest
import torch
from PIL import Image

from resnet_lab.data import CLASSES


@pytest.fixture(scope="session")
def tiny_cifar_tree(tmp_path_factory):
    """A CIFAR-10-shaped image-folder tree (train: 30 per class, test: 10 per class) of random PNGs."""
    root = tmp_path_factory.mktemp("tiny-cifar") / "cifar10-tiny"
    rng = np.random.default_rng(0)
    for split, count in (("train", 30), ("test", 10)):
        for label, name in enumerate(CLASSES):
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(count):
                pixels = rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
                pixels[..., label % 3] //= 2  # a faint class signal
                Image.fromarray(pixels).save(folder / f"{i:04d}.png")
    return root


@pytest.fixture()
def tiny_images():
    """Random uint8 images and labels as a resnet_lab.data.Images (train 64, test 32)."""
    from resnet_lab.data import Images

    g = torch.Generator().manual_seed(0)
    train = Images(torch.randint(0, 256, (64, 3, 32, 32), generator=g, dtype=torch.uint8),
                   torch.arange(64) % 10)
    test = Images(torch.randint(0, 256, (32, 3, 32, 32), generator=g, dtype=torch.uint8),
                  torch.arange(32) % 10)
    return train, test
