"""Core measurements added for Sato & Iiduka: the mini-batch gradient noise at a batch size,
and worst-case adaptive l-infinity sharpness, tested where the answer is known in closed form."""

import copy
import math

import numpy as np
import pytest
import scipy.stats
import torch
from torch import nn

from critbatch.train import measurements
from critbatch.train.measurements import Probe, noise_norm_metric, worst_case_sharpness


def quadratic(a, c):
    return lambda w: (a * (w - c) ** 2).sum() / 2


def test_sharpness_of_a_separable_convex_quadratic_is_the_closed_form():
    """max over |eps_i| <= rho |w_i| of sum a_i (w_i + eps_i - c_i)^2 / 2 is reached at
    eps_i = rho |w_i| sign(w_i - c_i): sum a_i ((|w_i - c_i| + rho |w_i|)^2 - (w_i - c_i)^2) / 2."""
    torch.manual_seed(0)
    a, c = torch.rand(50, dtype=torch.float64) + 0.1, torch.randn(50, dtype=torch.float64)
    w = torch.randn(50, dtype=torch.float64, requires_grad=True)
    before = w.detach().clone()
    for rho, adaptive in ((2e-4, True), (0.05, True), (0.05, False)):
        scale = before.abs() if adaptive else torch.ones_like(before)
        gap = (before - c).abs()
        exact = float((a * ((gap + rho * scale) ** 2 - gap**2)).sum() / 2)
        found = worst_case_sharpness(lambda: quadratic(a, c)(w), [w], rho=rho, adaptive=adaptive)
        assert math.isclose(found, exact, rel_tol=1e-9)
        assert torch.equal(w.detach(), before)  # parameters restored


def test_sharpness_of_a_coupled_quadratic_is_the_best_vertex():
    """A convex quadratic's maximum over a box sits at a vertex: check against all 2^4 of them."""
    torch.manual_seed(1)
    m = torch.randn(4, 4, dtype=torch.float64)
    h = m @ m.T + 4 * torch.eye(4, dtype=torch.float64)
    w = torch.tensor([1.0, -0.5, 2.0, 0.3], dtype=torch.float64, requires_grad=True)
    rho = 0.1
    loss = lambda v: v @ h @ v / 2  # noqa: E731
    base = float(loss(w.detach()))
    signs = torch.tensor([[(k >> i) & 1 for i in range(4)] for k in range(16)], dtype=torch.float64) * 2 - 1
    best = max(float(loss(w.detach() + rho * s * w.detach().abs())) - base for s in signs)
    assert math.isclose(worst_case_sharpness(lambda: loss(w), [w], rho=rho), best, rel_tol=1e-9)


def test_sharpness_rejects_bad_arguments():
    w = torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="rho > 0"):
        worst_case_sharpness(lambda: w.sum(), [w], rho=0.0)


def _probe(n=64, seed=0):
    torch.manual_seed(seed)
    images, labels = torch.randn(n, 5), torch.randint(0, 3, (n,))
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
    return Probe(model, (images, labels), lambda: (images, labels), eval_batch=16)


def test_noise_norm_names_are_registered_and_validated():
    assert {"noise_norm_b1", "noise_norm_b64", "noise_norm_b8192"} <= set(measurements.known())
    assert noise_norm_metric(48) == "noise_norm_b48" and "noise_norm_b48" in measurements.known()
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="positive integer"):
            noise_norm_metric(bad)


def test_noise_norm_is_zero_for_the_full_batch_and_shrinks_like_one_over_sqrt_b():
    probe = _probe(n=256)
    names = ("noise_norm_b4", "noise_norm_b64", "noise_norm_b256", "noise_norm_b512")
    values = measurements.measure(probe, names)
    assert values["noise_norm_b256"] < 1e-6  # the whole training set: no noise
    assert math.isnan(values["noise_norm_b512"])  # more than the training set
    ratio = values["noise_norm_b4"] / values["noise_norm_b64"]
    assert 2.5 < ratio < 6.5  # sqrt(64 / 4) = 4, up to sampling without replacement and 16 draws
    assert probe.model.training and all(p.grad is None for p in probe.model.parameters())
    assert probe.examples == 2 * 256 + 2 * measurements.NOISE_DRAWS * (4 + 64 + 256)


def test_noise_norm_matches_a_direct_computation():
    probe = _probe(n=32)
    value = measurements.measure(probe, ("noise_norm_b8",))["noise_norm_b8"]
    images, labels = probe.train
    params = list(probe.model.parameters())

    def grad(x, y):
        loss = nn.functional.cross_entropy(probe.model(x), y)
        return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, params)])

    full = grad(images, labels)
    generator = torch.Generator().manual_seed(2 + 8)
    picks = [torch.randperm(32, generator=generator)[:8] for _ in range(measurements.NOISE_DRAWS)]
    direct = sum(float((grad(images[p], labels[p]) - full).norm()) for p in picks) / len(picks)
    assert math.isclose(value, direct, rel_tol=1e-5)


