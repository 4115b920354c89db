"""Dataset archives: checksums, mirrors, clear errors, parsing, and on-device augmentation."""

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from critbatch import data
from critbatch.paths import project_root

from conftest import learnable_digits

SHARED = project_root().parent / "shared" / "datasets"


def test_checksums_and_addresses_come_from_torchvision():
    from torchvision import datasets as tv

    assert data.SOURCES["mnist"].files == tuple(map(tuple, tv.MNIST.resources))
    assert data.SOURCES["cifar10"].files == ((tv.CIFAR10.filename, tv.CIFAR10.tgz_md5),)
    assert data.SOURCES["cifar100"].files == (("cifar-100-python.tar.gz", "eb9058c3a382ffc7106e4002c42a8d85"),)
    assert data.SOURCES["cifar10"].urls == ("https://www.cs.toronto.edu/~kriz/",)


def test_torchvision_is_imported_only_when_a_data_set_is_asked_for():
    """Importing it takes over a second, which a notebook re-executed from the store need not pay."""
    import subprocess
    import sys

    check = ("import sys; import critbatch.chapters as c; c.chapters(); before = 'torchvision' in sys.modules; "
             "from critbatch import data; data.SOURCES['mnist']; print(before, 'torchvision' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]


def test_mnist_idx_files_are_parsed(tiny_mnist, tmp_path):
    train = data.load("mnist", True, root=tmp_path, mirror=tiny_mnist, download=False)
    images, labels = learnable_digits(256, 0)
    assert train.images.shape == (256, 1, 28, 28) and train.images.dtype == torch.float32
    torch.testing.assert_close(train.images[:, 0], torch.from_numpy(images).float() / 255)
    assert train.labels.tolist() == labels.tolist() and train.classes == 10
    test = data.load("mnist", False, root=tmp_path, mirror=tiny_mnist, download=False)
    assert test.images.shape == (64, 1, 28, 28)
    assert (tmp_path / "mnist" / "train-images-idx3-ubyte.gz").is_file()  # copied from the mirror


@pytest.mark.parametrize("name, base", [("cifar10", "cifar-10-batches-py"), ("cifar100", "cifar-100-python")])
def test_cifar_archive_in_the_official_format(tiny_cifar, tmp_path, name, base):
    mirror, written = tiny_cifar
    train = data.load(name, True, root=tmp_path, mirror=mirror, download=False)
    test = data.load(name, False, root=tmp_path, mirror=mirror, download=False)
    source = data.SOURCES[name]
    members = written[name]
    train_members = [m for m in members if m.startswith("data_batch") or m == "train"]
    expected = np.concatenate([members[m][0] for m in train_members])  # (N, 3, 32, 32): CHW rows
    assert train.images.shape == (3 * len(train_members), 3, 32, 32)
    torch.testing.assert_close(train.images, torch.from_numpy(expected).float() / 255)
    assert train.labels.tolist() == sum((members[m][1] for m in train_members), [])
    assert test.images.shape == (3, 3, 32, 32)
    assert train.classes == source.classes


def test_normalisation_uses_the_per_channel_constants(tiny_cifar, tmp_path):
    mirror, _ = tiny_cifar
    plain = data.load("cifar10", False, root=tmp_path, mirror=mirror, download=False)
    normal = data.load("cifar10", False, root=tmp_path, mirror=mirror, download=False, normalize=True)
    mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in data.NORMALIZATION["cifar10"])
    torch.testing.assert_close(normal.images, (plain.images - mean) / std)


def test_corrupt_mirror_file_is_detected(tiny_mnist, tmp_path):
    victim = tiny_mnist / "mnist" / "t10k-labels-idx1-ubyte.gz"
    victim.write_bytes(victim.read_bytes()[:-3])
    with pytest.raises(data.ChecksumError, match="t10k-labels-idx1-ubyte.gz has MD5"):
        data.fetch("mnist", root=tmp_path, mirror=tiny_mnist, download=False)


def test_corrupt_local_file_is_detected_not_replaced(tiny_mnist, tmp_path):
    root = tmp_path
    data.fetch("mnist", root=root, mirror=tiny_mnist, download=False)
    local = root / "mnist" / "train-labels-idx1-ubyte.gz"
    local.write_bytes(b"not the archive")
    with pytest.raises(data.ChecksumError, match="delete it and fetch it again"):
        data.fetch("mnist", root=root, mirror=tiny_mnist, download=False)
    assert local.read_bytes() == b"not the archive"


