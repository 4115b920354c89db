"""Datasets: official archives, verified by checksum, loaded once onto the device.

Four datasets are known: ``mnist``, ``fashion-mnist``, ``cifar10`` and ``cifar100``. Their file
names, MD5 checksums and download addresses are read from torchvision's own dataset classes,
so they cannot drift from what torchvision downloads. Archives are kept compressed under
``<root>/<name>/`` and parsed directly (IDX for the MNIST family, the pickled "python version"
tarball for CIFAR), which is also what lets the tests exercise the CIFAR path on a tiny archive
written in the official format.

An archive is taken, in order, from ``root`` (if present and intact), from an offline
``mirror`` folder of official archives (files under ``<mirror>/<name>/``, or an alias such as
``<mirror>/MNIST/``, or ``<mirror>/`` itself), or downloaded with torchvision. Every file is
checked against its MD5 before use; a mismatch is an error, never a silent re-download.

>>> sorted(SOURCES)
['cifar10', 'cifar100', 'fashion-mnist', 'mnist']
"""

from __future__ import annotations

import collections
import functools
import gzip
import hashlib
import os
import pickle
import shutil
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, MutableMapping, NamedTuple

import numpy as np
import torch

from .. import paths, validate

__all__ = [
    "ChecksumError",
    "DataUnavailable",
    "Dataset",
    "NORMALIZATION",
    "SOURCES",
    "FEATURE_SETS",
    "fetch",
    "load",
    "load_features",
    "random_crop_flip",
    "subset_indices",
]


class DataUnavailable(FileNotFoundError):
    """A dataset archive is neither on disk nor in a mirror, and cannot be downloaded."""


class ChecksumError(ValueError):
    """A dataset archive does not have the official MD5 checksum."""


@dataclass(frozen=True)
class Source:
    """Where a dataset's official archives come from and how to parse them."""

    name: str
    files: tuple[tuple[str, str], ...]  # (file name, MD5)
    urls: tuple[str, ...]  # base addresses, tried in order
    aliases: tuple[str, ...]  # other folder names a mirror may use
    classes: int
    shape: tuple[int, int, int]  # one image as the loader serves it: (channels, height, width)
    sizes: tuple[int, int]  # examples in the (training, test) split
    read: Callable[[Path, bool], tuple[np.ndarray, np.ndarray]]  # (folder, train) -> NHWC uint8, labels


def _read_idx(path: Path, offset: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        return np.frombuffer(bytearray(f.read()), dtype=np.uint8, offset=offset)


def _read_mnist(folder: Path, train: bool) -> tuple[np.ndarray, np.ndarray]:
    prefix = "train" if train else "t10k"
    images = _read_idx(folder / f"{prefix}-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28, 1)
    labels = _read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", 8)
    return images, labels.astype(np.int64)


def _cifar_reader(cls: type, key: bytes):
    def read(folder: Path, train: bool) -> tuple[np.ndarray, np.ndarray]:
        images, labels = [], []
        with tarfile.open(folder / cls.filename, "r:gz") as tar:
            for member, _ in cls.train_list if train else cls.test_list:
                batch = pickle.load(tar.extractfile(f"{cls.base_folder}/{member}"), encoding="bytes")
                images.append(np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
                labels.append(np.asarray(batch[key], dtype=np.int64))
        return np.concatenate(images).transpose(0, 2, 3, 1), np.concatenate(labels)

    return read


def _mnist_like(name: str, cls: type, aliases: tuple[str, ...]) -> Source:
    files = tuple(map(tuple, cls.resources))
    return Source(name, files, tuple(cls.mirrors), aliases, 10, (1, 28, 28), (60_000, 10_000), _read_mnist)


def _cifar(name: str, cls: type, classes: int, key: bytes, aliases: tuple[str, ...]) -> Source:
    base = cls.url.rsplit("/", 1)[0] + "/"
    return Source(name, ((cls.filename, cls.tgz_md5),), (base,), aliases, classes, (3, 32, 32), (50_000, 10_000),
                  _cifar_reader(cls, key))


def _sources() -> dict[str, Source]:
    from torchvision import datasets as tv

    return {
        "mnist": _mnist_like("mnist", tv.MNIST, ("MNIST",)),
        "fashion-mnist": _mnist_like("fashion-mnist", tv.FashionMNIST, ("FashionMNIST", "fashion_mnist")),
        "cifar10": _cifar("cifar10", tv.CIFAR10, 10, b"labels", ("cifar-10", "CIFAR10")),
        "cifar100": _cifar("cifar100", tv.CIFAR100, 100, b"fine_labels", ("cifar-100", "CIFAR100")),
    }


class _Sources(collections.UserDict):
    """The data sets by name, read from torchvision the first time one is asked for: importing
    torchvision takes over a second, which a process that loads no data (a notebook re-executed
    from the store) need not pay."""

    def __init__(self):  # no UserDict.__init__: it would set the data this class builds lazily
        pass

    @functools.cached_property
    def data(self) -> dict[str, Source]:
        return _sources()


SOURCES: MutableMapping[str, Source] = _Sources()

#: Per-channel (mean, std) of each training set, used when ``load(normalize=True)``.
NORMALIZATION: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "mnist": ((0.1307,), (0.3081,)),
    "fashion-mnist": ((0.2860,), (0.3530,)),
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)),
    "cifar100": ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
}


