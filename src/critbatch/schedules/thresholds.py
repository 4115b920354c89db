r"""Threshold ladders :math:`\varepsilon_m` for stages that advance on the full-gradient norm.

Paper 2 (Umeda & Iiduka 2025, arXiv 2508.05302) moves from stage :math:`m` to :math:`m + 1` the
first time a check finds :math:`\|\nabla f(\theta_t)\| \le \varepsilon_m`; at stage :math:`m`
the batch size is :math:`b_m = \lceil b_0 \delta^m \rceil` and the learning rate
:math:`\eta_m = \eta_0 \gamma^m`. A ladder is a pure function :math:`m \mapsto \varepsilon_m`.

>>> eps = batch_ladder(init=0.5, batch0=8, delta=2)
>>> [round(eps(m), 4) for m in range(4)]
[0.5, 0.3536, 0.25, 0.1768]
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

from .factories import as_batch_size

__all__ = ["Ladder", "batch_ladder", "batch_lr_ladder", "last_stage", "list_ladder"]

Ladder = Callable[[int], "float | None"]


def _check(init: float, delta: float) -> None:
    if not init > 0:
        raise ValueError(f"the first threshold init must be > 0, got {init!r}")
    if not delta >= 1:
        raise ValueError(f"delta must be >= 1 (the batch size grows by delta per stage), got {delta!r}")


def batch_ladder(init: float, batch0: int, delta: float, batch_max: int | None = None) -> Ladder:
    r"""Thresholds that keep :math:`b_m \varepsilon_m^2` constant (rule ``"batch"``, Paper 2's code).

    .. math:: \varepsilon_m = \varepsilon_0 \sqrt{b_0 / b_m}, \qquad
              b_m = \min\bigl(b_{\max}, \lceil b_0 \delta^m \rceil\bigr),

    where :math:`\varepsilon_0` is ``init``, :math:`b_0` is ``batch0``, :math:`\delta \ge 1` is
    ``delta`` and :math:`b_{\max}` is ``batch_max`` (no bound when None). Every stage then sits on
    the critical-batch-size curve :math:`b^\star(\varepsilon) = 2C_2/\varepsilon^2` (notes Sec. 2.5
    and 6; ``utils/get_bs_eps_scheduler.py`` of the official code).
    """
    _check(init, delta)
    if as_batch_size(batch0) != batch0:
        raise ValueError(f"batch0 must be a whole batch size >= 1, got {batch0!r}")

    def ladder(m: int) -> float:
        b = as_batch_size(batch0 * delta**m)
        return init * math.sqrt(batch0 / (min(b, batch_max) if batch_max else b))

    return ladder


def batch_lr_ladder(init: float, delta: float, gamma: float) -> Ladder:
    r"""Thresholds that also follow the learning-rate growth (rule ``"batch_lr"``).

    .. math:: \varepsilon_{m+1} = \varepsilon_m \sqrt{\gamma / \delta}, \quad\text{i.e.}\quad
              \varepsilon_m = \varepsilon_0 (\gamma / \delta)^{m/2},

    where :math:`\varepsilon_0` is ``init``, :math:`\delta \ge 1` the batch-size factor and
    :math:`\gamma > 0` the learning-rate factor per stage. Derived in our notes (Sec. 2.5) from
    :math:`b^\star \propto \eta / \varepsilon^2`; the released code ignores the learning rate.
    """
    _check(init, delta)
    if not gamma > 0:
        raise ValueError(f"gamma must be > 0 (the learning-rate factor per stage), got {gamma!r}")
    return lambda m: init * (gamma / delta) ** (m / 2)


def list_ladder(thresholds: Sequence[float]) -> Ladder:
    r"""Explicit thresholds :math:`\varepsilon_0, \dots, \varepsilon_{n-1}`; stage :math:`n` is final."""
    thresholds = [float(e) for e in thresholds]
    return lambda m: thresholds[m] if m < len(thresholds) else None


def last_stage(batch0: int, delta: float, batch_max: int) -> int | None:
    """The first stage whose batch size reaches ``batch_max`` (Paper 2 switches only while
    :math:`b_m < b_{\\max}`), or None when it is never reached."""
    m = 0
    while as_batch_size(batch0 * delta**m) < batch_max:
        if delta == 1:
            return None
        m += 1
    return m