def test_noise_draws_are_the_norms_the_mean_averages_and_layer_kurtosis_is_per_tensor():
    probe = _probe(n=64)
    values = measurements.measure(probe, ("noise_norm_b8", "noise_draws_b8", "noise_layer_kurtosis_b8"))
    draws = values["noise_draws_b8"]
    assert len(draws) == measurements.NOISE_DRAWS and math.isclose(sum(draws) / len(draws), values["noise_norm_b8"])
    alone = measurements.measure(_probe(n=64), ("noise_norm_b8",))["noise_norm_b8"]
    assert alone == values["noise_norm_b8"]  # the same draws whether or not the extras are asked for
    kurtosis = values["noise_layer_kurtosis_b8"]
    images, labels = probe.train
    params = list(probe.model.parameters())
    full = torch.autograd.grad(nn.functional.cross_entropy(probe.model(images), labels), params)
    generator = torch.Generator().manual_seed(2 + 8)
    pooled = [[] for _ in params]
    for _ in range(measurements.NOISE_DRAWS):
        pick = torch.randperm(64, generator=generator)[:8]
        grads = torch.autograd.grad(nn.functional.cross_entropy(probe.model(images[pick]), labels[pick]), params)
        for i, (g, f) in enumerate(zip(grads, full)):
            pooled[i].append((g - f).reshape(-1).double())
    direct = [float(scipy.stats.kurtosis(torch.cat(parts).numpy())) for parts in pooled]
    assert np.allclose(kurtosis, direct, rtol=1e-4, atol=1e-4)  # streamed moments = the pooled components' kurtosis
    assert probe.examples == 2 * 64 + 2 * measurements.NOISE_DRAWS * 8  # one set of draws for all three
    assert measurements.measure(_probe(n=4), ("noise_draws_b8", "noise_layer_kurtosis_b8")) == {
        "noise_draws_b8": [], "noise_layer_kurtosis_b8": []}


def test_adaptive_sharpness_measurement_leaves_the_model_as_it_was():
    probe = _probe(n=64)
    before = [p.detach().clone() for p in probe.model.parameters()]
    value = measurements.measure(probe, ("adaptive_sharpness",))["adaptive_sharpness"]
    assert value >= 0
    assert all(torch.equal(a, p.detach()) for a, p in zip(before, probe.model.parameters()))
    assert probe.model.training


def test_a_sharpness_search_with_fewer_steps_is_its_own_measurement_and_costs_its_own_examples():
    """The smoke scale's cheaper search is named by its steps; the authors' 20 keep the plain name."""
    quick, full = measurements.sharpness_metric(2), measurements.sharpness_metric(measurements.SHARPNESS_STEPS)
    assert (quick, full) == ("adaptive_sharpness_steps2", "adaptive_sharpness")
    probe = _probe(n=64)
    values = measurements.measure(probe, (quick, full))
    assert probe.examples == (2 * 2 + 2) * 64 + (2 * measurements.SHARPNESS_STEPS + 2) * 64
    assert values[full] == measurements.measure(_probe(n=64), (full,))[full]
    params = list(probe.model.parameters())
    images, labels = probe.train
    pick = measurements.fixed_sample(labels, 64, 3)
    x, y, batch = images[pick], labels[pick], probe.eval_batch
    probe.model.eval()
    loss = lambda: sum(nn.functional.cross_entropy(probe.model(x[s : s + batch]), y[s : s + batch], reduction="sum")
                       for s in range(0, 64, batch)) / 64
    assert values[quick] == measurements.worst_case_sharpness(loss, params, measurements.SHARPNESS_RHO, 2)
    with pytest.raises(ValueError, match="steps"):
        measurements.sharpness_metric(0)


@pytest.mark.parametrize("augment", [True, False])
def test_the_official_full_gradient_is_taken_in_train_mode_on_batches_transformed_as_in_training(augment):
    """Umeda & Iiduka's code: train mode (batch norm on batch statistics, running ones updated),
    batches of 100, random crop and flip where training augments (the code's CIFAR runs) and no
    transform where it does not, sum-reduced loss over n; a fixed generator here."""
    from critbatch.data import random_crop_flip
    from critbatch.train.measurements import OFFICIAL_BATCH, Probe, measure

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(),
                                torch.nn.Linear(4 * 10 * 10, 3))
    images, labels = torch.rand(250, 1, 12, 12), torch.randint(0, 3, (250,))
    reference = copy.deepcopy(model)
    probe = Probe(model, (images, labels), lambda: None, eval_batch=64, augment=augment)
    value = measure(probe, ("grad_norm_official",))["grad_norm_official"]
    generator = torch.Generator().manual_seed(0)
    total = 0
    for start in range(0, 250, OFFICIAL_BATCH):
        x = images[start : start + OFFICIAL_BATCH]
        x = random_crop_flip(x, 4, generator) if augment else x
        loss = torch.nn.functional.cross_entropy(reference(x), labels[start : start + OFFICIAL_BATCH], reduction="sum")
        total = total + loss / 250
    grads = torch.autograd.grad(total, list(reference.parameters()))
    assert value == pytest.approx(float(torch.sqrt(sum((g**2).sum() for g in grads))), rel=1e-5)
    assert not torch.equal(model[1].running_mean, torch.zeros(4)), "train mode updates the running statistics"
    assert probe.examples == 500 and all(p.grad is None for p in model.parameters())


