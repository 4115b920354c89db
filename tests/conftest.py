"""Shared fixtures: tiny datasets written in the official archive formats."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest

from critbatch import data


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX file (the MNIST format), gzip-compressed."""
    magic = {3: 0x0803, 1: 0x0801}[array.ndim]
    header = magic.to_bytes(4, "big") + b"".join(s.to_bytes(4, "big") for s in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def learnable_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """28x28 uint8 images: one bright 7x7 block per class plus noise, so an MLP learns them fast."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    images = rng.integers(0, 60, (n, 28, 28))
    for i, c in enumerate(labels):
        r, q = divmod(int(c), 4)
        images[i, 7 * r : 7 * r + 7, 7 * q : 7 * q + 7] += 180
    return images.astype(np.uint8), labels.astype(np.uint8)


@pytest.fixture
def tiny_mnist(tmp_path, monkeypatch) -> Path:
    """A mirror folder with a 256/64-image dataset in MNIST's official files; SOURCES["mnist"]
    is patched to expect their checksums. Returns the mirror folder."""
    mirror = tmp_path / "mirror" / "mnist"
    mirror.mkdir(parents=True)
    for prefix, n, seed in (("train", 256, 0), ("t10k", 64, 1)):
        images, labels = learnable_digits(n, seed)
        write_idx(mirror / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(mirror / f"{prefix}-labels-idx1-ubyte.gz", labels)
    files = tuple((name, _md5(mirror / name)) for name, _ in data.SOURCES["mnist"].files)
    monkeypatch.setitem(data.SOURCES, "mnist", dataclasses.replace(data.SOURCES["mnist"], files=files))
    return mirror.parent


def write_cifar_archive(path: Path, base: str, members: dict[str, tuple[np.ndarray, list[int]]],
                        label_key: bytes) -> None:
    """A CIFAR "python version" tarball: pickled dicts with b"data" (N x 3072 uint8) and labels."""
    with tarfile.open(path, "w:gz") as tar:
        for name, (images, labels) in members.items():
            payload = pickle.dumps({b"data": images.reshape(len(images), -1), label_key: labels})
            info = tarfile.TarInfo(f"{base}/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))


@pytest.fixture
def tiny_cifar(tmp_path, monkeypatch):
    """Mirrors with tiny CIFAR-10 and CIFAR-100 archives in the official format (3 images per
    member file); SOURCES is patched to their checksums. Returns (mirror, members by dataset)."""
    from torchvision import datasets as tv

    rng = np.random.default_rng(0)
    mirror = tmp_path / "mirror"
    written = {}
    for name, cls, key, classes in (("cifar10", tv.CIFAR10, b"labels", 10),
                                    ("cifar100", tv.CIFAR100, b"fine_labels", 100)):
        (mirror / name).mkdir(parents=True)
        members = {m: (rng.integers(0, 256, (3, 3, 32, 32), dtype=np.uint8), rng.integers(0, classes, 3).tolist())
                   for m, _ in cls.train_list + cls.test_list}
        archive = mirror / name / cls.filename
        write_cifar_archive(archive, cls.base_folder, members, key)
        source = dataclasses.replace(data.SOURCES[name], files=((cls.filename, _md5(archive)),))
        monkeypatch.setitem(data.SOURCES, name, source)
        written[name] = members
    return mirror, written
