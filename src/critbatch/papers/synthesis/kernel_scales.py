r"""The curvature and noise scales of kernel least squares, exactly, and the generic
estimators of :mod:`critbatch.train.curvature` checked against them.

With predictions :math:`F = K\alpha` and residuals :math:`R = F - Y` (one column per class),
the individual loss :math:`\ell_i = \frac12\|R_i\|^2` has, in the kernel's feature space, the
gradient :math:`g_i = \phi(x_i) \otimes R_i` and the Hessian :math:`\phi(x_i)\phi(x_i)^\top
\otimes I`; so :math:`\|g_i\|^2 = k(x_i, x_i)\|R_i\|^2`, :math:`\|\nabla f\|^2 =
\operatorname{tr}(R^\top K R)/n^2`, :math:`\beta = \max_i k(x_i, x_i)` and :math:`\lambda_1 =
\lambda_1(K/n)`. McCandlish et al.'s :math:`B_{\text{simple}}` follows exactly at every step.

* :class:`KernelNoiseTrace`: kernel SGD (Paper 3's eq. 2 with its step of eq. 11) from
  :math:`\alpha = 0`, logging the training error, :math:`\|\nabla f\|`, :math:`\operatorname{tr}\Sigma`
  and :math:`B_{\text{simple}}` every few steps.
* :class:`EstimatorCheck`: on a subset small enough for an explicit feature map
  (:math:`\Phi = V\Lambda^{1/2}` from :math:`K = V\Lambda V^\top`, so :math:`\Phi\Phi^\top = K`),
  the linear model :math:`W\phi` is the kernel model, and the generic estimators (power
  iteration on Hessian-vector products, per-example gradients by ``vmap``) run on it as on a
  network; their values against the exact ones, at :math:`\alpha = 0` and after some SGD steps.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import pandas as pd
import torch

from critbatch.papers.interpolation import kernel_sgd, theory
from critbatch.papers.interpolation.kernel_sgd import KernelProblem
from critbatch.runs import Stopwatch, register
from critbatch.train import curvature

__all__ = ["EstimatorCheck", "KernelNoiseTrace", "exact_scales"]


def exact_scales(k: torch.Tensor, residuals: torch.Tensor) -> dict:
    r"""Training error :math:`\frac1n\sum_i\|R_i\|^2`, :math:`\|\nabla f\|`,
    :math:`\operatorname{tr}\Sigma` and :math:`B_{\text{simple}}` of kernel least squares with
    kernel matrix ``k`` at ``residuals`` :math:`R = K\alpha - Y`.

    >>> k = torch.eye(2)  # two orthogonal unit points: g_1 = (r_1, 0), g_2 = (0, r_2)
    >>> exact_scales(k, torch.tensor([[1.0], [1.0]]))["noise_scale"]  # G = (1/2, 1/2): tr Sigma = 1 - 1/2
    1.0
    """
    n = len(k)
    k, residuals = k.double(), residuals.double()
    per_example = k.diagonal() * (residuals**2).sum(1)
    gradient_sq = float((residuals * (k @ residuals)).sum()) / n**2
    trace = float(per_example.mean()) - gradient_sq
    return {"train_loss": float((residuals**2).sum(1).mean()), "grad_norm": math.sqrt(gradient_sq),
            "noise_trace": trace, "noise_scale": trace / gradient_sq}


def _sgd(problem: kernel_sgd.Problem, m: int, steps: int, seed: int, every: int, record) -> float:
    """Kernel SGD at batch ``m`` with the step of eq. 11 from alpha = 0, calling
    ``record(step, alpha, f)`` at step 0 and every ``every`` steps; returns the step size."""
    n = len(problem.k)
    eta = float(theory.practical_step(m, problem.beta, problem.lambda_1, n))
    generator = torch.Generator().manual_seed(seed)
    alpha, f = torch.zeros_like(problem.y), torch.zeros_like(problem.y)
    record(0, alpha, f)
    for step in range(1, steps + 1):
        batch = torch.randint(n, (m,), generator=generator)
        kernel_sgd.sgd_step(problem.k, problem.y, alpha, f, batch, eta / m)
        if step % every == 0:
            f = problem.k @ alpha  # exact predictions at each record (no drift)
            record(step, alpha, f)
    return eta


@dataclass(frozen=True)
class KernelNoiseTrace:
    """Exact noise scale along one kernel SGD run."""

    problem: KernelProblem
    batch_size: int
    steps: int
    every: int
    seed: int = 0


def _trace(config: KernelNoiseTrace, *, device: str = "cpu", data_root=None, mirror=None, progress: bool = False):
    problem = kernel_sgd.load_problem(config.problem, device, data_root and str(data_root), mirror and str(mirror))
    rows = []
    measuring = Stopwatch()

    def record(step, alpha, f):
        with measuring:
            rows.append({"step": step, **exact_scales(problem.k, f - problem.y)})

    started = time.perf_counter()
    eta = _sgd(problem, config.batch_size, config.steps, config.seed, config.every, record)
    return pd.DataFrame(rows), {"beta": problem.beta, "lambda_1": problem.lambda_1, "lr": eta,
                                "seconds": time.perf_counter() - started - measuring.seconds,
                                "measure_seconds": measuring.seconds, "device": device}


register(KernelNoiseTrace, _trace)


@dataclass(frozen=True)
class EstimatorCheck:
    """The generic estimators against the exact scales on a kernel problem small enough for an
    explicit feature map."""

    problem: KernelProblem
    batch_size: int  # of the SGD steps to the second point
    steps: int  # SGD steps from alpha = 0 to the second point
    sample: int  # examples of the per-example estimates (beta and the noise scale)
    seed: int = 0


def _estimates(features: torch.Tensor, y: torch.Tensor, weight: torch.Tensor, sample: torch.Tensor) -> dict:
    model = torch.nn.Linear(features.shape[1], y.shape[1], bias=False)
    model.weight.data = weight

    def loss(output, target):
        return 0.5 * ((output - target) ** 2).sum(-1).mean()

    params = [model.weight]
    lambda_1 = curvature.top_eigenvalue(lambda: loss(model(features), y), params).value
    x, t = features[sample], y[sample]
    beta = curvature.sample_top_eigenvalues(lambda i: loss(model(x[i : i + 1]), t[i : i + 1]), params, len(sample))
    full = torch.autograd.grad(loss(model(features), y), params)[0].flatten()
    scale, trace = curvature.noise_scale(curvature.per_example_gradients(model, loss, x, t), full)
    return {"lambda_1": lambda_1, "beta": max(b.value for b in beta), "noise_scale": scale, "noise_trace": trace}


def _check(config: EstimatorCheck, *, device: str = "cpu", data_root=None, mirror=None, progress: bool = False):
    problem = kernel_sgd.load_problem(config.problem, device, data_root and str(data_root), mirror and str(mirror))
    started = time.perf_counter()
    values, vectors = torch.linalg.eigh(problem.k.double())
    features = (vectors * values.clamp(min=0).sqrt()).float()  # Phi Phi^T = K
    sample = torch.randperm(config.problem.n, generator=torch.Generator().manual_seed(config.seed + 1))[: config.sample]
    rows = []
    measuring = Stopwatch()

    def record(step, alpha, f):
        with measuring:
            exact = exact_scales(problem.k, f - problem.y)
            exact |= {"lambda_1": problem.lambda_1, "beta": problem.beta}
            estimate = _estimates(features, problem.y, (features.T @ alpha).T.contiguous(), sample)
            rows.extend({"step": step, "quantity": q, "exact": exact[q], "estimate": estimate[q]} for q in estimate)

    _sgd(problem, config.batch_size, config.steps, config.seed, config.steps, record)
    return pd.DataFrame(rows), {"seconds": time.perf_counter() - started - measuring.seconds,
                                "measure_seconds": measuring.seconds, "device": device}


register(EstimatorCheck, _check)