def _stamp(path: Path) -> tuple[int, int, int]:
    """What changes when a file is rewritten: its size, modification time and inode."""
    st = path.stat()
    return st.st_size, st.st_mtime_ns, st.st_ino


@functools.lru_cache(maxsize=64)
def _md5_of(path: Path, size: int, mtime_ns: int, inode: int) -> str:
    """:func:`_md5` once per process for each state of a file (its :func:`_stamp`)."""
    return _md5(path)


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _verify(path: Path, md5: str) -> None:
    actual = _md5_of(path.resolve(), *_stamp(path))
    if actual != md5:
        raise ChecksumError(
            f"{path} has MD5 {actual}, but the official file has {md5}. The file is corrupt, "
            f"truncated or not the official archive: delete it and fetch it again."
        )


def _in_mirror(source: Source, filename: str, mirror: Path) -> Path | None:
    for folder in (source.name, *source.aliases, "."):
        for candidate in (mirror / folder / filename, mirror / folder / "raw" / filename):
            if candidate.is_file():
                return candidate
    return None


def _download(source: Source, filename: str, md5: str, folder: Path) -> str | None:
    """Try each address with torchvision; return None on success, else the last error."""
    from torchvision.datasets.utils import download_url

    error = None
    for url in source.urls:
        try:
            download_url(url + filename, str(folder), filename=filename, md5=md5)
            if (folder / filename).is_file():
                return None
        except Exception as exc:  # network errors come in many types
            error = f"{type(exc).__name__}: {exc}"
    return error or "download produced no file"


def _copy_atomically(src: Path, dst: Path) -> None:
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.part")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def fetch(
    name: str, root: str | Path | None = None, mirror: str | Path | None = None, download: bool = True
) -> Path:
    """Make sure every official archive of ``name`` is in ``<root>/<name>/`` and intact.

    A ``root`` given by the caller must exist (a mistyped path is an error, not a new folder);
    the default, ``data/raw``, is created. Returns the dataset's folder. Raises :class:`ChecksumError` for a corrupt file and
    :class:`DataUnavailable`, with what to do about it, when a file cannot be had.
    """
    if name not in SOURCES:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(sorted(SOURCES))}")
    source = SOURCES[name]
    folder = (validate.existing_folder(root, "data_root") or paths.data_root()) / name
    mirror = Path(mirror) if mirror else paths.default_mirror()
    folder.mkdir(parents=True, exist_ok=True)
    for filename, md5 in source.files:
        target = folder / filename
        if not target.is_file():
            found = _in_mirror(source, filename, mirror) if mirror else None
            if found is not None:
                _verify(found, md5)
                _copy_atomically(found, target)
            elif download:
                error = _download(source, filename, md5, folder)
                if error is not None:
                    raise DataUnavailable(_missing(source, filename, folder, mirror, error))
            else:
                raise DataUnavailable(_missing(source, filename, folder, mirror, "downloads disabled"))
        _verify(target, md5)
    return folder


