"""Where the project keeps data, results and checkpoints.

Notebooks run from their own folder (papermill, nbval), tests from the repository root; both
find the repository by walking up to the ``pyproject.toml`` that names this project.
Environment variables override each default, for users who keep data elsewhere.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

__all__ = ["benchmarks_dir", "checkpoint_dir", "data_root", "default_mirror", "project_root", "results_dir", "results_in"]


def project_root(start: str | Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: the working directory) holding
    critbatch's ``pyproject.toml``; falls back to the checkout this module was imported from."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents, *Path(__file__).resolve().parents):
        toml = folder / "pyproject.toml"
        if toml.is_file() and 'name = "critbatch"' in toml.read_text():
            return folder
    raise FileNotFoundError(
        f"no critbatch checkout found at or above {here}; run from inside the repository "
        "or set CRITBATCH_DATA / CRITBATCH_RESULTS explicitly"
    )


def _from_env(variable: str, default: str) -> Path:
    value = os.environ.get(variable)
    return Path(value) if value else project_root() / default


def data_root() -> Path:
    """Downloaded dataset archives: ``$CRITBATCH_DATA`` or ``<repo>/data/raw``."""
    return _from_env("CRITBATCH_DATA", "data/raw")


def results_dir() -> Path:
    """Committed run results: ``$CRITBATCH_RESULTS`` or ``<repo>/data/results``."""
    return _from_env("CRITBATCH_RESULTS", "data/results")


@contextlib.contextmanager
def results_in(root: Path) -> Iterator[None]:
    """In the body, every default store is ``root`` (:func:`results_dir`) and cache-only: what
    is looked up there is never trained on the side."""
    before = {name: os.environ.get(name) for name in ("CRITBATCH_RESULTS", "CRITBATCH_CACHE_ONLY")}
    os.environ.update(CRITBATCH_RESULTS=str(root), CRITBATCH_CACHE_ONLY="1")
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def benchmarks_dir() -> Path:
    """Committed speed measurements (``benchmarks/``): ``$CRITBATCH_BENCHMARKS`` or ``<repo>/data/benchmarks``."""
    return _from_env("CRITBATCH_BENCHMARKS", "data/benchmarks")


def checkpoint_dir() -> Path:
    """Checkpoints of unfinished runs: ``$CRITBATCH_CHECKPOINTS`` or ``<repo>/data/checkpoints``."""
    return _from_env("CRITBATCH_CHECKPOINTS", "data/checkpoints")


def default_mirror() -> Path | None:
    """An offline folder of official dataset archives: ``$CRITBATCH_MIRROR``, if set."""
    value = os.environ.get("CRITBATCH_MIRROR")
    return Path(value) if value else None
