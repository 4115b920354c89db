"""Learning-rate and batch-size schedules as pure functions of progress (optax style).

A schedule maps a :class:`Progress` record (updates taken, epochs, examples seen, stage) to a
value; each factory's ``unit`` says which field it reads, ``"step"`` by default, and a plain
number is read as the step. With no hidden state, resuming a run only means rebuilding the
record. The one stateful piece, :class:`Stages`, holds the current stage of Paper 2's
stage-wise schedules. Configs store schedules and stages as small JSON-able specs,
``{"kind": ..., **arguments}``, that :func:`from_spec` and :func:`stages_from_spec` turn back
into objects; a spec's meaning never changes (new arguments get defaults that keep it).

>>> bs = piecewise_constant(boundaries=[100, 200], values=[16, 32, 64])
>>> [bs(k) for k in (0, 99, 100, 250)]
[16, 16, 32, 64]
>>> lr = from_spec({"kind": "exponential", "init": 0.1, "rate": 1.4, "unit": "stage"})
>>> round(lr(Progress(step=5000, epoch=0.8, examples=40_000, stage=2)), 4)
0.196
"""

from __future__ import annotations

from ..specs import resolve
from .decay import cosine, polynomial
from .factories import as_batch_size, constant, exponential, linear, piecewise_constant
from .join import join
from .progress import UNITS, Progress, Schedule
from .stages import Stages, periodic_stages, stages_from_spec, threshold_stages
from .thresholds import batch_ladder, batch_lr_ladder

__all__ = [
    "Progress", "Schedule", "Stages", "UNITS", "as_batch_size", "batch_ladder", "batch_lr_ladder",
    "constant", "cosine", "exponential", "from_spec", "join", "linear", "periodic_stages",
    "piecewise_constant", "polynomial", "stages_from_spec", "threshold_stages",
]


def _join_spec(schedules: list, boundaries: list, unit: str = "step") -> Schedule:
    """:func:`join` whose parts may be specs themselves."""
    return join([from_spec(s) if isinstance(s, dict) else s for s in schedules], boundaries, unit)


_FACTORIES = {"constant": constant, "piecewise_constant": piecewise_constant, "linear": linear,
              "exponential": exponential, "polynomial": polynomial, "cosine": cosine, "join": _join_spec}


def from_spec(spec: dict) -> Schedule:
    """Build a schedule from ``{"kind": name, **arguments}``; ``kind`` names a factory above.

    >>> from_spec({"kind": "constant", "value": 0.1})(7)
    0.1
    >>> from_spec({"kind": "join", "boundaries": [2], "schedules": [
    ...     {"kind": "constant", "value": 1}, {"kind": "linear", "init": 1, "slope": 1}]})(5)
    4
    """
    return resolve(spec, _FACTORIES, "schedule")()
