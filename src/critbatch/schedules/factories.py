"""Constant, piecewise-constant, linear and exponential schedules, and batch-size rounding.

Each factory returns a pure function of a :class:`~critbatch.schedules.Progress` (or of the step,
given as a plain number) and reads the field named by its ``unit``. Batch-size schedules use the
same factories; the caller rounds with :func:`as_batch_size`.

>>> b = exponential(init=8, rate=2, unit="stage", cap=4096)
>>> [as_batch_size(b(Progress(step=0, epoch=0.0, examples=0, stage=m))) for m in (0, 1, 9, 10)]
[8, 16, 4096, 4096]
"""

from __future__ import annotations

import bisect
import math

from .progress import Progress, Schedule, check_unit, read

__all__ = ["as_batch_size", "constant", "exponential", "linear", "piecewise_constant"]


def constant(value: float, unit: str = "step") -> Schedule:
    r"""The schedule :math:`v(t) = v` for every :math:`t`; ``value`` is returned as given.

    >>> constant(0.1)(7)
    0.1
    """
    check_unit(unit)

    def schedule(progress: int | Progress) -> float:
        read(progress, unit)  # type check only
        return value

    return schedule


def piecewise_constant(boundaries: list[float], values: list[float], unit: str = "step") -> Schedule:
    r"""Values held between boundaries.

    .. math:: v(t) = v_j \quad \text{for} \quad t_{j-1} \le t < t_j, \qquad t_{-1} = -\infty,\ t_J = \infty,

    where :math:`t` is the ``unit`` field of the progress, :math:`t_0 < \dots < t_{J-1}` the
    ``boundaries`` and :math:`v_0, \dots, v_J` the ``values`` (one more than the boundaries).

    >>> lr = piecewise_constant(boundaries=[40, 80], values=[0.1, 0.05, 0.025], unit="epoch")
    >>> [lr(Progress(step=0, epoch=e, examples=0)) for e in (0.0, 39.9, 40.0, 120.0)]
    [0.1, 0.1, 0.05, 0.025]
    """
    check_unit(unit)
    if len(values) != len(boundaries) + 1:
        raise ValueError(f"need len(values) == len(boundaries) + 1, got {len(values)} and {len(boundaries)}")
    if any(b >= c for b, c in zip(boundaries, boundaries[1:])):
        raise ValueError(f"boundaries must increase strictly, got {boundaries}")
    boundaries, values = list(boundaries), list(values)

    def schedule(progress: int | Progress) -> float:
        return values[bisect.bisect_right(boundaries, read(progress, unit))]

    return schedule


def linear(init: float, slope: float, unit: str = "step", cap: float | None = None,
           staircase: bool = False) -> Schedule:
    r"""A straight line, optionally bounded.

    .. math:: v(t) = \min(v_0 + c\,t,\ v_{\max}) \ \text{if}\ c \ge 0, \qquad
              v(t) = \max(v_0 + c\,t,\ v_{\max}) \ \text{if}\ c < 0,

    where :math:`t` is the ``unit`` field of the progress (rounded down with ``staircase``),
    :math:`v_0` is ``init``, :math:`c` is ``slope`` and :math:`v_{\max}` is ``cap`` (no bound when
    None). Paper 2's linear batch-size growth is :math:`b_m = \min(b_{\max}, b_0 + c\,m)` with
    ``unit="stage"`` (Umeda & Iiduka 2025, arXiv 2508.05302, code ``linear_growth``).

    >>> b = linear(init=16, slope=8, unit="stage", cap=40)
    >>> [b(Progress(step=0, epoch=0.0, examples=0, stage=m)) for m in range(5)]
    [16, 24, 32, 40, 40]
    """
    check_unit(unit)
    bound = (min if slope >= 0 else max) if cap is not None else None

    def schedule(progress: int | Progress) -> float:
        value = init + slope * read(progress, unit, staircase)
        return bound(value, cap) if bound else value

    return schedule


def exponential(init: float, rate: float, unit: str = "step", cap: float | None = None,
                staircase: bool = False) -> Schedule:
    r"""Geometric growth (``rate > 1``) or decay (``rate < 1``), optionally bounded.

    .. math:: v(t) = \min(v_0\,r^{t},\ v_{\text{cap}}) \ \text{if}\ r \ge 1, \qquad
              v(t) = \max(v_0\,r^{t},\ v_{\text{cap}}) \ \text{if}\ r < 1,

    where :math:`t` is the ``unit`` field of the progress (rounded down with ``staircase``),
    :math:`v_0 > 0` is ``init``, :math:`r > 0` is ``rate`` and :math:`v_{\text{cap}}` is ``cap``
    (no bound when None). Paper 2's stage-wise growth is :math:`b_m = \min(b_{\max}, \lceil b_0
    \delta^m \rceil)` and :math:`\eta_m = \eta_0 \gamma^m` with ``unit="stage"`` (Umeda & Iiduka
    2025, arXiv 2508.05302; Sec. 2.2 of our notes); Paper 4's ``ExponentialLR(0.9)`` is ``rate=0.9, unit="epoch",
    staircase=True``.

    >>> lr = exponential(init=0.1, rate=1.4, unit="stage")
    >>> [round(lr(Progress(step=0, epoch=0.0, examples=0, stage=m)), 4) for m in range(4)]
    [0.1, 0.14, 0.196, 0.2744]
    """
    check_unit(unit)
    if not init > 0:
        raise ValueError(f"exponential needs init > 0, got {init!r}")
    if not rate > 0:
        raise ValueError(f"exponential needs rate > 0 (rate > 1 grows, rate < 1 decays), got {rate!r}")
    bound = (min if rate >= 1 else max) if cap is not None else None

    def schedule(progress: int | Progress) -> float:
        try:
            value = init * rate ** read(progress, unit, staircase)
        except OverflowError:
            value = math.inf
        return bound(value, cap) if bound else value

    return schedule


def as_batch_size(value: float) -> int:
    r"""A schedule's value as a batch size: :math:`b = \lceil v \rceil` (Paper 2's
    :math:`b_m = \lceil b_0 \delta^m \rceil`).

    Values within a relative :math:`10^{-9}` of an integer count as that integer, so floating-point
    noise such as ``100 * 1.1**2 == 121.00000000000003`` gives 121, not 122.

    >>> [as_batch_size(v) for v in (8, 12.0, 32 * 1.5**3, 1.2, 100 * 1.1**2)]
    [8, 12, 108, 2, 121]
    """
    try:
        if isinstance(value, (str, bytes, bool)):
            raise TypeError
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"a batch size must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"a batch size must be finite, got {value!r}; bound the schedule with cap")
    nearest = round(v)
    v = nearest if abs(v - nearest) <= 1e-9 * max(1.0, abs(v)) else v
    if v < 1:
        raise ValueError(f"a batch size must be >= 1, got {value!r}; raise the schedule's init or bound it with cap")
    return math.ceil(v)
