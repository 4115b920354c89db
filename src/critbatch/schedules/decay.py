"""Decays over a fixed horizon: polynomial (optax's ``polynomial_schedule``) and cosine.

These are Paper 4's learning-rate schedules (Sato & Iiduka, arXiv 2311.08745, LR-schedule
comparison; Sec. 3.3 of our notes): PyTorch's ``PolynomialLR(total_iters=E, power=p)`` and
``CosineAnnealingLR(T_max=E)``, stepped once per epoch, are ``unit="epoch", staircase=True``.

>>> lr = polynomial(init=0.1, end=0.0, power=1.0, horizon=200, unit="epoch", staircase=True)
>>> round(lr(Progress(step=0, epoch=100.7, examples=0)), 6)
0.05
"""

from __future__ import annotations

import math

from .progress import Progress, Schedule, check_unit, read

__all__ = ["cosine", "polynomial"]


def _check_horizon(horizon: float) -> None:
    if not horizon > 0:
        raise ValueError(f"horizon must be > 0, got {horizon!r}; use constant() for a flat schedule")


def polynomial(init: float, end: float, power: float, horizon: float, unit: str = "step",
               staircase: bool = False) -> Schedule:
    r"""Polynomial interpolation from ``init`` to ``end``, then held at ``end``.

    .. math:: v(t) = v_{\text{end}} + (v_0 - v_{\text{end}})
              \Bigl(1 - \frac{\min(t, T)}{T}\Bigr)^{p},

    where :math:`t \ge 0` is the ``unit`` field of the progress (rounded down with ``staircase``),
    :math:`v_0` is ``init``, :math:`v_{\text{end}}` is ``end``, :math:`p > 0` is ``power`` and
    :math:`T > 0` is ``horizon``; :math:`v(t) = v_{\text{end}}` for :math:`t \ge T`. Paper 4's
    "optimal noise scheduling" uses :math:`v_{\text{end}} = 0` and :math:`p \le 1`.

    >>> lr = polynomial(init=1.0, end=0.0, power=2.0, horizon=4)
    >>> [lr(k) for k in range(6)]
    [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """
    check_unit(unit)
    _check_horizon(horizon)
    if not power > 0:
        raise ValueError(f"power must be > 0, got {power!r}; use constant() for a flat schedule")

    def schedule(progress: int | Progress) -> float:
        t = min(max(read(progress, unit, staircase), 0), horizon)
        return end + (init - end) * (1 - t / horizon) ** power

    return schedule


def cosine(init: float, end: float, horizon: float, unit: str = "step", staircase: bool = False) -> Schedule:
    r"""Half a cosine from ``init`` down to ``end``, then held at ``end``.

    .. math:: v(t) = v_{\text{end}} + \frac{v_0 - v_{\text{end}}}{2}
              \Bigl(1 + \cos\frac{\pi \min(t, T)}{T}\Bigr),

    where :math:`t \ge 0` is the ``unit`` field of the progress (rounded down with ``staircase``),
    :math:`v_0` is ``init``, :math:`v_{\text{end}}` is ``end`` and :math:`T > 0` is ``horizon``.
    This is PyTorch's ``CosineAnnealingLR`` with ``eta_min = end`` for :math:`t \le T`.

    >>> lr = cosine(init=1.0, end=0.0, horizon=4)
    >>> [round(lr(k), 4) for k in range(6)]
    [1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    """
    check_unit(unit)
    _check_horizon(horizon)

    def schedule(progress: int | Progress) -> float:
        t = min(max(read(progress, unit, staircase), 0), horizon)
        return end + (init - end) * (1 + math.cos(math.pi * t / horizon)) / 2

    return schedule
