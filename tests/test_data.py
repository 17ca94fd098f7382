"""resnet_lab.data: augmentation, normalisation, subsets and splits, and loading CIFAR-10 from every layout."""
import os
import tarfile

import numpy as np
import pytest
import torch
from PIL import Image

import resnet_lab.data.cifar10 as cifar10_module
from resnet_lab.data import (CLASSES, ENV_VAR, MEAN, STD, DataFormatError, DataNotFoundError, Images, augment, crop_and_flip, data_status, draw_crops_and_flips, load_cifar10, normalize, split_validation)


USER_CACHE = os.environ.get("RESNET_LAB_CACHE")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Every test writes its decoded-data cache into its own folder, never into the user's."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("RESNET_LAB_CACHE", str(cache))
    monkeypatch.setattr(cifar10_module, "_online", lambda *a, **k: False)
    return cache


def make_tar(tree, path):
    with tarfile.open(path, "w:gz") as archive:
        archive.add(tree, arcname=tree.name)
    return path


def batch(n=16, seed=0):
    return torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------- augmentation

@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_augment_keeps_shape_dtype_and_device(dtype):
    x = batch().to(dtype)
    out = augment(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.dtype == dtype and out.device == x.device


def test_crop_offsets_lie_in_the_padded_range():
    offsets, flips = draw_crops_and_flips(4000, torch.Generator().manual_seed(0), padding=4)
    assert offsets.shape == (4000, 2) and flips.shape == (4000,) and flips.dtype == torch.bool
    assert offsets.min() == 0 and offsets.max() == 8      # every offset in [0, 8], both ends reached
    assert set(offsets.flatten().tolist()) == set(range(9))
    assert 0.45 < flips.float().mean() < 0.55


def test_augment_equals_a_slice_of_the_zero_padded_image():
    x = batch(32)
    g = torch.Generator().manual_seed(3)
    offsets, flips = draw_crops_and_flips(32, torch.Generator().manual_seed(3))
    out = augment(x, g)
    padded = torch.nn.functional.pad(x, (4, 4, 4, 4))
    for b in range(32):  # the reference, one image at a time
        oy, ox = offsets[b].tolist()
        expected = padded[b, :, oy:oy + 32, ox:ox + 32]
        assert torch.equal(out[b], expected.flip(-1) if flips[b] else expected)


def test_flip_mirrors_and_centre_crop_is_identity():
    x = batch(4)
    centre = torch.full((4, 2), 4)
    assert torch.equal(crop_and_flip(x, centre, torch.zeros(4, dtype=torch.bool)), x)
    assert torch.equal(crop_and_flip(x, centre, torch.ones(4, dtype=torch.bool)), x.flip(-1))
    shifted = crop_and_flip(x, torch.tensor([[0, 0]] * 4), torch.zeros(4, dtype=torch.bool))
    assert (shifted[:, :, :4, :] == 0).all() and (shifted[:, :, :, :4] == 0).all()   # the zero padding
    assert torch.equal(shifted[:, :, 4:, 4:], x[:, :, :28, :28])


def test_augment_is_reproducible_from_the_generator_seed():
    x = batch(64)
    a = augment(x, torch.Generator().manual_seed(7))
    b = augment(x, torch.Generator().manual_seed(7))
    c = augment(x, torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_augment_accepts_channels_last():
    x = batch(8)
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    assert torch.equal(augment(x.contiguous(memory_format=torch.channels_last), g1), augment(x, g2))


def test_augment_rejects_bad_input():
    with pytest.raises(ValueError, match=r"\[B, C, H, W\]"):
        augment(torch.zeros(3, 32, 32, dtype=torch.uint8))
    with pytest.raises(ValueError, match="padding"):
        augment(batch(2), padding=-1)


# ---------------------------------------------------------------- normalisation

def test_normalize_values():
    x = torch.zeros(2, 3, 2, 2, dtype=torch.uint8)
    x[1] = 255
    out = normalize(x)
    assert out.dtype == torch.float32
    mean, std = torch.tensor(MEAN), torch.tensor(STD)
    torch.testing.assert_close(out[0, :, 0, 0], -mean / std)
    torch.testing.assert_close(out[1, :, 1, 1], (1 - mean) / std)
    y = batch(4)
    reference = (y.float() / 255 - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)
    torch.testing.assert_close(normalize(y), reference)


def test_normalize_accepts_channels_last_and_rejects_floats():
    y = batch(4)
    cl = normalize(y.contiguous(memory_format=torch.channels_last))
    torch.testing.assert_close(cl, normalize(y))
    with pytest.raises(TypeError, match="uint8"):
        normalize(y.float())
    with pytest.raises(ValueError, match="batch"):
        normalize(torch.zeros(2, 1, 4, 4, dtype=torch.uint8))


# ---------------------------------------------------------------- Images, subsets, validation split

def labelled(n_per_class, classes=10):
    """Images whose pixels encode their own position (so subsets can be traced back)."""
    n = n_per_class * classes
    images = torch.zeros(n, 3, 2, 2, dtype=torch.uint8)
    index = torch.arange(n)
    images[:, 0, 0, 0], images[:, 1, 0, 0] = (index % 256).to(torch.uint8), (index // 256).to(torch.uint8)
    return Images(images, index % classes)


def ids(images):
    return (images.images[:, 0, 0, 0].long() + 256 * images.images[:, 1, 0, 0].long()).tolist()


def test_images_validates_its_tensors():
    with pytest.raises(TypeError, match="uint8"):
        Images(torch.zeros(2, 3, 4, 4), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="one label per image"):
        Images(torch.zeros(2, 3, 4, 4, dtype=torch.uint8), torch.zeros(3, dtype=torch.long))
    assert len(labelled(3)) == 30


def test_subset_is_balanced_deterministic_and_nested():
    data = labelled(50)
    small, again, large = data.subset(7), data.subset(7), data.subset(20)
    assert len(small) == 70 and small.class_counts().tolist() == [7] * 10
    assert ids(small) == ids(again) and ids(small) == sorted(ids(small))
    assert set(ids(small)) <= set(ids(large))
    assert ids(data.subset(7, seed=1)) != ids(small)
    for i, label in zip(ids(small), small.labels.tolist()):
        assert i % 10 == label   # every image keeps its own label


def test_subset_larger_than_the_class_is_a_clear_error():
    with pytest.raises(ValueError, match="asked for 51 images per class.*at most 50"):
        labelled(50).subset(51)


def test_split_validation_is_the_papers_45k_5k_split():
    train, val = split_validation(labelled(5000))
    assert (len(train), len(val)) == (45000, 5000)
    assert val.class_counts().tolist() == [500] * 10 and train.class_counts().tolist() == [4500] * 10
    assert not set(ids(train)) & set(ids(val)) and len(set(ids(train)) | set(ids(val))) == 50000
    train2, val2 = split_validation(labelled(5000))
    assert ids(val2) == ids(val)
    assert ids(split_validation(labelled(5000), seed=1)[1]) != ids(val)


def test_split_validation_rejects_unbalanced_sizes():
    with pytest.raises(ValueError, match="multiple of the number of classes"):
        split_validation(labelled(10), val_size=15)


def test_to_moves_both_tensors_and_leaves_the_original():
    data = labelled(2)
    moved = data.to("meta")  # a real move on any machine: the meta device holds shapes, not values
    assert (moved.images.device.type, moved.labels.device.type) == ("meta", "meta")
    assert (moved.images.shape, moved.labels.shape) == (data.images.shape, data.labels.shape)
    assert (moved.images.dtype, moved.labels.dtype) == (torch.uint8, torch.int64)
    assert data.images.device.type == data.labels.device.type == "cpu"


# ---------------------------------------------------------------- loading

def expected_arrays(tree, split):
    """Decode a generated tree in the documented order: class, then file name."""
    images, labels = [], []
    for label, name in enumerate(CLASSES):
        for file in sorted((tree / split / name).iterdir()):
            images.append(np.asarray(Image.open(file).convert("RGB")).transpose(2, 0, 1))
            labels.append(label)
    return torch.from_numpy(np.stack(images)), torch.tensor(labels)


def test_load_image_folder_tree(tiny_cifar_tree):
    data = load_cifar10(tiny_cifar_tree)
    assert (len(data.train), len(data.test)) == (300, 100)
    assert data.train.images.dtype == torch.uint8 and data.train.images.shape[1:] == (3, 32, 32)
    assert data.train.class_counts().tolist() == [30] * 10 and data.test.class_counts().tolist() == [10] * 10
    images, labels = expected_arrays(tiny_cifar_tree, "test")
    assert torch.equal(data.test.images, images) and torch.equal(data.test.labels, labels)
    assert data.classes == CLASSES and "PNG" in data.source and "lossy" not in data.source
    # the parent folder works too (the tree lies under one top folder)
    assert torch.equal(load_cifar10(tiny_cifar_tree.parent).train.images, data.train.images)


def test_load_tar_gz_equals_the_tree_and_uses_the_cache(tmp_path, monkeypatch, private_cache, make_image_tree):
    tree = make_image_tree(tmp_path / "cifar10-jpeg", suffix=".jpg")
    archive = make_tar(tree, tmp_path / "cifar10-jpeg.tar.gz")
    from_tar = load_cifar10(archive)
    from_tree = load_cifar10(tree)
    assert torch.equal(from_tar.train.images, from_tree.train.images)
    assert torch.equal(from_tar.test.labels, from_tree.test.labels)
    assert "JPEG" in from_tar.source and "lossy" in from_tar.source
    assert len(list(private_cache.glob("*.npz"))) == 2

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again instead of reading the cache")

    monkeypatch.setattr(cifar10_module, "read_image_tar", no_decoding)
    again = load_cifar10(archive)
    assert torch.equal(again.train.images, from_tar.train.images)
    # a folder holding the archive is found too (and shares the archive's cache)
    monkeypatch.setattr(cifar10_module, "find_tree_top", lambda root: None)
    assert torch.equal(load_cifar10(tmp_path).test.images, from_tar.test.images)


def test_no_data_is_one_clear_error(tmp_path, monkeypatch):
    empty = tmp_path / "nothing-here"
    with pytest.raises(DataNotFoundError) as info:
        load_cifar10(empty, download=False)
    message = str(info.value)
    for needed in (str(empty), ENV_VAR, "download=True", "cifar-10-batches-py", "train/<class>", ".tar.gz"):
        assert needed in message
    assert isinstance(info.value, FileNotFoundError)
    monkeypatch.setenv(ENV_VAR, str(empty))
    with pytest.raises(DataNotFoundError, match=r"chosen by \$RESNET_LAB_DATA.*unreachable"):
        load_cifar10()   # download=None offline: no attempt, the same error


def test_corrupt_archive_names_the_file_and_leaves_no_cache(tmp_path, private_cache, make_image_tree):
    archive = make_tar(make_image_tree(tmp_path / "cifar10-png", (("train", 3), ("test", 1))),
                       tmp_path / "cifar10.tar.gz")
    data = archive.read_bytes()
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError, match="truncated.tar.gz.*truncated or corrupt"):
        load_cifar10(truncated)
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"not an archive at all" * 100)
    with pytest.raises(DataFormatError, match="garbage.tar.gz"):
        load_cifar10(garbage)
    assert not private_cache.exists() or list(private_cache.iterdir()) == []


def test_missing_class_folder_is_a_layout_error(tmp_path, make_image_tree):
    tree = make_image_tree(tmp_path / "partial", classes=CLASSES[:9])
    with pytest.raises(DataFormatError, match="no images in train/<class>/ for truck"):
        load_cifar10(tree)
    (tree / "train" / "trucks").mkdir()
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tree / "train" / "trucks" / "0.png")
    with pytest.raises(DataFormatError, match="trucks/, which is not a CIFAR-10 class"):
        load_cifar10(tree)