def _missing(source: Source, filename: str, folder: Path, mirror: Path | None, why: str) -> str:
    where = f"nor in the mirror {mirror}" if mirror else "and no mirror was given (mirror= or CRITBATCH_MIRROR)"
    return (
        f"{source.name}: {filename} is not in {folder} {where}, and it could not be downloaded "
        f"({why}). To fix: put the official file {filename} (from {source.urls[0]}{filename}) "
        f"into {folder}, or point mirror= / CRITBATCH_MIRROR at a folder that holds it (e.g. "
        f"<mirror>/{source.name}/{filename}), or run again with a network connection."
    )


class Dataset(NamedTuple):
    """Images (N, C, H, W) as float32 in [0, 1] or normalised, and int64 labels, on one device."""

    images: torch.Tensor
    labels: torch.Tensor
    classes: int


def load(
    name: str,
    train: bool = True,
    *,
    device: str | torch.device = "cpu",
    normalize: bool = False,
    root: str | Path | None = None,
    mirror: str | Path | None = None,
    download: bool = True,
    subset: int | None = None,
    subset_name: str = "subset",
) -> Dataset:
    """Fetch (if needed), parse and place a whole split on ``device`` in one copy.

    ``normalize`` subtracts and divides by the per-channel constants in :data:`NORMALIZATION`;
    otherwise pixels are scaled to [0, 1] (ToTensor). ``subset``: keep only that many examples,
    a fixed random subset (:func:`subset_indices`), chosen before the pixels are converted (the
    values are those of the whole split's, indexed); ``subset_name`` names it in errors.
    """
    folder = fetch(name, root=root, mirror=mirror, download=download)
    stamps = tuple(_stamp(folder / filename) for filename, _ in SOURCES[name].files)
    images, labels = _parsed(name, folder.resolve(), train, stamps)
    if subset is not None:
        pick = subset_indices(len(labels), subset, subset_name)
        images, labels = images[pick], labels[pick]
    x = images.to(device).permute(0, 3, 1, 2).float().div_(255).contiguous()  # a new tensor: the cache stays as read
    if normalize:
        mean, std = (torch.tensor(v, device=device).view(1, -1, 1, 1) for v in NORMALIZATION[name])
        x = (x - mean) / std
    y = labels.to(device, copy=True)
    return Dataset(x, y, SOURCES[name].classes)


def subset_indices(n: int, size: int, name: str = "subset", seed: int = 0) -> torch.Tensor:
    """The indices of a fixed random subset of ``size`` of ``n`` examples: the first ``size`` of a
    permutation drawn from a generator seeded with ``seed``, so every call, and every seed of a
    study's runs, sees the same examples (a training subset uses seed 0).

    >>> subset_indices(10, 3).tolist(), subset_indices(10, 3, seed=1).tolist()
    ([4, 1, 7], [5, 6, 1])
    """
    if not 0 < size <= n:
        raise ValueError(f"{name} must be in 1..{n}, got {size}")
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:size]


@functools.lru_cache(maxsize=4)
def _parsed(name: str, folder: Path, train: bool, stamps: tuple) -> tuple[torch.Tensor, torch.Tensor]:
    """A split as parsed from its verified archives (NHWC uint8 images, int64 labels), once per
    process for each state of the archives (``stamps``): a sweep worker or a notebook that trains
    many runs on one data set decompresses it once. Callers never write to these tensors."""
    images, labels = SOURCES[name].read(folder, train)
    return torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(labels)


