"""Fixtures shared by the unit tests."""
import numpy as np
import pytest
import torch
from PIL import Image

from resnet_lab.data import CLASSES, Images


def build_image_tree(root, counts=(("train", 2), ("test", 1)), classes=CLASSES, size=32, suffix=".png",
                     seed=0, class_signal=False):
    """Write ``root/<split>/<class>/NNNN<suffix>`` random RGB images, ``count`` per class for each (split, count).

    ``class_signal`` halves one colour channel (the class index mod 3), a faint signal a net can learn.
    The same arguments write the same pixels.
    """
    rng = np.random.default_rng(seed)
    for split, count in counts:
        for label, name in enumerate(classes):
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(count):
                pixels = rng.integers(0, 256, size=(size, size, 3), dtype=np.uint8)
                if class_signal:
                    pixels[..., label % 3] //= 2
                Image.fromarray(pixels).save(folder / f"{i:04d}{suffix}")
    return root


@pytest.fixture(scope="session")
def make_image_tree():
    """The image-tree builder (:func:`build_image_tree`), for tests that need their own tree."""
    return build_image_tree


@pytest.fixture(scope="session")
def tiny_cifar_tree(tmp_path_factory):
    """A CIFAR-10-shaped image-folder tree (train: 30 per class, test: 10 per class) of random PNGs."""
    return build_image_tree(tmp_path_factory.mktemp("tiny-cifar") / "cifar10-tiny", (("train", 30), ("test", 10)),
                            class_signal=True)


@pytest.fixture()
def tiny_images():
    """Random uint8 images and labels as a resnet_lab.data.Images (train 64, test 32)."""
    g = torch.Generator().manual_seed(0)
    train = Images(torch.randint(0, 256, (64, 3, 32, 32), generator=g, dtype=torch.uint8),
                   torch.arange(64) % 10)
    test = Images(torch.randint(0, 256, (32, 3, 32, 32), generator=g, dtype=torch.uint8),
                  torch.arange(32) % 10)
    return train, test
