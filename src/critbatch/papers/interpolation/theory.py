r"""Closed forms of Ma, Bassily & Belkin, "The Power of Interpolation" (arXiv 1712.06559v1).

Setting (Section 4): least squares that can be fit exactly, with covariance
:math:`H = \frac1n \sum_i x_i x_i^T` of eigenvalues :math:`\lambda_1 \ge \dots \ge \lambda_n`
and feature norms :math:`\|x_i\|^2 \le \beta`. For kernel least squares, :math:`H` has the
eigenvalues of the normalised kernel matrix :math:`K/n`, and :math:`\beta = \max_i k(x_i, x_i)`
(1 for Gaussian and Laplace kernels). Mini-batch SGD with batch :math:`m` drawn uniformly with
replacement and constant step :math:`\eta` (eq. 2) contracts :math:`E\|w_t - w^*\|^2` by
:math:`g(m, \eta)` per step (Theorem 2).

Every function takes scalars or NumPy arrays and broadcasts; ``m`` may be real-valued so that
curves can be drawn on a continuous grid.

Two typos of the v1 text are corrected here (and said so in the book): the seed writes
:math:`\|x_i\| \le \beta` where :math:`\|x_i\|^2 \le \beta` is meant, and eq. 8 writes the
feasibility constraint as :math:`\eta < \beta/m + (m-1)\lambda_1/m` where Theorem 2 needs
:math:`\eta < \eta_1(m)` (eq. 6).

>>> round(float(critical_batch(beta=1.0, lam1=0.15)), 2)
7.67
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "Spectrum",
    "contraction",
    "contraction_bound",
    "critical_batch",
    "iteration_ratio",
    "kernel_spectrum",
    "max_stable_step",
    "optimal_contraction",
    "optimal_step",
    "practical_contraction",
    "practical_critical_batch",
    "practical_speedup",
    "practical_step",
    "speedup",
    "speedup_limit",
    "switch_step",
]


class Spectrum(NamedTuple):
    """The constants of the theory for one data set: :math:`\\beta`, :math:`\\lambda_1`, :math:`\\lambda_n`."""

    beta: float
    lambda_1: float
    lambda_n: float


def kernel_spectrum(kernel_matrix: ArrayLike) -> Spectrum:
    r""":math:`\beta = \max_i K_{ii}` and the extreme eigenvalues of :math:`H`, i.e. of :math:`K/n`.

    A dense symmetric eigensolver in float64: exact, and fine up to a few thousand points.
    For a linear kernel :math:`K = XX^T` these are :math:`\max_i \|x_i\|^2` and the extreme
    eigenvalues of :math:`X^T X / n` on the span of the data.

    >>> kernel_spectrum(np.eye(4))
    Spectrum(beta=1.0, lambda_1=0.25, lambda_n=0.25)
    """
    k = np.asarray(kernel_matrix, dtype=np.float64)
    if k.ndim != 2 or k.shape[0] != k.shape[1] or not np.allclose(k, k.T):
        raise ValueError(f"need a symmetric square kernel matrix, got shape {k.shape}")
    eig = np.linalg.eigvalsh(k / len(k))
    return Spectrum(float(k.diagonal().max()), float(eig[-1]), float(eig[0]))


def _check(beta: float, lam1: float, lamn: float = 0.0) -> None:
    if not beta > 0:
        raise ValueError(f"beta must be positive, got {beta!r}")
    if not 0 < lam1 <= beta:
        raise ValueError(f"lam1 must lie in (0, beta={beta!r}], got {lam1!r}")
    if not 0 <= lamn <= lam1:
        raise ValueError(f"lamn must lie in [0, lam1={lam1!r}], got {lamn!r}")


def contraction(lam: ArrayLike, m: ArrayLike, eta: ArrayLike, beta: float) -> np.ndarray:
    r"""Per-eigendirection contraction factor, Theorem 2.

    .. math:: g(\lambda; m, \eta) = (1 - \eta\lambda)^2 + \frac{\eta^2 \lambda}{m}(\beta - \lambda)

    >>> float(contraction(0.5, 1, 1.0, beta=1.0))
    0.5
    """
    lam, m, eta = np.asarray(lam, float), np.asarray(m, float), np.asarray(eta, float)
    return (1 - eta * lam) ** 2 + eta**2 * lam * (beta - lam) / m


def contraction_bound(
    m: ArrayLike, eta: ArrayLike, beta: float, lam1: float, lamn: float
) -> np.ndarray:
    r"""Worst contraction over the spectrum, :math:`g(m, \eta) = \max_{\lambda \in [\lambda_n, \lambda_1]} g(\lambda; m, \eta)`.

    :math:`g(\lambda; m, \eta)` is a convex quadratic in :math:`\lambda` for :math:`m \ge 1`,
    so the maximum sits at an end of the interval (Lemma 1).
    """
    _check(beta, lam1, lamn)
    return np.maximum(contraction(lamn, m, eta, beta), contraction(lam1, m, eta, beta))


def max_stable_step(m: ArrayLike, beta: float, lam1: float) -> np.ndarray:
    r"""Largest step for which SGD converges, eq. 6: :math:`\eta_1(m) = \frac{2m}{\beta + (m-1)\lambda_1}`."""
    _check(beta, lam1)
    m = np.asarray(m, float)
    return 2 * m / (beta + (m - 1) * lam1)


def switch_step(m: ArrayLike, beta: float, lam1: float, lamn: float) -> np.ndarray:
    r"""Step where the worst direction switches from :math:`\lambda_n` to :math:`\lambda_1`, Lemma 1.

    .. math:: \eta_0(m) = \frac{2m}{\beta + (m-1)(\lambda_1 + \lambda_n)}
    """
    _check(beta, lam1, lamn)
    m = np.asarray(m, float)
    return 2 * m / (beta + (m - 1) * (lam1 + lamn))


def critical_batch(beta: float, lam1: float, lamn: float = 0.0) -> float:
    r"""Critical mini-batch size, eq. 14: :math:`m^* = \frac{\beta}{\lambda_1 - \lambda_n} + 1`.

    With ``lamn = 0`` this is the paper's working approximation :math:`\beta/\lambda_1 + 1`.
    It is also the threshold :math:`m_0` between the two branches of Theorem 4.
    """
    _check(beta, lam1, lamn)
    if lamn == lam1:
        return np.inf
    return beta / (lam1 - lamn) + 1


def practical_critical_batch(beta: float, lam1: float, n: int) -> float:
    r"""Threshold of the :math:`\lambda_n`-free rule, eq. 11: :math:`\hat m = \frac{\beta}{\lambda_1 - \beta/n} + 1`."""
    _check(beta, lam1)
    if not lam1 > beta / n:
        raise ValueError(f"eq. 11 needs lam1 > beta/n = {beta / n!r}, got lam1={lam1!r}")
    return beta / (lam1 - beta / n) + 1


def optimal_step(m: ArrayLike, beta: float, lam1: float, lamn: float) -> np.ndarray:
    r"""Optimal constant step for batch size :math:`m`, Theorem 4, eq. 9.

    .. math::
        \eta^*(m) = \begin{cases} \frac{m}{\beta + (m-1)\lambda_n} & m \le m_0 \\
        \frac{2m}{\beta + (m-1)(\lambda_1 + \lambda_n)} & m > m_0 \end{cases},
        \qquad m_0 = \frac{\beta}{\lambda_1 - \lambda_n} + 1
    """
    m = np.asarray(m, float)
    small = m <= critical_batch(beta, lam1, lamn)
    return np.where(small, m / (beta + (m - 1) * lamn), switch_step(m, beta, lam1, lamn))


def optimal_contraction(m: ArrayLike, beta: float, lam1: float, lamn: float) -> np.ndarray:
    r"""Contraction at the optimal step, Theorem 4, eq. 10: :math:`g^*(m) = 1 - \frac{\lambda_n}{\beta}s(m)`."""
    return 1 - lamn / beta * speedup(m, beta, lam1, lamn)


def practical_step(m: ArrayLike, beta: float, lam1: float, n: int) -> np.ndarray:
    r"""The :math:`\lambda_n`-free near-optimal step used in all experiments, Theorem 5, eq. 11.

    .. math::
        \hat\eta(m) = \begin{cases} \frac{m}{\beta(1 + (m-1)/n)} & m \le \hat m \\
        \frac{2m}{\beta + (m-1)(\lambda_1 + \beta/n)} & m > \hat m \end{cases}

    >>> float(practical_step(1, beta=1.0, lam1=0.15, n=10_000))
    1.0
    """
    m = np.asarray(m, float)
    small = m <= practical_critical_batch(beta, lam1, n)
    return np.where(
        small,
        m / (beta * (1 + (m - 1) / n)),
        2 * m / (beta + (m - 1) * (lam1 + beta / n)),
    )


def practical_contraction(m: ArrayLike, beta: float, lam1: float, lamn: float, n: int) -> np.ndarray:
    r"""Upper bound on the contraction at the step :math:`\hat\eta(m)`, Theorem 5, eq. 12.

    .. math::
        \hat g(m) = \begin{cases} 1 - \frac{m\lambda_n}{\beta(1 + (m-1)/n)} & m \le \hat m \\
        1 - \frac{4m(m-1)\lambda_1\lambda_n}{(\beta + (m-1)(\lambda_1 + \beta/n))^2} & m > \hat m \end{cases}
    """
    _check(beta, lam1, lamn)
    m = np.asarray(m, float)
    small = m <= practical_critical_batch(beta, lam1, n)
    return np.where(
        small,
        1 - m * lamn / (beta * (1 + (m - 1) / n)),
        1 - 4 * m * (m - 1) * lam1 * lamn / (beta + (m - 1) * (lam1 + beta / n)) ** 2,
    )


def practical_speedup(m: ArrayLike, beta: float, lam1: float, n: int) -> np.ndarray:
    r"""Speed-up over batch 1 of SGD with the steps of eq. 11: :math:`(1 - \hat g(m))/(1 - \hat g(1))`.

    :math:`1 - \hat g(m)` (eq. 12) is proportional to :math:`\lambda_n`, which cancels: this is the
    analogue of :math:`s(m)` for the steps the experiments use, and needs no :math:`\lambda_n`.
    """
    m = np.asarray(m, float)
    lamn = beta / n  # any value in (0, lam1) gives the same ratio
    return (1 - practical_contraction(m, beta, lam1, lamn, n)) / (1 - practical_contraction(1, beta, lam1, lamn, n))


def speedup(m: ArrayLike, beta: float, lam1: float, lamn: float) -> np.ndarray:
    r"""Speed-up factor of batch :math:`m` over batch 1, eq. 13.

    .. math::
        s(m) = \begin{cases} \frac{m}{1 + (m-1)\lambda_n/\beta} & m \le m_0 \\
        \frac{4m(m-1)\lambda_1}{\beta\,(1 + (m-1)(\lambda_1 + \lambda_n)/\beta)^2} & m > m_0 \end{cases}

    >>> float(speedup(1, beta=1.0, lam1=0.15, lamn=1e-4))
    1.0
    """
    m = np.asarray(m, float)
    small = m <= critical_batch(beta, lam1, lamn)
    return np.where(
        small,
        m / (1 + (m - 1) * lamn / beta),
        4 * m * (m - 1) * lam1 / (beta * (1 + (m - 1) * (lam1 + lamn) / beta) ** 2),
    )


def speedup_limit(beta: float, lam1: float, lamn: float) -> float:
    r"""Saturation level :math:`\lim_{m\to\infty} s(m) = \frac{4\beta\lambda_1}{(\lambda_1 + \lambda_n)^2} \approx 4\beta/\lambda_1`."""
    _check(beta, lam1, lamn)
    return 4 * beta * lam1 / (lam1 + lamn) ** 2


def iteration_ratio(m: ArrayLike, beta: float, lam1: float, lamn: float) -> np.ndarray:
    r"""Exact factor of iterations saved by batch :math:`m`, :math:`t(1)/t(m)` (Section 4.4.2).

    With :math:`t(m) = \mathrm{const}/\log(1/g^*(m))` iterations to a fixed accuracy,

    .. math:: \frac{t(1)}{t(m)} = \frac{\log g^*(m)}{\log g^*(1)},

    which the paper approximates by :math:`s(m)`. Computed with ``log1p`` so that tiny
    :math:`\lambda_n` keep full precision.
    """
    if not lamn > 0:
        raise ValueError(f"t(1)/t(m) needs lamn > 0 (g*(m) = 1 otherwise), got {lamn!r}")
    rate = lamn / beta
    return np.log1p(-rate * speedup(m, beta, lam1, lamn)) / np.log1p(-rate * speedup(1, beta, lam1, lamn))