def test_a_split_is_parsed_once_per_process_and_each_load_is_its_own_copy(tiny_mnist, tmp_path, monkeypatch):
    first = data.load("mnist", True, root=tmp_path, mirror=tiny_mnist, download=False)
    monkeypatch.setattr(data.archives, "_md5", lambda path: pytest.fail(f"{path} hashed again"))
    monkeypatch.setitem(data.SOURCES, "mnist", dataclasses.replace(
        data.SOURCES["mnist"], read=lambda folder, train: pytest.fail("parsed again")))
    expected = first.images.clone(), first.labels.clone()
    first.images.zero_(), first.labels.zero_()
    again = data.load("mnist", True, root=tmp_path, mirror=tiny_mnist, download=False)
    assert torch.equal(again.images, expected[0]) and torch.equal(again.labels, expected[1])


def test_an_archive_rewritten_after_a_load_is_verified_again(tiny_mnist, tmp_path):
    data.load("mnist", False, root=tmp_path, mirror=tiny_mnist, download=False)
    local = tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz"
    corrupt = bytearray(local.read_bytes())
    corrupt[-1] ^= 0xFF  # the same size
    local.write_bytes(bytes(corrupt))
    os.utime(local, ns=(local.stat().st_atime_ns, local.stat().st_mtime_ns + 1))  # a distinct stamp however coarse the clock
    with pytest.raises(data.ChecksumError, match="t10k-labels-idx1-ubyte.gz has MD5"):
        data.load("mnist", False, root=tmp_path, mirror=tiny_mnist, download=False)


def test_missing_data_names_the_file_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("CRITBATCH_MIRROR", raising=False)
    with pytest.raises(data.DataUnavailable) as error:
        data.fetch("cifar100", root=tmp_path, mirror=tmp_path / "empty", download=False)
    message = str(error.value)
    assert "cifar-100-python.tar.gz" in message and str(tmp_path / "empty") in message
    assert "CRITBATCH_MIRROR" in message and "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz" in message


def test_failed_download_is_reported_as_unavailable(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("Name or service not known")

    monkeypatch.setattr("torchvision.datasets.utils.download_url", offline)
    with pytest.raises(data.DataUnavailable, match="Name or service not known"):
        data.fetch("cifar10", root=tmp_path, download=True)


def test_unknown_dataset_is_named():
    with pytest.raises(ValueError, match="unknown dataset 'svhn'"):
        data.fetch("svhn")


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"no offline copy of the official archives at {SHARED}")
@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_offline_mirror_holds_the_official_archives(name, tmp_path):
    """The real files, with torchvision's real checksums (the workplace's offline copies)."""
    split = data.load(name, False, root=tmp_path, mirror=SHARED, download=False)
    assert split.images.shape == (10_000, 1, 28, 28)
    assert np.bincount(split.labels.numpy()).tolist() == (
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009] if name == "mnist" else [1000] * 10)


def test_crop_and_flip_match_a_per_image_reference():
    images = torch.arange(5 * 3 * 6 * 6, dtype=torch.float32).reshape(5, 3, 6, 6)
    out = data.random_crop_flip(images, padding=2, generator=torch.Generator().manual_seed(4))
    g = torch.Generator().manual_seed(4)  # replay the same draws
    dy, dx = torch.randint(0, 5, (5,), generator=g), torch.randint(0, 5, (5,), generator=g)
    flip = torch.rand(5, generator=g) < 0.5
    padded = torch.nn.functional.pad(images, (2, 2, 2, 2))
    for i in range(5):
        crop = padded[i, :, dy[i] : dy[i] + 6, dx[i] : dx[i] + 6]
        torch.testing.assert_close(out[i], crop.flip(-1) if flip[i] else crop)
    assert flip.any() and not flip.all()  # both branches were exercised


def test_a_data_root_that_does_not_exist_is_refused_not_created(tmp_path, tiny_mnist):
    missing = tmp_path / "typo"
    with pytest.raises(FileNotFoundError, match="data_root .*typo.* is not an existing folder"):
        data.load("mnist", True, root=missing, mirror=tiny_mnist, download=False)
    assert not missing.exists()
