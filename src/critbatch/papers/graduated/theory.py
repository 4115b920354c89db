r"""Closed forms and toys of Sato & Iiduka, "Using Stochastic Gradient Descent to Smooth
Nonconvex Functions: Analysis of Implicit Graduated Optimization" (arXiv 2311.08745).

Smoothing (notes Sec. 5.1): for a random vector :math:`u` of unit scale,

.. math:: \hat f_\delta(x) = E_u\bigl[f(x - \delta u)\bigr].

One SGD step with step size :math:`\eta` and batch size :math:`b` is, in expectation, one
gradient-descent step on :math:`\hat f_\delta` with :math:`\delta = \eta C/\sqrt b` (notes
Sec. 5.2, :func:`noise_level`), where :math:`C^2` bounds the per-example gradient variance.

The toys of the book (notes Sec. 5.8) are the 1-D Rastrigin function
:math:`f(x) = x^2 - 10\cos(2\pi x) + 10`, whose Gaussian smoothing has the closed form

.. math:: \hat f_\delta(x) = x^2 + \delta^2 + 10 - 10\,e^{-2\pi^2\delta^2}\cos(2\pi x),

convex exactly when :math:`\delta \ge \sqrt{\ln(20\pi^2)/(2\pi^2)} \approx 0.517`
(:func:`convexity_threshold`), and the 1-D Drop-Wave function of the authors' script.

>>> round(convexity_threshold(), 4)
0.5174
>>> round(float(rastrigin_smoothed(0.0, 0.5)), 4)  # 0.25 + 10 - 10 exp(-pi^2 / 2)
10.1781
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "NOISE_LAWS", "convexity_threshold", "convexity_threshold_numeric", "drop_wave", "explicit_go",
    "local_minima", "monte_carlo", "noise_level", "polynomial_noise", "polynomial_ratios", "quadrature",
    "rastrigin", "rastrigin_smoothed", "rastrigin_smoothed_grad", "rastrigin_smoothed_second", "sample_noise",
]

TWO_PI = 2 * math.pi


def noise_level(lr: ArrayLike, batch_size: ArrayLike, c: float = 1.0) -> np.ndarray:
    r"""The smoothing degree of one SGD step, :math:`\delta = \eta C/\sqrt b` (notes Sec. 5.2);
    with the default ``c = 1`` it is :math:`\delta/C = \eta/\sqrt b`.

    >>> round(float(noise_level(0.1, 32)), 5)  # the paper's start, eta = 0.1, b = 32
    0.01768
    """
    return c * np.asarray(lr, dtype=float) / np.sqrt(np.asarray(batch_size, dtype=float))


def rastrigin(x: ArrayLike) -> np.ndarray:
    r"""1-D Rastrigin, :math:`f(x) = x^2 - 10\cos(2\pi x) + 10` (elementwise): global minimum
    :math:`f(0) = 0`, a local minimum near every integer."""
    x = np.asarray(x, dtype=float)
    return x**2 - 10 * np.cos(TWO_PI * x) + 10


def drop_wave(x: ArrayLike) -> np.ndarray:
    r"""1-D Drop-Wave as the authors' ``smoothing.py`` codes it,
    :math:`f(x) = -(1 + \cos 12\pi x)/(2 + x^2/2)`: bounded in :math:`[-1, 0]`, minimum
    :math:`-1` at 0. (The standard 2-D function uses :math:`\cos(12\sqrt{x^2+y^2})`, without
    :math:`\pi`.)"""
    x = np.asarray(x, dtype=float)
    return -(1 + np.cos(12 * math.pi * x)) / (2 + 0.5 * x**2)


def _damping(delta: ArrayLike) -> np.ndarray:
    """The Gaussian characteristic function at 2 pi: how much of the ripple survives."""
    return np.exp(-2 * math.pi**2 * np.asarray(delta, dtype=float) ** 2)


def rastrigin_smoothed(x: ArrayLike, delta: ArrayLike) -> np.ndarray:
    r"""Rastrigin smoothed with Gaussian noise :math:`u \sim N(0, 1)` (notes Sec. 5.8):
    :math:`\hat f_\delta(x) = x^2 + \delta^2 + 10 - 10 e^{-2\pi^2\delta^2}\cos 2\pi x`."""
    x, delta = np.asarray(x, dtype=float), np.asarray(delta, dtype=float)
    return x**2 + delta**2 + 10 - 10 * _damping(delta) * np.cos(TWO_PI * x)


def rastrigin_smoothed_grad(x: ArrayLike, delta: ArrayLike) -> np.ndarray:
    r""":math:`\hat f_\delta'(x) = 2x + 20\pi e^{-2\pi^2\delta^2} \sin 2\pi x` (elementwise, so
    also the gradient of the separable D-dimensional Rastrigin)."""
    x = np.asarray(x, dtype=float)
    return 2 * x + 20 * math.pi * _damping(delta) * np.sin(TWO_PI * x)


def rastrigin_smoothed_second(x: ArrayLike, delta: ArrayLike) -> np.ndarray:
    r""":math:`\hat f_\delta''(x) = 2 + 40\pi^2 e^{-2\pi^2\delta^2} \cos 2\pi x`."""
    x = np.asarray(x, dtype=float)
    return 2 + 40 * math.pi**2 * _damping(delta) * np.cos(TWO_PI * x)


def convexity_threshold() -> float:
    r"""The smallest :math:`\delta` with :math:`\hat f_\delta'' \ge 0` everywhere, in closed
    form: :math:`40\pi^2 e^{-2\pi^2\delta^2} \le 2 \iff \delta \ge \sqrt{\ln(20\pi^2)/(2\pi^2)}`."""
    return math.sqrt(math.log(20 * math.pi**2) / (2 * math.pi**2))


def quadrature(f: Callable[[np.ndarray], np.ndarray], x: ArrayLike, delta: float, nodes: int = 80) -> np.ndarray:
    r"""Gaussian smoothing :math:`E_{u \sim N(0,1)} f(x - \delta u)` by Gauss-Hermite quadrature
    with ``nodes`` nodes: a numerical smoothing that does not use the closed form.

    >>> x = np.linspace(-2, 2, 9)
    >>> bool(np.allclose(quadrature(rastrigin, x, 0.3), rastrigin_smoothed(x, 0.3)))
    True
    """
    t, w = np.polynomial.hermite_e.hermegauss(nodes)  # weight exp(-t^2/2), sum of w = sqrt(2 pi)
    x = np.asarray(x, dtype=float)
    return (f(x[..., None] - delta * t) * w).sum(-1) / math.sqrt(TWO_PI)


def convexity_threshold_numeric(lo: float = 0.3, hi: float = 1.0, *, domain: float = 5.12, points: int = 4097,
                                tol: float = 1e-6) -> float:
    r"""The convexity threshold found numerically, without the closed form: bisection on
    :math:`\delta` for the smallest value at which the second difference of the quadrature
    smoothing (:func:`quadrature`) is non-negative at every point of a grid on
    :math:`[-\text{domain}, \text{domain}]`."""
    x = np.linspace(-domain, domain, points)
    h = x[1] - x[0]

    def convex(delta: float) -> bool:
        values = quadrature(rastrigin, x, delta)
        return bool(np.all(values[:-2] - 2 * values[1:-1] + values[2:] >= -1e-12 * h**2))

    if convex(lo) or not convex(hi):
        raise ValueError(f"the threshold is not bracketed by [{lo}, {hi}]")
    while hi - lo > tol:
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if convex(mid) else (mid, hi)
    return hi


def local_minima(values: ArrayLike) -> np.ndarray:
    """Indices of the strict interior local minima of values sampled on a grid."""
    v = np.asarray(values, dtype=float)
    return np.flatnonzero((v[1:-1] < v[:-2]) & (v[1:-1] < v[2:])) + 1


#: The noise laws of the authors' ``smoothing.py`` (notes Sec. 5.8): name -> (tail, finite mean).
NOISE_LAWS = {
    "Gaussian": ("light", True), "uniform": ("light", True), "exponential": ("light", True),
    "Rayleigh": ("light", True), "Pareto": ("heavy", False), "Cauchy": ("heavy", False), "Lévy": ("heavy", False),
}


def sample_noise(law: str, size, rng: np.random.Generator) -> np.ndarray:
    r"""Draws of the unit-scale noise :math:`u` of ``law``, as the authors' script draws them:
    N(0, 1); U(-2, 2); Exponential(scale 1.5); Rayleigh(scale 1); classical Pareto with
    :math:`a = 1`, :math:`x_m = 1` (NumPy's Lomax plus 1); standard Cauchy; Lévy with location 1
    and scale 1 (SciPy's ``levy.rvs(1.0)``: the positional 1.0 is the location), drawn as
    :math:`1 + 1/Z^2`, :math:`Z \sim N(0, 1)`. The last three have no finite mean."""
    draws = {
        "Gaussian": lambda: rng.standard_normal(size),
        "uniform": lambda: rng.uniform(-2.0, 2.0, size),
        "exponential": lambda: rng.exponential(1.5, size),
        "Rayleigh": lambda: rng.rayleigh(1.0, size),
        "Pareto": lambda: rng.pareto(1.0, size) + 1.0,
        "Cauchy": lambda: rng.standard_cauchy(size),
        "Lévy": lambda: 1.0 + 1.0 / rng.standard_normal(size) ** 2,
    }
    if law not in draws:
        raise ValueError(f"unknown noise law {law!r}; use one of {', '.join(draws)}")
    return draws[law]()


def monte_carlo(f: Callable[[np.ndarray], np.ndarray], x: ArrayLike, delta: float, law: str, samples: int,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    r"""Monte-Carlo smoothing :math:`\frac1N \sum_{k} f(x - \delta u_k)` with ``samples`` draws
    of ``law`` per point (fresh draws per point, as the authors' script); returns the estimate
    and its standard error per point."""
    x = np.asarray(x, dtype=float)
    values = f(x[:, None] - delta * sample_noise(law, (len(x), samples), rng))
    return values.mean(1), values.std(1, ddof=1) / math.sqrt(samples)


def polynomial_noise(rounds: int, power: float, delta_1: float = 1.0) -> np.ndarray:
    r"""The noise of round :math:`m = 1, \dots, M` of the polynomial schedule (notes Sec. 5.5),
    :math:`\delta_m = \delta_1\bigl((M - m + 1)/M\bigr)^p`.

    >>> polynomial_noise(4, 1.0).tolist()
    [1.0, 0.75, 0.5, 0.25]
    """
    m = np.arange(1, rounds + 1)
    return delta_1 * ((rounds - m + 1) / rounds) ** power


def polynomial_ratios(rounds: int, power: float) -> np.ndarray:
    r"""The per-round ratios :math:`\gamma_m = \delta_{m+1}/\delta_m = \bigl((M-m)/(M-m+1)\bigr)^p`,
    :math:`m = 1, \dots, M-1`. The smallest is :math:`\gamma_{M-1} = 2^{-p}`, so the theory's
    condition :math:`\gamma_m \ge 1/2` holds for every round exactly when :math:`p \le 1`.

    >>> [round(float(polynomial_ratios(10, p).min()), 3) for p in (0.5, 1, 2)]
    [0.707, 0.5, 0.25]
    """
    delta = polynomial_noise(rounds, power)
    return delta[1:] / delta[:-1]


def explicit_go(start: ArrayLike, deltas: ArrayLike, steps: int, lr: float, *, scale_lr: bool = True) -> np.ndarray:
    r"""Explicit graduated optimisation on the separable D-dimensional Rastrigin function
    (notes Sec. 5.7, the authors' AAAI-25 ``ego.py`` with the exact gradient of the closed form
    instead of a Monte-Carlo one): for each :math:`\delta_m` of ``deltas``, ``steps`` gradient
    steps on :math:`\hat f_{\delta_m}` with step size :math:`l_0\delta_m` (``scale_lr``, as
    ``ego.py``) or :math:`l_0`. ``start`` is (runs, D); returns the final points."""
    x = np.array(start, dtype=float)
    for delta in np.asarray(deltas, dtype=float):
        step = lr * delta if scale_lr else lr
        for _ in range(steps):
            x -= step * rastrigin_smoothed_grad(x, delta)
    return x
