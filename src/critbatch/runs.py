"""One entry point for every kind of run: ``critbatch.run(config)``.

A *run type* is a frozen dataclass config together with the function that trains it,
``train(config, **options) -> (log, summary)``. Each registers itself where it is defined
(:class:`critbatch.train.TrainConfig` in the core, the kernel runs of Paper 3 in its folder),
so the core never needs to know a paper. :func:`run` loads the run for a config from the
results store, or trains it and stores it; a run type registered with ``checkpoints=True``
is given a checkpoint file under ``data/checkpoints/`` and resumes from it after a kill.

Every trainer's summary says where its time went: ``seconds`` of training and
``measure_seconds`` of measurement (evaluations, logged statistics), apart, so that a sweep can
estimate a run's cost and a study the share of it spent measuring (:class:`Stopwatch`).

Options are what cannot change a result (device, data folders, progress bars, evaluation batch):
they are passed to the trainer and never hashed. The one setting that can change a result without
being part of its config, the number of CPU threads (conv and matrix kernels reduce in another
order), is pinned for every run (``threads=1`` unless asked otherwise) and recorded in its summary.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Square:
...     x: float
>>> register(Square, lambda config: (None, {"value": config.x ** 2}))
>>> registered(Square(3.0))
True
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import torch

from . import devices, paths, validate
from .store import Result, Store, config_key, register_type, remove_stale_parts

__all__ = ["Stopwatch", "declared_only", "onednn", "onednn_wanted", "pinned_threads", "register", "registered", "run", "train"]


@dataclass(frozen=True)
class _RunType:
    train: Callable[..., tuple]
    checkpoints: bool


_RUN_TYPES: dict[type, _RunType] = {}


def register(config_type: type, train: Callable[..., tuple], *, checkpoints: bool = False) -> None:
    """Make ``critbatch.run`` train configs of ``config_type`` with ``train(config, **options)``;
    with ``checkpoints``, ``train`` also takes ``checkpoint=<path>`` and resumes from it."""
    register_type(config_type)
    _RUN_TYPES[config_type] = _RunType(train, checkpoints)


def _run_type(config: Any) -> _RunType:
    if not registered(config):
        known = ", ".join(sorted(t.__name__ for t in _RUN_TYPES)) or "none yet"
        raise TypeError(f"no run type registered for {type(config).__name__} (registered: {known}); "
                        "register it with critbatch.runs.register(ConfigType, train)")
    return _RUN_TYPES[type(config)]


def registered(config: Any) -> bool:
    """Whether :func:`run` knows how to train ``config``."""
    return type(config) in _RUN_TYPES


class Stopwatch:
    """The seconds spent inside its ``with`` blocks, summed: a trainer's measurement time.

    >>> watch = Stopwatch()
    >>> with watch:
    ...     pass
    >>> 0 < watch.seconds < 1
    True
    """

    def __init__(self):
        self.seconds = 0.0

    def __enter__(self) -> "Stopwatch":
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds += time.perf_counter() - self._started


@contextlib.contextmanager
def pinned_threads(threads: int) -> Iterator[None]:
    """Run the body with ``threads`` CPU threads in torch, restoring the previous count after."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def onednn(enabled: bool) -> Iterator[None]:
    """Run the body with oneDNN, torch's CPU convolution library, on or off."""
    before = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = enabled
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = before


def train(config: Any, *, threads: int = 1, **options) -> tuple:
    """Train ``config`` on ``threads`` pinned CPU threads, checkpointing (if its run type does)
    to ``data/checkpoints/<key>.pt`` and resuming from it, the checkpoint removed once the run
    ends (and the half-written checkpoints of killed processes before it starts); its log and
    summary (which records ``threads``). Stores nothing: :func:`run` does, and so does a
    sweep's driver.

    The summary also records the machine: ``cpu`` (its model: results are bit-for-bit the same
    only on the same model) and ``onednn``. oneDNN, torch's CPU convolution library, is off
    unless ``CRITBATCH_ONEDNN=on``: on an AMD EPYC VM with torch 2.14.1 its convolution backward
    corrupts memory (a crash at best; silently wrong numbers cannot be ruled out). Off, the
    convolutions are slower and reduce in another order; the MLP and NumPy runs do not use it."""
    run_type = _run_type(config)
    checkpoint = paths.checkpoint_dir() / f"{config_key(config)}.pt" if run_type.checkpoints else None
    if checkpoint is not None and checkpoint.parent.is_dir():  # debris of saves that a kill interrupted
        remove_stale_parts(checkpoint.parent)
    use_onednn = onednn_wanted()
    with pinned_threads(validate.positive_int(threads, "threads")), onednn(use_onednn):
        log, summary = run_type.train(config, **options, **({"checkpoint": checkpoint} if checkpoint else {}))
    if checkpoint is not None:  # finished: a later call must train again, not resume a finished run
        checkpoint.unlink(missing_ok=True)
    return log, {**summary, "threads": threads, "cpu": devices.cpu_model(), "onednn": "on" if use_onednn else "off"}


def onednn_wanted() -> bool:
    """Whether runs use oneDNN: ``CRITBATCH_ONEDNN`` is ``on`` or ``off`` (unset: off)."""
    value = os.environ.get("CRITBATCH_ONEDNN", "off")
    if value not in ("on", "off"):
        raise ValueError(f"CRITBATCH_ONEDNN must be 'on' or 'off', got {value!r}; unset it for the default (off)")
    return value == "on"


_MEASURING: contextvars.ContextVar[str | None] = contextvars.ContextVar("measuring", default=None)


@contextlib.contextmanager
def declared_only(figure: str) -> Iterator[None]:
    """Inside the body, :func:`run` refuses: a figure measures only the runs it declared and
    was given (:class:`critbatch.chapters.Figure`), so a run it loads on the side is an error."""
    token = _MEASURING.set(figure)
    try:
        yield
    finally:
        _MEASURING.reset(token)


def run(config: Any, store: Store | None = None, *, paper: str | None = None, **options) -> Result:
    """The stored result of ``config``: loaded from ``store`` (default ``data/results``), or
    trained with ``options`` (see :func:`train`; one thread unless ``threads`` says otherwise)
    and stored (``paper`` names the paper it was made for)."""
    if _MEASURING.get() is not None:
        raise RuntimeError(f"figure {_MEASURING.get()} loaded run {config_key(config)} "
                           f"({type(config).__name__}) that its runs do not declare; add it to the figure's runs")
    _run_type(config)
    store = store if store is not None else Store()
    return store.get(config, lambda: train(config, **options), paper=paper)
