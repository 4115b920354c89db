r"""Curvature and gradient-noise scales that predict a critical batch size, as measurements.

Two papers predict the batch size beyond which SGD stops gaining from larger batches from
quantities of the loss alone:

* Ma, Bassily & Belkin (2018), eq. 14 with :math:`\lambda_n = 0` (their working approximation):
  :math:`m^* = \beta/\lambda_1 + 1`, with :math:`\lambda_1`
  the top eigenvalue of the Hessian of the training loss :math:`f = \frac1n\sum_i \ell_i` and
  :math:`\beta` the smoothness of the individual losses, :math:`\sup_i \lambda_{\max}(\nabla^2\ell_i)`
  (for kernel least squares :math:`\max_i k(x_i, x_i)`);
* Ma, Bassily & Belkin (2018), Section 1, contribution 2, their headline definition:
  :math:`m^* = \operatorname{tr}H/\lambda_1(H)`, with :math:`H` the Hessian at the critical point
  (for kernel least squares :math:`\operatorname{tr}H \le \beta`, with equality when every
  :math:`k(x_i, x_i)` is the same); :func:`hessian_trace` estimates :math:`\operatorname{tr}H`;
* McCandlish et al. (2018), eq. 2.8: the simple noise scale
  :math:`B_{\text{simple}} = \operatorname{tr}\Sigma / \|\nabla f\|^2`, with :math:`\Sigma` the
  covariance of the per-example gradients.

The estimators take a loss closure and the parameters, so they serve any model;
:func:`top_eigenvalue` and :func:`noise_scale` are checked on kernel least squares, where the
values are known exactly (the synthesis chapter). The measurements ``hessian_lambda1``,
``hessian_trace``, ``sample_beta`` and ``noise_scale`` apply them to the training loop's network (cross-entropy,
eval mode) on fixed random samples of the training set.
"""

from __future__ import annotations

import contextlib

import math
from collections.abc import Iterator
from typing import Callable, NamedTuple

import torch
from torch.func import functional_call, grad, vmap
from torch.nn import functional as F

from .measurements import Probe, _flat_grad, fixed_sample, measurement, trainable

__all__ = ["Eigenvalue", "Trace", "hessian_trace", "noise_scale", "per_example_gradients", "sample_top_eigenvalues", "top_eigenvalue"]

POWER_ITERATIONS = 30  # Hessian-vector products per eigenvalue (stops earlier at 1e-4 relative change)
TRACE_PROBES = 32  # Rademacher vectors of Hutchinson's trace estimate


def _hvp(loss: Callable[[], torch.Tensor], params: list[torch.Tensor], vector: list[torch.Tensor]) -> list:
    gradients = torch.autograd.grad(loss(), params, create_graph=True)
    dot = sum((g * v).sum() for g, v in zip(gradients, vector))
    return [h.detach() for h in torch.autograd.grad(dot, params)]


class Eigenvalue(NamedTuple):
    """An eigenvalue found by power iteration, and the Hessian-vector products it took."""

    value: float
    products: int


def top_eigenvalue(loss: Callable[[], torch.Tensor], params: list[torch.Tensor], *,
                   iterations: int = POWER_ITERATIONS, tol: float = 1e-4, seed: int = 0) -> Eigenvalue:
    r"""The eigenvalue of largest magnitude of the Hessian of ``loss()`` in ``params``, by power
    iteration on Hessian-vector products (double backward) from a random start; the Rayleigh
    quotient :math:`v^\top H v` of the last unit vector, once it changes by at most ``tol``
    (relative) or after ``iterations`` products. For a network trained by SGD this is the top
    eigenvalue :math:`\lambda_1` (the negative ones are far smaller in magnitude); on the MLP of
    the synthesis chapter it agrees with Lanczos (the chapter says how closely).

    >>> w = torch.zeros(3, requires_grad=True)
    >>> found = top_eigenvalue(lambda: (torch.tensor([1.0, 4.0, 2.0]) * w**2).sum() / 2, [w])
    >>> round(found.value, 3), found.products <= POWER_ITERATIONS
    (4.0, True)
    """
    generator = torch.Generator().manual_seed(seed)
    vector = [torch.randn(p.shape, generator=generator).to(p) for p in params]
    value = 0.0
    for products in range(1, iterations + 1):
        norm = torch.sqrt(sum((v**2).sum() for v in vector))
        vector = [v / norm for v in vector]
        product = _hvp(loss, params, vector)
        previous, value = value, float(sum((h * v).sum() for h, v in zip(product, vector)))
        if abs(value - previous) <= tol * abs(value):
            break
        vector = product
    return Eigenvalue(value, products)


