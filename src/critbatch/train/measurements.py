"""Measurements: named quantities the training loop records at every evaluation.

A measurement is a function ``measure(probe, wanted) -> {name: value}`` registered under the
names it can produce; the loop calls each registered function once per evaluation with the
subset of its names that the run's config asks for (``TrainConfig.metrics``). A paper adds one
with :func:`measurement` in its own folder, without editing the loop:

>>> @measurement("parameter_norm")
... def parameter_norm(probe, wanted):
...     return {"parameter_norm": sum(float(p.norm()) ** 2 for p in probe.model.parameters()) ** 0.5}
>>> "parameter_norm" in known()
True

Measurements never count as SFO; the examples they pass through the network are added to
``probe.examples`` (the run's ``measure_examples``). They must leave the model as they found
it: in train mode, with no gradients.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch.nn import functional as F

from .. import validate
from ..data import subset_indices

__all__ = ["Probe", "fixed_sample", "full_pass", "known", "measure", "measurement", "sharpness_metric", "trainable"]

Measure = Callable[["Probe", frozenset], dict]
_REGISTRY: dict[str, Measure] = {}


@dataclass
class Probe:
    """What a measurement may look at: the network, the splits (the test split is loaded the
    first time a measurement asks for it), the evaluation batch size, the run's learning rate
    and batch size at this evaluation, whether its training batches are augmented, and a counter
    of the examples it passed through the network."""

    model: torch.nn.Module
    train: tuple[torch.Tensor, torch.Tensor]  # images, labels (the run's training subset)
    load_test: Callable[[], tuple[torch.Tensor, torch.Tensor]]
    eval_batch: int
    examples: int = 0
    lr: float = math.nan  # the schedules' values at this evaluation (set by the loop)
    batch_size: int = 0
    augment: bool = True

    @functools.cached_property
    def test(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.load_test()


def measurement(*names: str) -> Callable[[Measure], Measure]:
    """Register a measurement under the ``names`` it produces (each name once, project-wide)."""

    def register(measure: Measure) -> Measure:
        taken = [n for n in names if n in _REGISTRY and _REGISTRY[n] is not measure]
        if taken:
            raise ValueError(f"measurement names already registered: {taken}; choose other names")
        _REGISTRY.update(dict.fromkeys(names, measure))
        return measure

    return register


def known() -> tuple[str, ...]:
    """Every registered measurement name."""
    return tuple(_REGISTRY)


def measure(probe: Probe, names: tuple[str, ...]) -> dict:
    """Call each registered measurement once for the ``names`` it produces; their values."""
    unknown = [n for n in names if n not in _REGISTRY]
    if unknown:
        raise ValueError(f"unknown metrics {unknown}; known: {', '.join(known())}")
    values, done = {}, set()
    for name in names:
        function = _REGISTRY[name]
        if function in done:
            continue
        done.add(function)
        values.update(function(probe, frozenset(n for n in names if _REGISTRY[n] is function)))
    return {n: values[n] for n in names}


def fixed_sample(labels: torch.Tensor, size: int, seed: int) -> torch.Tensor:
    """The indices of ``min(size, n)`` of the ``n`` training examples, drawn without replacement
    by a generator seeded with ``seed``: the same examples at every evaluation of a run."""
    return subset_indices(len(labels), min(size, len(labels)), seed=seed).to(labels.device)


def trainable(model: torch.nn.Module) -> list[torch.Tensor]:
    """The parameters of ``model`` that take gradients."""
    return [p for p in model.parameters() if p.requires_grad]


def full_pass(model: torch.nn.Module, images, labels, batch: int, gradient: bool) -> dict:
    """Mean cross-entropy and accuracy over a whole split in eval mode, and the norm of the
    full gradient of the mean loss, :math:`\\|\\nabla f(\\theta)\\|`, if ``gradient``."""
    model.eval()
    loss_sum = torch.zeros((), device=images.device)
    correct = torch.zeros((), device=images.device)
    model.zero_grad(set_to_none=True)
    for start in range(0, len(labels), batch):
        x, y = images[start : start + batch], labels[start : start + batch]
        with torch.set_grad_enabled(gradient):
            out = model(x)
            loss = F.cross_entropy(out, y, reduction="sum")
        if gradient:
            (loss / len(labels)).backward()
        loss_sum += loss.detach()
        correct += (out.argmax(1) == y).sum()
    result = {"loss": (loss_sum / len(labels)).item(), "acc": (correct / len(labels)).item()}
    if gradient:
        squares = sum((p.grad**2).sum() for p in model.parameters() if p.grad is not None)
        result["norm"] = math.sqrt(float(squares))
        model.zero_grad(set_to_none=True)
    model.train()
    return result


@measurement("train_loss", "train_acc", "grad_norm")
def training_set(probe: Probe, wanted: frozenset) -> dict:
    """Loss and accuracy on the whole training set, and the full-gradient norm (one pass with
    backward if it is wanted; it then costs two passes' worth of examples)."""
    images, labels = probe.train
    gradient = "grad_norm" in wanted
    full = full_pass(probe.model, images, labels, probe.eval_batch, gradient)
    probe.examples += len(labels) * (2 if gradient else 1)
    return {"train_loss": full["loss"], "train_acc": full["acc"]} | ({"grad_norm": full["norm"]} if gradient else {})


@measurement("test_loss", "test_acc")
def test_set(probe: Probe, wanted: frozenset) -> dict:
    """Loss and accuracy on the whole test set."""
    images, labels = probe.test
    full = full_pass(probe.model, images, labels, probe.eval_batch, gradient=False)
    probe.examples += len(labels)
    return {"test_loss": full["loss"], "test_acc": full["acc"]}


OFFICIAL_BATCH = 100  # Umeda & Iiduka's code: the batch size of its full-gradient pass


@measurement("grad_norm_official")
def official_gradient(probe: Probe, wanted: frozenset) -> dict:
    r"""The full-gradient norm as Umeda & Iiduka's official code computes it (reproduction notes
    §2.4), an option beside the exact ``grad_norm``: the model stays in train mode (batch norm
    uses each batch's statistics and updates its running ones: a side effect on everything
    measured or trained after it, as in that code), every training example is used once in
    batches of 100, each batch transformed as training transforms it (the code trains on
    CIFAR with a random crop, padding 4, and flip: so here where the run augments, and not
    where it does not), and the sum-reduced cross-entropy is back-propagated and divided by
    :math:`n`. The code draws the augmentation unseeded; here it comes from a generator seeded
    with 0 at every check, so runs reproduce."""
    from ..data import random_crop_flip

    images, labels = probe.train
    model, generator = probe.model, torch.Generator(device=labels.device).manual_seed(0)
    model.train()
    model.zero_grad(set_to_none=True)
    for start in range(0, len(labels), OFFICIAL_BATCH):
        x = images[start : start + OFFICIAL_BATCH]
        x = random_crop_flip(x, 4, generator) if probe.augment else x
        loss = F.cross_entropy(model(x), labels[start : start + OFFICIAL_BATCH], reduction="sum")
        (loss / len(labels)).backward()
    squares = sum(float((p.grad**2).sum()) for p in model.parameters() if p.grad is not None)
    model.zero_grad(set_to_none=True)
    probe.examples += 2 * len(labels)
    return {"grad_norm_official": math.sqrt(squares)}


SAMPLE_SIZE = 512  # examples in the fixed sample of "sample_grad_norm"
SAMPLE_CHUNKS = 8  # equal chunks of that sample, for the debiased estimate


@measurement("sample_grad_norm", "sample_grad_norm_debiased")
def training_sample(probe: Probe, wanted: frozenset) -> dict:
    r"""A cheap proxy for the full-gradient norm: the gradient of the mean loss over one fixed
    random sample :math:`S` of ``SAMPLE_SIZE`` training examples (the same at every check; eval
    mode), split into :math:`k` = ``SAMPLE_CHUNKS`` chunks with gradients :math:`g_j` and mean
    :math:`\bar g`.

    ``sample_grad_norm`` is :math:`\|\bar g\|`, biased upwards by the sampling noise;
    ``sample_grad_norm_debiased`` removes the noise's expected share,

    .. math:: \Bigl(\max\Bigl(0,\ \|\bar g\|^2 - \frac{1}{k(k-1)} \sum_j \|g_j - \bar g\|^2\Bigr)\Bigr)^{1/2}.

    It costs ``SAMPLE_SIZE / n`` of a ``grad_norm`` check (n: the training subset).
    """
    images, labels = probe.train
    size = min(SAMPLE_SIZE, len(labels))
    chunks = min(SAMPLE_CHUNKS, size)
    pick = fixed_sample(labels, size, 1)
    params = trainable(probe.model)
    probe.model.eval()
    grads = []
    for part in torch.tensor_split(pick, chunks):
        loss = F.cross_entropy(probe.model(images[part]), labels[part])
        grads.append(torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, params)]))
    probe.model.train()
    g = torch.stack(grads)
    mean = g.mean(0)
    plain = float((mean**2).sum())
    spread = float(((g - mean) ** 2).sum()) / (chunks * (chunks - 1)) if chunks > 1 else 0.0
    probe.examples += 2 * size
    return {"sample_grad_norm": math.sqrt(plain), "sample_grad_norm_debiased": math.sqrt(max(0.0, plain - spread))}


