r"""Kernels, kernel matrices built in chunks on the device, and their top eigenvalues.

Conventions of the authors' EigenPro code (and of Ma et al.'s experiments):

.. math::
    k_{\mathrm{Gauss}}(x, z) = \exp\!\Big(-\frac{\|x - z\|^2}{2\sigma^2}\Big), \qquad
    k_{\mathrm{Laplace}}(x, z) = \exp\!\Big(-\frac{\|x - z\|}{\sigma}\Big),

so :math:`k(x, x) = 1` and :math:`\beta = 1` for both. (Not scikit-learn's
:math:`\gamma = 1/(2\sigma^2)` convention.) Squared distances are computed as
:math:`\|x\|^2 + \|z\|^2 - 2x^Tz`, clamped at 0; near-duplicate pairs, where that expansion is mostly
rounding, from their difference (:data:`CANCELLATION`), so a point's distance to itself is exactly 0.

>>> import torch
>>> x = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
>>> kernel_matrix("laplace", x, bandwidth=5.0).double().numpy().round(4).tolist()  # exp(-5/5)
[[1.0, 0.3679], [0.3679, 1.0]]
"""

from __future__ import annotations

import torch

__all__ = ["KERNELS", "kernel_matrix", "top_eigenvalues"]

KERNELS = ("gaussian", "laplace")


#: Below this fraction of :math:`\|x\|^2 + \|z\|^2`, a squared distance from the expansion is mostly
#: its rounding (float32: a self-distance of 1e-7 instead of 0 on one CPU, which the Laplace kernel's
#: square root makes an error of 3e-4): such pairs are recomputed from their difference.
CANCELLATION = 1e-4


def _block(kind: str, x: torch.Tensor, z: torch.Tensor, bandwidth: float):
    norms = (x * x).sum(1, keepdim=True) + (z * z).sum(1)
    sq = norms - 2 * x @ z.T
    sq.clamp_(min=0)
    rows, columns = (sq < norms.mul_(CANCELLATION)).nonzero(as_tuple=True)  # near-duplicates (and x_i with itself)
    sq[rows, columns] = (x[rows] - z[columns]).pow(2).sum(1)
    if kind == "gaussian":
        return sq.mul_(-1 / (2 * bandwidth**2)).exp_()
    return sq.sqrt_().mul_(-1 / bandwidth).exp_()


def kernel_matrix(
    kind: str, x: torch.Tensor, z: torch.Tensor | None = None, *, bandwidth: float, chunk: int = 2048
) -> torch.Tensor:
    """:math:`K_{ij} = k(x_i, z_j)` (``z`` defaults to ``x``), built ``chunk`` rows at a time on
    ``x``'s device so that the intermediate products stay small."""
    if kind not in KERNELS:
        raise ValueError(f"unknown kernel {kind!r}; known: {', '.join(KERNELS)}")
    if not bandwidth > 0:
        raise ValueError(f"bandwidth must be positive, got {bandwidth!r}")
    z = x if z is None else z
    out = torch.empty(len(x), len(z), dtype=x.dtype, device=x.device)
    for start in range(0, len(x), chunk):
        block = x[start : start + chunk]
        out[start : start + len(block)] = _block(kind, block, z, bandwidth)
    return out


def top_eigenvalues(matrix: torch.Tensor, k: int = 1, *, seed: int = 0) -> torch.Tensor:
    """The ``k`` largest eigenvalues of a symmetric matrix, in float64, in decreasing order.

    LOBPCG (a few dozen products with the matrix) for large matrices; a dense solver when the
    matrix is too small for LOBPCG (fewer than ``3k`` rows).
    """
    a = matrix.double()
    if len(a) < 3 * k + 1:
        return torch.linalg.eigvalsh(a).flip(0)[:k]
    start = torch.randn(len(a), k, dtype=a.dtype, generator=torch.Generator().manual_seed(seed)).to(a.device)
    values, _ = torch.lobpcg(a, X=start, largest=True, tol=1e-10, niter=500)
    return values.sort(descending=True).values


def calibrate_bandwidth(
    kind: str, x: torch.Tensor, target: float, *, bracket: tuple[float, float] = (0.5, 64.0), rtol: float = 1e-3
) -> tuple[float, float, list[tuple[float, float]]]:
    r"""The bandwidth :math:`\sigma` at which :math:`\lambda_1(K_\sigma/n) = ` ``target``, by bisection
    on :math:`\log\sigma` (:math:`\lambda_1` grows with :math:`\sigma`, from :math:`1/n` to 1).

    Returns the bandwidth, the :math:`\lambda_1` reached (within ``rtol`` of the target) and the
    (bandwidth, :math:`\lambda_1`) pairs tried.
    """
    n = len(x)
    if not 1 / n < target < 1:
        raise ValueError(f"lambda_1 of K/n lies in (1/n, 1) = ({1 / n:.3g}, 1); cannot reach {target}")

    def lambda_1(bandwidth: float) -> float:
        return float(top_eigenvalues(kernel_matrix(kind, x, bandwidth=bandwidth) / n, 1)[0])

    lo, hi = bracket
    tried = [(lo, lambda_1(lo)), (hi, lambda_1(hi))]
    if not tried[0][1] < target < tried[1][1]:
        raise ValueError(f"the bracket {bracket} gives lambda_1 in [{tried[0][1]:.4g}, {tried[1][1]:.4g}], "
                         f"which does not contain {target}: widen it")
    for _ in range(60):  # each halves the bracket in log sigma: far below any useful rtol
        mid = (lo * hi) ** 0.5
        value = lambda_1(mid)
        tried.append((mid, value))
        if abs(value - target) <= rtol * target:
            return mid, value, tried
        lo, hi = (mid, hi) if value < target else (lo, mid)
    raise ValueError(f"no bandwidth in {bracket} gives lambda_1 within rtol={rtol} of {target}: loosen rtol")