def test_wrong_image_size_is_a_clear_error(tmp_path, make_image_tree):
    tree = make_image_tree(tmp_path / "big", (("train", 1), ("test", 1)))
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(tree / "test" / "cat" / "0000.png")  # replaces one
    with pytest.raises(DataFormatError, match="64x64 pixels"):
        load_cifar10(tree)


def test_data_status_reports_kind_and_cache(tmp_path, make_image_tree):
    archive = make_tar(make_image_tree(tmp_path / "cifar10-png"), tmp_path / "cifar10.tar.gz")
    status = data_status(archive)
    assert status.present and status.kind == "tar.gz" and not status.cached
    assert "tar archive" in str(status) and "not yet" in str(status)
    load_cifar10(archive)
    assert data_status(archive).cached and "decoded cache: yes" in str(data_status(archive))
    missing = data_status(tmp_path / "nowhere")
    assert not missing.present and "present: no" in str(missing) and ENV_VAR in str(missing)


@pytest.mark.skipif(not os.environ.get(ENV_VAR), reason=f"${ENV_VAR} is not set (no offline CIFAR-10 copy)")
def test_real_cifar10_has_the_official_counts(monkeypatch):
    if USER_CACHE is None:   # the real copy uses the real cache: decoded once per machine
        monkeypatch.delenv("RESNET_LAB_CACHE")
    else:
        monkeypatch.setenv("RESNET_LAB_CACHE", USER_CACHE)
    data = load_cifar10()
    assert (len(data.train), len(data.test)) == (50000, 10000)
    assert data.train.class_counts().tolist() == [5000] * 10
    assert data.test.class_counts().tolist() == [1000] * 10
    assert data.train.images.shape == (50000, 3, 32, 32) and data.train.images.dtype == torch.uint8
    mean = data.train.subset(500).images.float().mean((0, 2, 3)) / 255
    torch.testing.assert_close(mean, torch.tensor(MEAN), atol=0.02, rtol=0)


def test_augment_returns_channels_last_layout():
    out = augment(batch(4), torch.Generator().manual_seed(0))
    assert out.is_contiguous(memory_format=torch.channels_last)
    assert normalize(out).is_contiguous(memory_format=torch.channels_last)
