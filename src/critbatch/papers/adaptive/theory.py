r"""The closed forms behind Umeda & Iiduka's scheduler (notes Sec. 6; derived there from the
bound :math:`\min_{t<T} \mathbb E\|\nabla f(\theta_t)\|^2 \le B_T + V_T` of the lab's earlier paper).

Constant batch size :math:`b` and learning rate :math:`\eta < 2/L`: :math:`\mathbb E\|\nabla f\|^2
\le C_1/T + C_2/b` with :math:`C_1 = 2(f(\theta_0) - f^\star)/((2 - L\eta)\eta)` and
:math:`C_2 = L\sigma^2\eta/(2 - L\eta)`, so that an :math:`\varepsilon`-approximation needs

.. math:: T(b) = \frac{C_1 b}{\varepsilon^2 b - C_2}, \qquad N(b) = b\,T(b) = \frac{C_1 b^2}{\varepsilon^2 b - C_2},
          \qquad b^\star = \frac{2 C_2}{\varepsilon^2},

for :math:`b > C_2/\varepsilon^2`; :math:`N` is convex with its minimum, the critical batch size,
at :math:`b^\star`, where :math:`T(b^\star) = 2C_1/\varepsilon^2` and :math:`N(b^\star) = 4C_1C_2/\varepsilon^4`.

>>> c1, c2 = 10.0, 2.0
>>> float(critical_batch_size(0.5, c2)), float(sfo(16.0, 0.5, c1, c2))  # N(b*) = 4 C1 C2 / eps^4
(16.0, 1280.0)
>>> float(critical_batch_size(0.5, c2) / critical_batch_size(1.0, c2))  # b* ~ 1/eps^2
4.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from critbatch.schedules import as_batch_size, batch_ladder, batch_lr_ladder

__all__ = ["Fit", "bound", "constants", "critical_batch_size", "decay_rate", "fit", "ladder", "ratio_growth", "sfo", "steps"]


def constants(L: float, sigma2: float, eta: float, gap: float) -> tuple[float, float]:
    r""":math:`(C_1, C_2)` for smoothness :math:`L`, gradient variance :math:`\sigma^2`, learning
    rate :math:`\eta < 2/L` and initial gap :math:`f(\theta_0) - f^\star`.

    >>> constants(L=1.0, sigma2=4.0, eta=1.0, gap=3.0)
    (6.0, 4.0)
    """
    if not 0 < eta < 2 / L:
        raise ValueError(f"the learning rate must be in (0, 2/L) = (0, {2 / L:g}), got {eta!r}")
    return 2 * gap / ((2 - L * eta) * eta), L * sigma2 * eta / (2 - L * eta)


def steps(b, eps: float, c1: float, c2: float):
    r""":math:`T(b) = C_1 b / (\varepsilon^2 b - C_2)`; infinite where :math:`b \le C_2/\varepsilon^2`."""
    b = np.asarray(b, dtype=float)
    denominator = eps**2 * b - c2
    with np.errstate(divide="ignore"):
        return np.where(denominator > 0, c1 * b / np.where(denominator > 0, denominator, 1.0), np.inf)


def sfo(b, eps: float, c1: float, c2: float):
    r""":math:`N(b) = b\,T(b)`."""
    return np.asarray(b, dtype=float) * steps(b, eps, c1, c2)


def critical_batch_size(eps, c2: float):
    r""":math:`b^\star = 2C_2/\varepsilon^2`, the minimiser of :math:`N`."""
    return 2 * c2 / np.asarray(eps, dtype=float) ** 2


@dataclass(frozen=True)
class Fit:
    r"""The line :math:`1/T = \alpha + \beta/b` through measured :math:`(b, T_\varepsilon(b))`, and
    what it implies: :math:`C_1 = \varepsilon^2/\alpha`, :math:`C_2 = -\beta C_1`, :math:`b^\star = -2\beta/\alpha`."""

    eps: float
    alpha: float  # intercept of 1/T against 1/b
    beta: float  # slope
    points: int  # batch sizes used

    @property
    def c1(self) -> float:
        return self.eps**2 / self.alpha

    @property
    def c2(self) -> float:
        return -self.beta * self.c1

    @property
    def critical(self) -> float:
        """:math:`b^\\star`; NaN where the fit has no U (alpha <= 0 or beta >= 0)."""
        return -2 * self.beta / self.alpha if self.alpha > 0 and self.beta < 0 else math.nan

    def sfo(self, b):
        """The fitted :math:`N(b)`."""
        return sfo(b, self.eps, self.c1, self.c2)


def fit(b, t, eps: float) -> Fit | None:
    r"""Least squares of :math:`1/T` on :math:`1/b` over the finite points (None under two).

    >>> b = np.array([4.0, 8, 16, 32, 64])
    >>> f = fit(b, steps(b, 0.5, 10.0, 0.5), 0.5)
    >>> round(f.c1, 6), round(f.c2, 6), round(f.critical, 6)
    (10.0, 0.5, 4.0)
    """
    b, t = np.asarray(b, dtype=float), np.asarray(t, dtype=float)
    ok = np.isfinite(t) & (t > 0)
    if ok.sum() < 2:
        return None
    beta, alpha = np.polyfit(1 / b[ok], 1 / t[ok], 1)
    return Fit(float(eps), float(alpha), float(beta), int(ok.sum()))


def bound(delta: float, gamma: float, stages: int, *, steps_per_stage: int = 100, eta0: float = 0.05,
          b0: int = 8, L: float = 1.0, sigma2: float = 1.0, gap: float = 1.0) -> pd.DataFrame:
    r""":math:`B_T` and :math:`V_T` after each of ``stages`` stages of ``steps_per_stage`` steps with
    :math:`b_m = \lceil b_0\delta^m\rceil` and :math:`\eta_m = \eta_0\gamma^m`:

    .. math:: B_T = \frac{2(f(\theta_0) - f^\star)}{(2 - L\eta_{\max})\sum_t \eta_t}, \qquad
              V_T = \frac{L\sigma^2}{2 - L\eta_{\max}} \frac{\sum_t \eta_t^2/b_t}{\sum_t \eta_t},

    with :math:`\eta_{\max}` the largest rate so far; NaN once :math:`\eta_{\max} \ge 2/L`, where
    the bound says nothing. One row per stage count :math:`M = 1, 2, \dots`; ``ratio`` is
    :math:`V_T/B_T = L\sigma^2 \sum_t \eta_t^2/b_t \,/\, (2(f(\theta_0) - f^\star))`, defined
    even where the bound is not, which converges iff :math:`\gamma < \sqrt\delta` (its growth factor
    per stage tends to :math:`\max(1, \gamma^2/\delta)`, :func:`ratio_growth`).

    >>> table = bound(2, 1.0, 3, steps_per_stage=1, eta0=1.0, b0=1)
    >>> table.variance.round(4).tolist()  # constant rate, b = 1, 2, 4: V = (1 + 1/2 + 1/4) / 3
    [1.0, 0.75, 0.5833]
    """
    rows, sum_eta, sum_var, eta_max = [], 0.0, 0.0, 0.0
    for m in range(stages):
        eta, b = eta0 * gamma**m, as_batch_size(b0 * delta**m)
        sum_eta += steps_per_stage * eta
        sum_var += steps_per_stage * eta**2 / b
        eta_max = max(eta_max, eta)
        margin = 2 - L * eta_max
        bias = 2 * gap / (margin * sum_eta) if margin > 0 else math.nan
        variance = L * sigma2 / margin * sum_var / sum_eta if margin > 0 else math.nan
        rows.append({"stages": m + 1, "batch_size": b, "lr": eta, "bias": bias, "variance": variance,
                     "bound": bias + variance, "ratio": L * sigma2 * sum_var / (2 * gap)})
    return pd.DataFrame(rows)


def decay_rate(delta: float, gamma: float) -> float:
    r"""The factor by which :math:`B_T + V_T` shrinks per stage for many stages,
    :math:`\max(1/\gamma,\ \gamma/\delta)` for :math:`\gamma > 1` (bias :math:`\sim\gamma^{-M}`,
    variance :math:`\sim(\gamma/\delta)^M` once :math:`\gamma^2 > \delta`), 1 for :math:`\gamma = 1`
    (then the decay is only :math:`O(1/M)`). The variance takes over at :math:`\gamma = \sqrt\delta`,
    the boundary of the theory; at :math:`\gamma \ge \delta` the bound no longer vanishes.

    >>> [round(decay_rate(2, g), 4) for g in (1.0, 1.2, 1.4, 1.5, 2.0)]
    [1.0, 0.8333, 0.7143, 0.75, 1.0]
    """
    if gamma <= 1:
        return 1.0
    return max(1 / gamma, gamma / delta)


def ratio_growth(delta: float, gamma: float) -> float:
    r"""The limit of :math:`(V/B)_{M+1} / (V/B)_M`: :math:`\max(1, \gamma^2/\delta)`. Above 1 (the
    variance overtakes the bias geometrically) exactly when :math:`\gamma > \sqrt\delta`.

    >>> [ratio_growth(2, g) for g in (1.0, 1.4, 1.5, 2.0)]
    [1.0, 1.0, 1.125, 2.0]
    """
    return max(1.0, gamma**2 / delta)


def ladder(stages: int, *, b0: int = 8, delta: float = 2, gamma: float = 1.4, eta0: float = 0.1,
           eps0: float = 0.5, batch_max: int | None = 4096) -> pd.DataFrame:
    r"""The adaptive ladder per stage :math:`m`: :math:`b_m`, :math:`\eta_m`, and :math:`\varepsilon_m`
    under the code's rule (``eps_batch``: :math:`\varepsilon_0\sqrt{b_0/b_m}`) and the rule that also
    follows the rate (``eps_batch_lr``: :math:`\varepsilon_0(\gamma/\delta)^{m/2}`), with
    :math:`b_m\varepsilon_m^2` (constant under the code's rule: every stage on one :math:`b^\star` curve).

    >>> ladder(3)[["batch_size", "eps_batch"]].round(4).values.tolist()
    [[8.0, 0.5], [16.0, 0.3536], [32.0, 0.25]]
    """
    code, follows = batch_ladder(eps0, b0, delta, batch_max), batch_lr_ladder(eps0, delta, gamma)
    rows = []
    for m in range(stages):
        b = as_batch_size(b0 * delta**m)
        b = min(b, batch_max) if batch_max else b
        rows.append({"stage": m, "batch_size": b, "lr": eta0 * gamma**m, "eps_batch": code(m),
                     "eps_batch_lr": follows(m), "b_eps2": b * code(m) ** 2})
    return pd.DataFrame(rows)