# Gradient noise and sharpness (Sato & Iiduka, arXiv 2311.08745) ------------------------------

NOISE_DRAWS = 16  # mini-batches drawn per "noise_norm_b{size}" measurement
NOISE_SIZES = tuple(2**k for k in range(14))  # 1 ... 8192: the batch sizes with a registered name


def _mean_loss(model: torch.nn.Module, images, labels, batch: int) -> float:
    """The mean cross-entropy over ``images`` in batches of ``batch`` (no gradient; the model's
    current mode)."""
    with torch.no_grad():
        return float(sum(F.cross_entropy(model(images[s : s + batch]), labels[s : s + batch], reduction="sum")
                         for s in range(0, len(labels), batch))) / len(labels)


def _flat_grad(model: torch.nn.Module, images, labels, batch: int) -> torch.Tensor:
    """The gradient of the mean cross-entropy over ``images`` in batches of ``batch`` (the
    model's current mode), as one vector."""
    params = trainable(model)
    total = torch.zeros(sum(p.numel() for p in params), device=labels.device)
    for start in range(0, len(labels), batch):
        loss = F.cross_entropy(model(images[start : start + batch]), labels[start : start + batch], reduction="sum")
        total += torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, params)])
    return total / len(labels)


def noise_norm_metric(size: int) -> str:
    r"""The name of the measurement of the mini-batch gradient noise at batch size ``size``,
    ``f"noise_norm_b{size}"``: the mean over ``NOISE_DRAWS`` fixed random mini-batches
    :math:`B` of :math:`b` = ``size`` distinct training examples of

    .. math:: \|\omega\| = \|\nabla f_B(\theta) - \nabla f(\theta)\|,

    with :math:`\nabla f` the gradient over the whole training subset, both in eval mode (the
    batch-norm statistics are the running ones, so :math:`f` is one fixed function). Sato &
    Iiduka bound :math:`E\|\omega\| \le C/\sqrt b`; :math:`\sqrt b\,E\|\omega\|` estimates
    :math:`C`. The probe does not know the run's batch size, so the size is part of the name:
    a run measures the noise at its own batch size, or at a whole ladder of them at one
    checkpoint, by listing the names. The powers of two up to 8192 (:data:`NOISE_SIZES`) are
    registered when this module is imported; this function registers any other size (do so at
    import time of the module that builds such configs). All wanted sizes share one full
    gradient. Cost: two passes over the training subset plus ``2 * NOISE_DRAWS * size``
    examples per size.

    >>> noise_norm_metric(64)
    'noise_norm_b64'
    """
    return _noise_measurements(size, "noise_norm")[0]


