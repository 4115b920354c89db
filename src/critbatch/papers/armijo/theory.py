r"""Steps, SFO complexity and the critical batch size (Tsukada & Iiduka, arXiv 2307.13831).

Their convergence bound, :math:`\min_{k<K} E\|\nabla f(\theta_k)\|^2 \le C_1/K + C_2/b`, gives the
number of steps needed to reach :math:`\varepsilon` with batch size :math:`b > C_2/\varepsilon^2`,
its stochastic first-order oracle (SFO) complexity and the batch size that minimises it:

.. math::
    K(b) = \frac{C_1 b}{\varepsilon^2 b - C_2}, \qquad
    N(b) = K(b)\,b = \frac{C_1 b^2}{\varepsilon^2 b - C_2}, \qquad
    b^* = \frac{2 C_2}{\varepsilon^2}.

:math:`K` decreases and is convex; :math:`N` is convex with its minimum at :math:`b^*`, where
:math:`K(b^*) = 2C_1/\varepsilon^2`. Since :math:`1/K = \varepsilon^2/C_1 - (C_2/C_1)/b` is linear
in :math:`1/b`, measured steps give the constants by a straight-line fit, and
:math:`b^* = 2 \cdot \text{slope}/\text{intercept}` whatever :math:`\varepsilon` is.

>>> round(float(critical_batch_size(c2=0.5, eps=0.1)))
100
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["Fit", "critical_batch_size", "fit_steps", "sfo", "steps"]


def steps(b: ArrayLike, c1: float, c2: float, eps: float) -> np.ndarray:
    r""":math:`K(b) = C_1 b / (\varepsilon^2 b - C_2)`; infinite where :math:`b \le C_2/\varepsilon^2`."""
    b = np.asarray(b, float)
    denominator = eps**2 * b - c2
    with np.errstate(divide="ignore"):
        return np.where(denominator > 0, c1 * b / denominator, np.inf)


def sfo(b: ArrayLike, c1: float, c2: float, eps: float) -> np.ndarray:
    r""":math:`N(b) = K(b)\,b`."""
    return steps(b, c1, c2, eps) * np.asarray(b, float)


def critical_batch_size(c2: float, eps: float) -> float:
    r""":math:`b^* = 2C_2/\varepsilon^2`, the minimiser of :math:`N(b)`."""
    return 2 * c2 / eps**2


class Fit(NamedTuple):
    """Constants of :math:`K(b)` fitted to measurements, and the batch sizes used."""

    c1: float
    c2: float
    eps: float
    b_star: float
    batch_sizes: tuple[int, ...]


def fit_steps(b: ArrayLike, k: ArrayLike, eps: float) -> Fit:
    r"""Least-squares line through :math:`(1/b, 1/K)`: intercept :math:`\varepsilon^2/C_1`, slope
    :math:`-C_2/C_1`. The fit depends on the batch sizes it is given, which it returns.

    >>> fit = fit_steps([8, 16, 32, 64], steps([8, 16, 32, 64], c1=2.0, c2=0.05, eps=0.1), eps=0.1)
    >>> round(fit.c1, 6), round(fit.c2, 6), round(fit.b_star, 3)  # b* = 2 * 0.05 / 0.1^2
    (2.0, 0.05, 10.0)
    """
    b, k = np.asarray(b, float), np.asarray(k, float)
    keep = np.isfinite(k) & (k > 0)
    if keep.sum() < 2:
        raise ValueError("need the steps of at least two batch sizes to fit K(b)")
    slope, intercept = np.polyfit(1 / b[keep], 1 / k[keep], 1)
    if not intercept > 0:
        raise ValueError(f"the fitted 1/K(b) has intercept {intercept:.3g} <= 0: K(b) does not decrease to a "
                         "floor over these batch sizes, so the model's C1/eps^2 is not finite")
    c1 = float(eps**2 / intercept)
    c2 = float(-slope * c1)
    return Fit(c1, c2, eps, critical_batch_size(c2, eps), tuple(int(x) for x in b[keep]))