def test_noise_shape_quantiles_and_kurtosis_match_a_direct_computation():
    probe = _probe(n=64)
    quantiles_name, kurtosis_name = measurements.noise_shape_metric(8)
    values = measurements.measure(probe, (quantiles_name, kurtosis_name))
    images, labels = probe.train
    params = list(probe.model.parameters())

    def grad(x, y):
        loss = nn.functional.cross_entropy(probe.model(x), y)
        return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, params)])

    pick = torch.randperm(64, generator=torch.Generator().manual_seed(5 + 8))[:8]
    noise = (grad(images[pick], labels[pick]) - grad(images, labels)).double()
    quantiles = values[quantiles_name]
    assert len(quantiles) == measurements.NOISE_LEVELS
    assert quantiles[0] == pytest.approx(float(noise.min()), rel=1e-4)
    assert quantiles[-1] == pytest.approx(float(noise.max()), rel=1e-4)
    assert quantiles[200] == pytest.approx(float(noise.median()), rel=1e-3, abs=1e-7)
    centred = noise - noise.mean()
    assert values[kurtosis_name] == pytest.approx(float((centred**4).mean() / (centred**2).mean() ** 2 - 3), rel=1e-3)
    assert probe.model.training and probe.examples == 2 * 64 + 2 * 8


SMOOTHING = ("smoothing_f", "smoothing_gd", "smoothing_sgd", "smoothing_ball", "smoothing_delta")


def test_the_smoothing_check_where_the_answer_is_known():
    """A logistic loss over identical examples has no noise: the SGD step is the gradient step,
    delta = 0 and the smoothed loss is f at the step. Examples that differ give noise, and one
    SGD step then lands above the gradient step on average."""

    class Logistic(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.tensor([1.0, -2.0]))

        def forward(self, x):  # logits whose cross-entropy has a per-example minimum
            return torch.stack([(self.w * x).sum(1), torch.zeros(len(x))], 1)

    same = torch.ones(64, 2)
    probe = Probe(Logistic(), (same, torch.zeros(64, dtype=torch.long)), lambda: None, eval_batch=16,
                  lr=0.5, batch_size=4)
    values = measurements.measure(probe, SMOOTHING)
    assert values["smoothing_delta"] < 1e-7
    assert values["smoothing_sgd"] == pytest.approx(values["smoothing_gd"], rel=1e-6)
    assert values["smoothing_ball"] == pytest.approx(values["smoothing_gd"], rel=1e-6)
    assert values["smoothing_gd"] < values["smoothing_f"]
    torch.manual_seed(0)
    probe = Probe(Logistic(), (torch.randn(64, 2) * 3, torch.zeros(64, dtype=torch.long)), lambda: None,
                  eval_batch=16, lr=0.5, batch_size=4)
    before = [p.detach().clone() for p in probe.model.parameters()]
    values = measurements.measure(probe, SMOOTHING)
    assert values["smoothing_delta"] > 0.1
    assert values["smoothing_sgd"] > values["smoothing_gd"]
    assert all(torch.equal(a, p.detach()) for a, p in zip(before, probe.model.parameters()))
    assert probe.model.training and all(p.grad is None for p in probe.model.parameters())


def test_the_smoothing_check_restores_batch_norm_statistics():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    images, labels = torch.randn(64, 5), torch.randint(0, 3, (64,))
    probe = Probe(model, (images, labels), lambda: None, eval_batch=16, lr=0.1, batch_size=8)
    buffers = [b.clone() for b in model.buffers()]
    measurements.measure(probe, ("smoothing_sgd",))
    assert all(torch.equal(a, b) for a, b in zip(buffers, model.buffers()))


def test_noise_norm_and_shape_share_one_full_gradient():
    names = ("noise_norm_b8", *measurements.noise_shape_metric(8))
    together, alone = _probe(n=64), [_probe(n=64), _probe(n=64)]
    both = measurements.measure(together, names)
    apart = measurements.measure(alone[0], names[:1]) | measurements.measure(alone[1], names[1:])
    assert both == apart
    assert together.examples == sum(p.examples for p in alone) - 2 * 64  # one full gradient, not two
