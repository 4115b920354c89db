"""Schedules chained one after another (optax's ``join_schedules``).

>>> from critbatch.schedules import linear, polynomial
>>> warmup_then_decay = join([linear(init=0.0, slope=0.25), polynomial(1.0, 0.0, 1.0, horizon=4)],
...                          boundaries=[4])
>>> [warmup_then_decay(k) for k in range(10)]
[0.0, 0.25, 0.5, 0.75, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
"""

from __future__ import annotations

import bisect
from typing import Sequence

from .progress import Progress, Schedule, check_unit, read, shift

__all__ = ["join"]


def join(schedules: Sequence[Schedule], boundaries: Sequence[float], unit: str = "step") -> Schedule:
    r"""Schedule :math:`s_j` between boundaries :math:`t_{j-1}` and :math:`t_j`, restarted at each.

    .. math:: v(t) = s_j(t - t_{j-1}) \quad \text{for} \quad t_{j-1} \le t < t_j,
              \qquad t_{-1} = 0,\ t_J = \infty,

    where :math:`t` is the ``unit`` field of the progress, :math:`t_0 < \dots < t_{J-1}` are the
    ``boundaries`` and :math:`s_0, \dots, s_J` the ``schedules`` (one more than the boundaries).
    Schedule :math:`s_j` is called with a progress whose ``unit`` field is lowered by
    :math:`t_{j-1}`; its other fields are passed unchanged, so give the parts the same ``unit``.
    """
    check_unit(unit)
    schedules, boundaries = list(schedules), list(boundaries)
    if len(schedules) != len(boundaries) + 1:
        raise ValueError(f"need len(schedules) == len(boundaries) + 1, got {len(schedules)} and {len(boundaries)}")
    if any(b >= c for b, c in zip(boundaries, boundaries[1:])):
        raise ValueError(f"boundaries must increase strictly, got {boundaries}")
    offsets = [0] + boundaries

    def schedule(progress: int | Progress) -> float:
        j = bisect.bisect_right(boundaries, read(progress, unit))
        return schedules[j](shift(progress, unit, offsets[j]))

    return schedule
