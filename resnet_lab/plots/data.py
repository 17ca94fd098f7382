"""Figures of the data itself."""
from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from resnet_lab.data import augment
from resnet_lab.plots.style import save_figure


def plot_samples(data, per_class: int = 8, seed: int = 0, name: str = "cifar10_samples"):
    """A grid of training images, one row per class (a fixed, seeded choice)."""
    images, labels = data.train.images, data.train.labels
    generator = torch.Generator().manual_seed(seed)
    fig, axes = plt.subplots(len(data.classes), per_class, figsize=(per_class * 0.9, len(data.classes) * 0.95))
    for row, class_name in enumerate(data.classes):
        members = torch.nonzero(labels == row).flatten()
        chosen = members[torch.randperm(len(members), generator=generator)[:per_class]]
        for col, index in enumerate(chosen.tolist()):
            ax = axes[row, col]
            ax.imshow(images[index].permute(1, 2, 0).numpy())
            ax.set_xticks([]), ax.set_yticks([])
            if col == 0:
                ax.set_ylabel(class_name, rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle("CIFAR-10: 32x32 colour images, 10 classes", y=1.0)
    fig.tight_layout()
    save_figure(fig, name)
    return fig


def plot_augmentation(data, class_name: str = "automobile", copies: int = 8, seed: int = 0,
                      name: str = "cifar10_augmentation"):
    """The first training image of a class and ``copies`` draws of the paper's augmentation."""
    generator = torch.Generator().manual_seed(seed)
    image = data.train.images[(data.train.labels == data.classes.index(class_name)).nonzero()[0, 0]]
    batch = augment(image.expand(copies, -1, -1, -1).contiguous(), generator)
    fig, axes = plt.subplots(1, copies + 1, figsize=((copies + 1) * 1.0, 1.4))
    for ax, picture, title in zip(axes, [image, *batch], ["original"] + [f"draw {i + 1}" for i in range(copies)]):
        ax.imshow(picture.permute(1, 2, 0).numpy())
        ax.set_title(title, fontsize=8)
        ax.set_xticks([]), ax.set_yticks([])
    fig.tight_layout()
    save_figure(fig, name)
    return fig