def _noise_measurements(size: int, *kinds: str) -> tuple[str, ...]:
    """The names ``f"{kind}_b{size}"`` of :func:`gradient_noise`'s measurements, registered."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"a noise batch size must be a positive integer, got {size!r}")
    names = tuple(f"{kind}_b{size}" for kind in kinds)
    measurement(*names)(gradient_noise)
    return names


def gradient_noise(probe: Probe, wanted: frozenset) -> dict:
    """The ``noise_norm_b{size}`` (:func:`noise_norm_metric`), ``noise_draws_b{size}``,
    ``noise_layer_kurtosis_b{size}`` (:func:`noise_draw_metrics`), ``noise_quantiles_b{size}`` and
    ``noise_kurtosis_b{size}`` (:func:`noise_shape_metric`) measurements wanted, all from one full
    gradient; the norms, draws and per-layer kurtosis of one size from the same mini-batches."""
    images, labels = probe.train
    model = probe.model
    model.eval()
    full = _flat_grad(model, images, labels, probe.eval_batch)
    probe.examples += 2 * len(labels)
    values = {}
    shapes = {int(n.rsplit("_b", 1)[1]) for n in wanted if n.startswith(("noise_quantiles_b", "noise_kurtosis_b"))}
    for size in sorted(shapes):
        values.update(_noise_shape(probe, full, size))
    drawn = {int(n.rsplit("_b", 1)[1]) for n in wanted if n.startswith(("noise_norm_b", "noise_draws_b", "noise_layer"))}
    for size in sorted(drawn):
        values.update(_noise_draws(probe, full, size, layers=f"noise_layer_kurtosis_b{size}" in wanted))
    model.train()
    return {n: values[n] for n in wanted}


def _noise_draws(probe: Probe, full: torch.Tensor, size: int, *, layers: bool) -> dict:
    """``NOISE_DRAWS`` noise vectors at ``size`` (fixed mini-batches of distinct examples): their
    mean norm, each norm, and (``layers``) per parameter tensor the excess kurtosis of its
    components pooled over the draws (NaN for a tensor whose noise is constant). NaN (or empty
    lists) where ``size`` exceeds the training set."""
    images, labels = probe.train
    names = [f"noise_norm_b{size}", f"noise_draws_b{size}", f"noise_layer_kurtosis_b{size}"]
    if size > len(labels):
        return dict(zip(names, (math.nan, [], [])))
    generator = torch.Generator().manual_seed(2 + size)
    sizes = [p.numel() for p in trainable(probe.model)]
    norms, powers = [], torch.zeros(len(sizes), 4, dtype=torch.float64)  # per tensor: sums of x, x^2, x^3, x^4
    for _ in range(NOISE_DRAWS):
        pick = torch.randperm(len(labels), generator=generator)[:size].to(labels.device)
        noise = _flat_grad(probe.model, images[pick], labels[pick], probe.eval_batch) - full
        norms.append(float(noise.norm()))
        if layers:
            for i, part in enumerate(noise.double().split(sizes)):
                powers[i] += torch.stack([(part**k).sum() for k in range(1, 5)]).cpu()
    probe.examples += 2 * NOISE_DRAWS * size
    return dict(zip(names, (sum(norms) / len(norms), norms,
                            [_pooled_kurtosis(row, NOISE_DRAWS * k) for row, k in zip(powers, sizes)] if layers else [])))


def _pooled_kurtosis(sums: torch.Tensor, count: int) -> float:
    """The excess kurtosis of ``count`` numbers from their sums of powers 1 to 4 (streamed, so no
    draw is kept): the fourth central moment over the squared second, minus 3."""
    m1, m2, m3, m4 = (float(v) / count for v in sums)
    variance = m2 - m1**2
    fourth = m4 - 4 * m1 * m3 + 6 * m1**2 * m2 - 3 * m1**4
    return fourth / variance**2 - 3 if variance > 0 else math.nan


def noise_draw_metrics(size: int) -> tuple[str, str]:
    r"""The names of two measurements of :func:`noise_norm_metric`'s ``NOISE_DRAWS`` noise vectors
    at batch size ``size``: ``f"noise_draws_b{size}"``, the norm of each (a list: the spread of
    the mean, so a slope fitted to the means gets an interval), and ``f"noise_layer_kurtosis_b{size}"``,
    per parameter tensor (in the model's order) the excess kurtosis of its components pooled over
    the draws (a list): the tails of one layer, not a mix of layers with different scales.

    >>> noise_draw_metrics(32)
    ('noise_draws_b32', 'noise_layer_kurtosis_b32')
    """
    return _noise_measurements(size, "noise_draws", "noise_layer_kurtosis")


for _size in NOISE_SIZES:
    noise_norm_metric(_size)
    noise_draw_metrics(_size)


NOISE_LEVELS = 401  # quantile levels 0, 1/400, ..., 1 of "noise_quantiles_b{size}"


def noise_shape_metric(size: int) -> tuple[str, str]:
    r"""The names of the measurements of the shape of the noise :math:`\omega = \nabla f_B -
    \nabla f` at batch size ``size``: ``f"noise_quantiles_b{size}"``, the :data:`NOISE_LEVELS`
    quantiles (levels evenly spaced on [0, 1], so the first and last are the extremes) of the
    components of one :math:`\omega`, for one fixed random mini-batch of ``size`` distinct
    training examples, a list per evaluation; and ``f"noise_kurtosis_b{size}"``, their excess
    kurtosis (0 for Gaussian components, larger for heavier tails). Sato & Iiduka show this
    distribution (the histogram of their ``sampling.py``) to argue the noise is light-tailed.
    Eval mode, as :func:`noise_norm_metric`; the powers of two up to 8192 are registered when
    this module is imported (a worker process that only unpickles a config knows them).

    >>> noise_shape_metric(32)
    ('noise_quantiles_b32', 'noise_kurtosis_b32')
    """
    return _noise_measurements(size, "noise_quantiles", "noise_kurtosis")


def _noise_shape(probe: Probe, full: torch.Tensor, size: int) -> dict:
    """The quantiles and excess kurtosis of the components of one noise vector at ``size``,
    against the full gradient ``full`` (the model in eval mode)."""
    images, labels = probe.train
    pick = torch.randperm(len(labels), generator=torch.Generator().manual_seed(5 + size))[:size]
    pick = pick.to(labels.device)
    noise = (_flat_grad(probe.model, images[pick], labels[pick], probe.eval_batch) - full).double().cpu()
    probe.examples += 2 * size
    centred = noise - noise.mean()
    levels = torch.linspace(0, 1, NOISE_LEVELS, dtype=torch.float64)
    return {f"noise_quantiles_b{size}": torch.quantile(noise, levels).tolist(),
            f"noise_kurtosis_b{size}": float((centred**4).mean() / (centred**2).mean() ** 2 - 3)}


for _size in NOISE_SIZES:
    noise_shape_metric(_size)


SMOOTHING_SIZE = 512  # the fixed training examples that define f in the smoothing check
SMOOTHING_DRAWS = 4  # mini-batches, and directions on the sphere, per evaluation


def _assign(params: list[torch.Tensor], vector: torch.Tensor) -> None:
    with torch.no_grad():
        start = 0
        for p in params:
            p.copy_(vector[start : start + p.numel()].view_as(p))
            start += p.numel()


@measurement("smoothing_f", "smoothing_gd", "smoothing_sgd", "smoothing_ball", "smoothing_delta")
def smoothing(probe: Probe, wanted: frozenset) -> dict:
    r"""Sato & Iiduka's reading of SGD as gradient descent on a smoothed loss, measured at the
    current point :math:`\theta` with the run's current :math:`\eta` and :math:`b`. Here
    :math:`f` is the mean loss over one fixed sample :math:`S` of :data:`SMOOTHING_SIZE` training
    examples in train mode, as SGD sees the network: batch normalisation uses the statistics of
    the batch, all of :math:`S` for :math:`f` and :math:`\nabla f`, the mini-batch
    :math:`B \subset S` of :math:`b` examples for :math:`\nabla f_B` (so the noise
    :math:`\omega_B = \nabla f_B - \nabla f` includes what the batch statistics add; the running
    statistics are restored afterwards):

    - ``smoothing_f`` :math:`= f(\theta)`, ``smoothing_gd`` :math:`= f(\theta - \eta\nabla f)`;
    - ``smoothing_sgd`` :math:`= \mathrm{mean}_B\, f(\theta - \eta\nabla f_B)`, the loss one SGD
      step leads to, that is :math:`f` at the gradient step moved by :math:`-\eta\,\omega_B`;
    - ``smoothing_delta`` :math:`= \delta = \eta\,\mathrm{mean}_B\|\omega_B\|`, the predicted
      :math:`\eta C/\sqrt b` with :math:`C` estimated as in :func:`noise_norm_metric`;
    - ``smoothing_ball`` :math:`= \mathrm{mean}_u\, f(\theta - \eta\nabla f - \delta u)`,
      :math:`u` uniform in the unit ball: the Monte-Carlo :math:`\hat f_\delta` (Hazan, Levy &
      Shalev-Shwartz 2016) at the gradient step.

    The reading "SGD is gradient descent on :math:`\hat f_\delta`" predicts ``smoothing_sgd``
    :math:`\approx` ``smoothing_ball``: both move the gradient step by a random vector of the
    same mean length :math:`\delta`, SGD's along its own noise, the smoothing's in a uniform
    direction. :data:`SMOOTHING_DRAWS` of each."""
    images, labels = probe.train
    size = min(SMOOTHING_SIZE, len(labels))
    generator = torch.Generator().manual_seed(4)
    pick = torch.randperm(len(labels), generator=generator)[:size].to(labels.device)
    x, y = images[pick], labels[pick]
    model, lr = probe.model, probe.lr
    b = min(probe.batch_size, size)
    params = trainable(model)
    theta = torch.cat([p.detach().reshape(-1) for p in params])
    buffers = [t.detach().clone() for t in model.buffers()]

    def f(vector: torch.Tensor) -> float:
        _assign(params, vector)
        return _mean_loss(model, x, y, size)

    try:
        full = _flat_grad(model, x, y, size)
        sgd, norms = [], []
        for _ in range(SMOOTHING_DRAWS):
            chosen = torch.randperm(size, generator=generator)[:b].to(labels.device)
            stochastic = _flat_grad(model, x[chosen], y[chosen], b)
            norms.append(float((stochastic - full).norm()))
            sgd.append(f(theta - lr * stochastic))
            _assign(params, theta)
        step = theta - lr * full
        delta = lr * sum(norms) / len(norms)
        ball = []
        for _ in range(SMOOTHING_DRAWS):
            u = torch.randn(theta.numel(), generator=generator, dtype=torch.float64)
            u *= float(torch.rand((), generator=generator, dtype=torch.float64)) ** (1 / theta.numel()) / u.norm()
            ball.append(f(step - delta * u.to(theta)))
        values = {"smoothing_f": f(theta), "smoothing_gd": f(step), "smoothing_sgd": sum(sgd) / len(sgd),
                  "smoothing_ball": sum(ball) / len(ball), "smoothing_delta": delta}
    finally:
        _assign(params, theta)
        with torch.no_grad():
            for t, saved in zip(model.buffers(), buffers):
                t.copy_(saved)
    probe.examples += 2 * size + SMOOTHING_DRAWS * (2 * b + 2 * size) + 2 * size
    return {n: values[n] for n in wanted}


def worst_case_sharpness(loss: Callable[[], torch.Tensor], params: list[torch.Tensor], rho: float = 2e-4,
                         steps: int = 20, adaptive: bool = True) -> float:
    r"""Worst-case (adaptive) :math:`\ell_\infty` sharpness (Andriushchenko et al. 2023, "A
    modern look at the relationship between sharpness and generalization", eq. 2 with
    :math:`p = \infty`), as Sato & Iiduka report it (:math:`\rho = 0.0002`):

    .. math:: S_\rho(w) = \max_{\|\varepsilon \oslash |w|\|_\infty \le \rho} L(w + \varepsilon) - L(w),

    where the division by :math:`|w|` (elementwise) is dropped when ``adaptive`` is False. The
    maximum is searched by projected sign-gradient ascent on :math:`\nu = \varepsilon \oslash |w|`
    (``steps`` gradients; the first step goes to the box's vertex :math:`\rho\,\mathrm{sign}(\nabla)`,
    later steps have size :math:`2\rho \cdot 0.75^k` and are clipped to the box), keeping the
    best value seen: a lower bound of :math:`S_\rho`, exact when the maximiser is the vertex the
    gradients point to (a convex separable :math:`L`, for instance). Andriushchenko et al. use
    Auto-PGD with the same box; this is the plain PGD variant.

    ``loss()`` evaluates :math:`L` at the current values of ``params``; the parameters are
    restored afterwards.

    >>> w = torch.tensor([1.0, -2.0], requires_grad=True)
    >>> round(worst_case_sharpness(lambda: (w**2).sum() / 2, [w], rho=0.1), 6)  # ((1.1^2 - 1) + (2.2^2 - 4)) / 2
    0.525
    """
    if not rho > 0 or steps < 1:
        raise ValueError(f"need rho > 0 and steps >= 1, got rho={rho!r}, steps={steps!r}")
    weights = [p.detach().clone() for p in params]
    scales = [w.abs() if adaptive else torch.ones_like(w) for w in weights]
    nus = [torch.zeros_like(w) for w in weights]
    with torch.no_grad():
        base = float(loss())
    best = 0.0
    try:
        for k in range(steps + 1):
            with torch.no_grad():
                for p, w, s, nu in zip(params, weights, scales, nus):
                    p.copy_(w + s * nu)
            if k == steps:
                with torch.no_grad():
                    best = max(best, float(loss()) - base)
                break
            value = loss()
            grads = torch.autograd.grad(value, params)
            best = max(best, float(value.detach()) - base)
            size = rho if k == 0 else 2 * rho * 0.75**k
            with torch.no_grad():
                for nu, g, s in zip(nus, grads, scales):
                    nu.add_(size * torch.sign(g * s)).clamp_(-rho, rho)
    finally:
        with torch.no_grad():
            for p, w in zip(params, weights):
                p.copy_(w)
    return best


SHARPNESS_SIZE = 1024  # fixed training examples of "adaptive_sharpness" (Andriushchenko et al.'s n_eval)
SHARPNESS_RHO = 2e-4  # Sato & Iiduka's radius
SHARPNESS_STEPS = 20  # gradient steps of the search (the authors' n_iters)


def sharpness_metric(steps: int = SHARPNESS_STEPS) -> str:
    """The name of the sharpness measurement (:func:`sharpness`) searched with ``steps``
    gradients: ``"adaptive_sharpness"`` for the authors' ``SHARPNESS_STEPS``, else
    ``f"adaptive_sharpness_steps{steps}"`` (registered here; a cheaper search for the smoke
    scale, which only checks the plumbing).

    >>> sharpness_metric(), sharpness_metric(2)
    ('adaptive_sharpness', 'adaptive_sharpness_steps2')
    """
    validate.positive_int(steps, "steps")
    name = "adaptive_sharpness" if steps == SHARPNESS_STEPS else f"adaptive_sharpness_steps{steps}"
    measurement(name)(sharpness)
    return name


def sharpness(probe: Probe, wanted: frozenset) -> dict:
    """Worst-case adaptive l-infinity sharpness (:func:`worst_case_sharpness`, rho =
    ``SHARPNESS_RHO``) of the mean loss over one fixed random sample of ``SHARPNESS_SIZE``
    training examples, eval mode, all parameters perturbed; searched with the number of
    gradients its name gives (:func:`sharpness_metric`)."""
    images, labels = probe.train
    size = min(SHARPNESS_SIZE, len(labels))
    pick = fixed_sample(labels, size, 3)
    x, y = images[pick], labels[pick]
    params = trainable(probe.model)
    probe.model.eval()

    def loss() -> torch.Tensor:
        return sum(F.cross_entropy(probe.model(x[s : s + probe.eval_batch]), y[s : s + probe.eval_batch],
                                   reduction="sum") for s in range(0, size, probe.eval_batch)) / size

    values = {}
    for name in sorted(wanted):
        steps = int(name.removeprefix("adaptive_sharpness").removeprefix("_steps") or SHARPNESS_STEPS)
        values[name] = worst_case_sharpness(loss, params, SHARPNESS_RHO, steps)
        probe.examples += (2 * steps + 2) * size
    probe.model.train()
    return values


sharpness_metric()
