"""The curvature and noise-scale estimators against direct computations on small problems."""

import pytest
import torch
from torch.nn import functional as F

from critbatch.train import curvature, measurements


def small_problem(seed: int = 0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3))
    x, y = torch.randn(64, 5), torch.randint(0, 3, (64,))
    return model, x, y


def dense_hessian(model, x, y) -> torch.Tensor:
    """The Hessian of the mean cross-entropy in all the model's parameters, flattened, by autograd."""
    params = list(model.parameters())
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for p in params]

    def loss_of(flat):
        chunks, start = [], 0
        for shape in shapes:
            chunks.append(flat[start : start + shape.numel()].view(shape))
            start += shape.numel()
        return F.cross_entropy(torch.func.functional_call(model, dict(zip(names, chunks)), (x,)), y)

    return torch.autograd.functional.hessian(loss_of, torch.cat([p.detach().flatten() for p in params]))


def test_top_eigenvalue_is_the_largest_magnitude_eigenvalue_of_the_hessian():
    model, x, y = small_problem()
    params = list(model.parameters())
    eigenvalues = torch.linalg.eigvalsh(dense_hessian(model, x, y))
    expected = float(eigenvalues[eigenvalues.abs().argmax()])
    found = curvature.top_eigenvalue(lambda: F.cross_entropy(model(x), y), params, iterations=500, tol=1e-9)
    assert found.value == pytest.approx(expected, rel=1e-3)


def test_per_example_curvatures_are_the_top_eigenvalues_of_dense_per_example_hessians():
    model, x, y = small_problem(3)
    params = list(model.parameters())
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for p in params]
    flat = torch.cat([p.detach().flatten() for p in params])

    def loss_of(i):
        def of(vector):
            chunks, start = [], 0
            for shape in shapes:
                chunks.append(vector[start : start + shape.numel()].view(shape))
                start += shape.numel()
            out = torch.func.functional_call(model, dict(zip(names, chunks)), (x[i : i + 1],))
            return F.cross_entropy(out, y[i : i + 1])
        return of

    found = curvature.sample_top_eigenvalues(lambda i: F.cross_entropy(model(x[i : i + 1]), y[i : i + 1]), params, 5,
                                             iterations=1000, tol=1e-10)
    for i, eigen in enumerate(found):
        values = torch.linalg.eigvalsh(torch.autograd.functional.hessian(loss_of(i), flat))
        assert eigen.value == pytest.approx(float(values[values.abs().argmax()]), rel=1e-3)


def test_noise_scale_matches_a_loop_over_examples():
    model, x, y = small_problem(1)
    params = list(model.parameters())
    grads = torch.stack([torch.cat([g.flatten() for g in torch.autograd.grad(
        F.cross_entropy(model(x[i : i + 1]), y[i : i + 1]), params)]) for i in range(len(y))])
    full = grads.mean(0)
    trace = float(((grads - full) ** 2).sum(1).mean())
    chunks = list(curvature.per_example_gradients(model, F.cross_entropy, x, y, chunk=10))
    assert torch.allclose(torch.cat(chunks), grads, atol=1e-6)
    scale, found = curvature.noise_scale(chunks, full)
    assert found == pytest.approx(trace, rel=1e-5)
    assert scale == pytest.approx(trace / float((full**2).sum()), rel=1e-5)


@pytest.mark.parametrize("name", ["hessian_lambda1", "sample_beta", "noise_scale"])
def test_curvature_measurements_leave_the_model_in_train_mode_without_gradients(name):
    model, x, y = small_problem(2)
    x = x.view(64, 1, 5)
    model = torch.nn.Sequential(torch.nn.Flatten(), *model)
    before = [p.detach().clone() for p in model.parameters()]
    probe = measurements.Probe(model, (x, y), lambda: None, 32)
    value = measurements.measure(probe, (name,))[name]
    assert value > 0 and probe.examples > 0
    assert model.training and all(p.grad is None for p in model.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_hutchinson_trace_is_the_trace_of_the_dense_hessian():
    """Many probes on the small network: within three standard errors of the dense Hessian's
    trace (and within 5 %); the standard error shrinks like 1/sqrt(probes)."""
    model, x, y = small_problem(1)
    params = list(model.parameters())
    exact = float(dense_hessian(model, x, y).trace())
    found = curvature.hessian_trace(lambda: F.cross_entropy(model(x), y), params, probes=1000)
    assert abs(found.value - exact) <= 3 * found.standard_error
    assert found.value == pytest.approx(exact, rel=0.05)
    fewer = curvature.hessian_trace(lambda: F.cross_entropy(model(x), y), params, probes=250)
    assert fewer.standard_error == pytest.approx(2 * found.standard_error, rel=0.3)