class Trace(NamedTuple):
    """A trace estimated by Hutchinson's estimator, its standard error and the probes it took."""

    value: float
    standard_error: float
    probes: int


def hessian_trace(loss: Callable[[], torch.Tensor], params: list[torch.Tensor], *, probes: int = TRACE_PROBES,
                  seed: int = 0) -> Trace:
    r"""Hutchinson's estimator of :math:`\operatorname{tr}H`, the Hessian of ``loss()`` in
    ``params``: the mean of :math:`v^\top H v` over ``probes`` Rademacher vectors :math:`v`
    (independent random signs, so :math:`\mathbb{E}[vv^\top] = I`), each by one Hessian-vector
    product on the same gradient graph, and the standard error of that mean. Exact for a diagonal
    Hessian (:math:`v^\top D v = \sum_i d_i`); its variance is :math:`2\sum_{i \ne j} H_{ij}^2/`
    ``probes``.

    >>> w = torch.zeros(3, requires_grad=True)
    >>> hessian_trace(lambda: (torch.tensor([1.0, 4.0, 2.0]) * w**2).sum() / 2, [w], probes=4)
    Trace(value=7.0, standard_error=0.0, probes=4)
    """
    generator = torch.Generator().manual_seed(seed)
    gradients = torch.autograd.grad(loss(), params, create_graph=True)
    values = []
    for _ in range(probes):
        vector = [(2 * torch.randint(0, 2, p.shape, generator=generator) - 1).to(p) for p in params]
        dot = sum((g * v).sum() for g, v in zip(gradients, vector))
        product = torch.autograd.grad(dot, params, retain_graph=True)
        values.append(float(sum((h * v).sum() for h, v in zip(product, vector))))
    found = torch.tensor(values, dtype=torch.float64)
    error = float(found.std() / math.sqrt(probes)) if probes > 1 else math.nan
    return Trace(float(found.mean()), error, probes)


def sample_top_eigenvalues(losses: Callable[[int], torch.Tensor], params: list[torch.Tensor], count: int,
                           **options) -> list[Eigenvalue]:
    r""":math:`\lambda_{\max}(\nabla^2 \ell_i)` for ``i`` in ``range(count)``, ``losses(i)`` being the
    loss of example ``i``: the per-example curvatures whose supremum is Ma et al.'s
    :math:`\beta` (a maximum over a sample bounds it from below)."""
    return [top_eigenvalue(lambda: losses(i), params, **options) for i in range(count)]


def per_example_gradients(model: torch.nn.Module, loss: Callable, images: torch.Tensor, labels: torch.Tensor,
                          chunk: int = 256) -> Iterator[torch.Tensor]:
    """The gradients of ``loss(output, label)`` for each example, flattened, ``chunk`` examples
    at a time (``torch.func.vmap``; the model's current mode, which must not use batch
    statistics: eval mode for batch norm)."""
    params = {name: p.detach() for name, p in model.named_parameters() if p.requires_grad}

    def one(weights, x, y):
        return loss(functional_call(model, weights, (x.unsqueeze(0),)), y.unsqueeze(0))

    per_example = vmap(grad(one), in_dims=(None, 0, 0))
    for start in range(0, len(labels), chunk):
        grads = per_example(params, images[start : start + chunk], labels[start : start + chunk])
        yield torch.cat([g.flatten(1) for g in grads.values()], dim=1)


def noise_scale(gradients, full: torch.Tensor) -> tuple[float, float]:
    r"""McCandlish et al.'s :math:`B_{\text{simple}} = \operatorname{tr}\Sigma/\|G\|^2` and
    :math:`\operatorname{tr}\Sigma`, from per-example ``gradients`` (chunks of rows, as from
    :func:`per_example_gradients`, on a uniform sample of examples) and the exact full gradient
    ``full``: :math:`\operatorname{tr}\Sigma` is estimated by the mean of :math:`\|g_i - G\|^2`
    over the sample (unbiased, :math:`G` being exact).

    >>> g = torch.tensor([[1.0, 0.0], [3.0, 0.0]])  # G = (2, 0): tr Sigma = 1, |G|^2 = 4
    >>> noise_scale([g], g.mean(0))
    (0.25, 1.0)
    """
    total, count = 0.0, 0
    for chunk in gradients:
        total += float(((chunk - full) ** 2).sum())
        count += len(chunk)
    trace = total / count
    return trace / float((full**2).sum()), trace