#: Feature sets of Ma et al.'s kernel experiments that cannot be downloaded.
FEATURE_SETS = {
    "timit": "TIMIT (LDC93S1) acoustic frame features; TIMIT is licensed by the Linguistic Data "
             "Consortium and cannot be redistributed",
    "hint-s": "HINT-S speech-in-noise features (Healy et al. 2013); not publicly distributed",
}


def load_features(
    name: str, *, root: str | Path | None = None, device: str | torch.device = "cpu"
) -> tuple[Dataset, Dataset]:
    """The (train, test) splits of a feature set of :data:`FEATURE_SETS`, prepared by the user.

    The file ``<root>/<name>/<name>.npz`` must hold ``x_train`` and ``x_test`` (float, one row
    of features per example) and ``y_train`` and ``y_test`` (integer class labels).
    """
    if name not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {name!r}; known: {', '.join(FEATURE_SETS)}")
    path = Path(root or paths.data_root()) / name / f"{name}.npz"
    if not path.is_file():
        raise DataUnavailable(
            f"{name}: {path} does not exist. {FEATURE_SETS[name]}, so critbatch cannot fetch it. "
            f"To run the paper-scale configuration, obtain the data under its licence, extract "
            f"the features, and save them with numpy.savez({path.name!r}, x_train=..., "
            f"y_train=..., x_test=..., y_test=...) in {path.parent}. The reduced-scale notebooks "
            f"use a labelled substitute instead."
        )
    with np.load(path) as f:
        splits = [(f[f"x_{s}"], f[f"y_{s}"]) for s in ("train", "test")]
    classes = int(max(y.max() for _, y in splits)) + 1
    return tuple(
        Dataset(torch.as_tensor(x, dtype=torch.float32, device=device),
                torch.as_tensor(y, dtype=torch.int64, device=device), classes)
        for x, y in splits
    )


def random_crop_flip(images: torch.Tensor, padding: int, generator: torch.Generator) -> torch.Tensor:
    """Random crop after zero padding, then a random horizontal flip, for a whole batch at once.

    Equivalent to torchvision's ``RandomCrop(size, padding)`` followed by
    ``RandomHorizontalFlip()`` applied per image, but done with one gather on the device.
    """
    n, _, h, w = images.shape
    device = images.device
    padded = torch.nn.functional.pad(images, (padding,) * 4)
    dy = torch.randint(0, 2 * padding + 1, (n,), device=device, generator=generator)
    dx = torch.randint(0, 2 * padding + 1, (n,), device=device, generator=generator)
    flip = torch.rand(n, device=device, generator=generator) < 0.5
    rows = dy[:, None] + torch.arange(h, device=device)
    cols = torch.arange(w, device=device).expand(n, w)
    cols = torch.where(flip[:, None], cols.flip(1), cols) + dx[:, None]
    batch = torch.arange(n, device=device)[:, None, None, None]
    channel = torch.arange(images.shape[1], device=device)[None, :, None, None]
    return padded[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]


def main(argv: list[str] | None = None) -> int:
    """``python -m critbatch.data NAME ...``: fetch and verify datasets ahead of a run."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m critbatch.data", description=main.__doc__)
    parser.add_argument("names", nargs="+", choices=sorted(SOURCES))
    parser.add_argument("--root", type=Path, help="default: $CRITBATCH_DATA or <repo>/data/raw")
    parser.add_argument("--mirror", type=Path, help="a folder of official archives (default: $CRITBATCH_MIRROR)")
    args = parser.parse_args(argv)
    for name in args.names:
        try:
            print(f"{name}: verified in {fetch(name, root=args.root, mirror=args.mirror)}")
        except (DataUnavailable, ChecksumError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    return 0

