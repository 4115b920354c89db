"""One entry point for every kind of run: ``critbatch.run(config)``.

A *run type* is a frozen dataclass config together with the function that trains it,
``train(config, **options) -> (log, summary)``. Each registers itself where it is defined
(:class:`critbatch.train.TrainConfig` in the core, the kernel runs of Paper 3 in its folder),
so the core never needs to know a paper. :func:`run` loads the run for a config from the
results store, or trains it and stores it; a run type registered with ``checkpoints=True``
is given a checkpoint file under ``data/checkpoints/`` and resumes from it after a kill.

Options are what cannot change a result (device, data folders, progress bars, evaluation batch):
they are passed to the trainer and never hashed.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Square:
...     x: float
>>> register(Square, lambda config: (None, {"value": config.x ** 2}))
>>> registered(Square(3.0))
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from . import paths
from .store import Result, Store, config_key, register_type

__all__ = ["register", "registered", "run"]


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


def registered(config: Any) -> bool:
    """Whether :func:`run` knows how to train ``config``."""
    return type(config) in _RUN_TYPES


def run(config: Any, store: Store | None = None, *, paper: str | None = None, **options) -> Result:
    """The stored result of ``config``: loaded from ``store`` (default ``data/results``), or
    trained with ``options`` and stored (``paper`` names the paper it was made for)."""
    if not registered(config):
        known = ", ".join(sorted(t.__name__ for t in _RUN_TYPES)) or "none yet"
        raise TypeError(f"no run type registered for {type(config).__name__} (registered: {known}); "
                        "register it with critbatch.runs.register(ConfigType, train)")
    run_type = _RUN_TYPES[type(config)]
    store = store if store is not None else Store()
    if not run_type.checkpoints:
        return store.get(config, lambda: run_type.train(config, **options), paper=paper)
    checkpoint = paths.checkpoint_dir() / f"{config_key(config)}.pt"
    result = store.get(config, lambda: run_type.train(config, checkpoint=checkpoint, **options), paper=paper)
    checkpoint.unlink(missing_ok=True)
    return result