CURVATURE_SIZE = 4096  # fixed training examples of "hessian_lambda1"
BETA_SIZE = 128  # fixed training examples of "sample_beta"
NOISE_SCALE_SIZE = 1024  # fixed training examples of "noise_scale"'s per-example gradients


@contextlib.contextmanager
def _fixed_loss(probe: Probe):
    """In the body, eval mode and ``(loss, params, n)``: the mean cross-entropy over the
    ``CURVATURE_SIZE`` fixed training examples, the trainable parameters, and how many examples."""
    images, labels = probe.train
    pick = fixed_sample(labels, CURVATURE_SIZE, 5)
    x, y = images[pick], labels[pick]
    probe.model.eval()
    try:
        yield (lambda: F.cross_entropy(probe.model(x), y)), trainable(probe.model), len(y)
    finally:
        probe.model.train()


@measurement("hessian_lambda1")
def hessian_lambda1(probe: Probe, wanted: frozenset) -> dict:
    """:func:`top_eigenvalue` of the mean cross-entropy over ``CURVATURE_SIZE`` fixed training
    examples, eval mode."""
    with _fixed_loss(probe) as (loss, params, n):
        found = top_eigenvalue(loss, params)
    probe.examples += 4 * found.products * n  # a product: forward, backward and their backward
    return {"hessian_lambda1": found.value}


@measurement("hessian_trace", "hessian_trace_se")
def hessian_trace_of_the_loss(probe: Probe, wanted: frozenset) -> dict:
    """:func:`hessian_trace` of the mean cross-entropy over the ``CURVATURE_SIZE`` fixed training
    examples of ``hessian_lambda1`` (so their ratio is Ma et al.'s tr H / lambda_1 on one
    Hessian), eval mode; ``hessian_trace_se`` is its standard error over the probes."""
    with _fixed_loss(probe) as (loss, params, n):
        found = hessian_trace(loss, params)
    probe.examples += (2 + 2 * found.probes) * n  # the gradient graph once, then a backward pair per probe
    return {"hessian_trace": found.value, "hessian_trace_se": found.standard_error}


@measurement("sample_beta", "sample_beta_median")
def sample_beta(probe: Probe, wanted: frozenset) -> dict:
    """The largest and the median per-example curvature (:func:`sample_top_eigenvalues`) over
    ``BETA_SIZE`` fixed training examples, eval mode: the largest estimates Ma et al.'s beta
    from below."""
    images, labels = probe.train
    pick = fixed_sample(labels, BETA_SIZE, 6)
    x, y = images[pick], labels[pick]
    probe.model.eval()
    found = sample_top_eigenvalues(lambda i: F.cross_entropy(probe.model(x[i : i + 1]), y[i : i + 1]),
                                   trainable(probe.model), len(y))
    probe.model.train()
    probe.examples += 4 * sum(f.products for f in found)
    values = torch.tensor([f.value for f in found])
    return {"sample_beta": float(values.max()), "sample_beta_median": float(values.median())}


@measurement("noise_scale", "noise_trace")
def gradient_noise_scale(probe: Probe, wanted: frozenset) -> dict:
    """:func:`noise_scale` (``noise_scale``; ``noise_trace`` = tr Sigma) with the full gradient
    over the whole training subset and per-example gradients of ``NOISE_SCALE_SIZE`` fixed
    training examples, eval mode."""
    images, labels = probe.train
    pick = fixed_sample(labels, NOISE_SCALE_SIZE, 7)
    probe.model.eval()
    full = _flat_grad(probe.model, images, labels, probe.eval_batch)
    gradients = per_example_gradients(probe.model, F.cross_entropy, images[pick], labels[pick])
    scale, trace = noise_scale(gradients, full)
    probe.model.train()
    probe.examples += 2 * len(labels) + 2 * len(pick)
    return {"noise_scale": scale, "noise_trace": trace}
