"""Mini-batch SGD for kernel least squares and EigenPro, on the tiny MNIST-format data set."""

import numpy as np
import pytest
import torch

from critbatch.papers.interpolation import kernel_sgd, theory
from critbatch.papers.interpolation.kernel_sgd import KernelProblem, KernelRun
from critbatch.data import DeviceLoader


@pytest.fixture
def problem(tiny_mnist, tmp_path):
    """A loaded 64-point problem and a function that trains configs on the same data."""
    spec = KernelProblem("mnist", n=64, n_test=32, kernel="gaussian", bandwidth=6.0)
    options = {"data_root": str(tmp_path), "mirror": str(tiny_mnist), "progress": False}

    def fit(**changes):
        budget = {} if {"epochs", "steps"} & set(changes) else {"steps": 10}
        config = KernelRun(spec, **{"batch_size": 4, **budget, **changes})
        return kernel_sgd.train(config, **options)

    loaded = kernel_sgd.load_problem(spec, "cpu", options["data_root"], options["mirror"])
    return spec, loaded, fit


def test_problem_has_the_theory_constants(problem):
    spec, loaded, _ = problem
    assert loaded.k.shape == (64, 64) and loaded.k_test.shape == (32, 64)
    assert loaded.beta == 1.0 and torch.equal(loaded.y.sum(1), torch.ones(64))
    dense = np.linalg.eigvalsh(loaded.k.double().numpy() / 64)[-1]
    assert loaded.lambda_1 == pytest.approx(dense, rel=1e-8)


def test_repeated_indices_accumulate():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3))
    k = torch.tensor(x @ x.T, dtype=torch.float64)
    y = torch.tensor(rng.standard_normal((6, 2)))
    alpha = torch.tensor(rng.standard_normal((6, 2)))
    f = k @ alpha
    batch = torch.tensor([1, 4, 1, 1, 0])
    expected = alpha.numpy().copy()
    residual = (f - y).numpy()
    np.add.at(expected, batch.numpy(), -0.1 * residual[batch.numpy()])  # eq. 2: every draw counts
    kernel_sgd.sgd_step(k, y, alpha, f, batch, 0.1)
    np.testing.assert_allclose(alpha.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(f.numpy(), (k @ alpha).numpy(), rtol=1e-12)  # predictions kept in step


def test_sgd_converges_to_the_interpolating_solution(problem):
    """The SGD iterate itself, against a dense solve of K alpha = Y."""
    spec, loaded, fit = problem
    k, y = loaded.k.double(), loaded.y.double()
    alpha, f = torch.zeros_like(y), torch.zeros_like(y)
    rate = float(theory.practical_step(1, loaded.beta, loaded.lambda_1, 64))
    sampler = DeviceLoader(torch.arange(64), torch.arange(64), seed=0, sampling="replacement")
    for _ in range(64 * 400):
        kernel_sgd.sgd_step(k, y, alpha, f, sampler.next_indices(1), rate)
    torch.testing.assert_close(alpha, torch.linalg.solve(k, y), rtol=0, atol=1e-6)
    log, summary = fit(batch_size=1, epochs=400, eval_every=10**9)  # the same through train()
    assert summary["lr"] == pytest.approx(rate) and log.train_loss.iloc[-1] < 1e-10


def test_gradient_descent_is_the_full_batch_limit(problem):
    spec, loaded, fit = problem
    log, summary = fit(batch_size=64, steps=3)
    eta = float(theory.practical_step(64, 1.0, loaded.lambda_1, 64))
    assert summary["lr"] == pytest.approx(eta)
    alpha = torch.zeros_like(loaded.y)
    for _ in range(3):
        alpha -= eta / 64 * (loaded.k @ alpha - loaded.y)
    expected = float(((loaded.k @ alpha - loaded.y) ** 2).sum() / 64)
    assert log.train_loss.iloc[-1] == pytest.approx(expected, rel=1e-5)
    assert log.epoch.tolist() == [0, 1, 2, 3]


def test_logged_errors_are_the_true_errors(problem):
    _, loaded, fit = problem
    log, summary = fit(batch_size=5, epochs=3, test=True, targets=(0.5, 1e-30))
    assert summary["steps_to"]["1e-30"] is None
    assert summary["steps_to"]["0.5"] == int(np.argmax(log.train_loss.to_numpy() <= 0.5)) > 0
    assert log.train_loss.iloc[0] == pytest.approx(1.0) and log.test_loss.iloc[0] == pytest.approx(1.0)
    assert log.test_error.between(0, 1).all()
    assert summary["steps"] == 39 and log.epoch.iloc[-1] == pytest.approx(39 * 5 / 64)


def test_critical_batch_and_factor(problem):
    _, loaded, fit = problem
    critical = theory.practical_critical_batch(1.0, loaded.lambda_1, 64)
    _, summary = fit(batch_size="critical", batch_factor=2, steps=2)
    assert summary["batch_size"] == min(2 * round(critical), 64)
    assert summary["critical_batch"] == pytest.approx(critical)


def test_epoch_sampling_visits_every_point(problem):
    _, _, fit = problem
    log, summary = fit(batch_size=10, epochs=2, sampling="epoch", eval_every=10**9)
    assert summary["steps"] == 14  # 7 batches per epoch, the last one short
    assert log.epoch.tolist() == [0, 1, 2]


def test_divergence_is_recorded(problem):
    _, _, fit = problem
    log, summary = fit(step_factor=50.0, steps=200)
    assert summary["status"] == "diverged" and summary["steps"] < 200


def test_eigenpro_flattens_the_top_of_the_spectrum(problem):
    """With the whole training set as the subsample the Nystrom step is exact: eigenvalues
    lambda_j, j < q, become lambda_q^a lambda_j^(1-a); the others are untouched."""
    _, loaded, _ = problem
    q, a = 6, 0.9
    pre = kernel_sgd.eigenpro(loaded, {"subsample": 64, "top": q, "damping": a}, seed=0)
    original = np.linalg.eigvalsh(loaded.k.double().numpy() / 64)[::-1]
    modified = loaded.k.double() - _modified_part(loaded, pre)
    eig = np.linalg.eigvalsh(modified.numpy() / 64)[::-1]
    expected = np.sort(np.concatenate([original[q - 1] ** a * original[: q - 1] ** (1 - a), original[q - 1 :]]))[::-1]
    np.testing.assert_allclose(eig, expected, atol=1e-6)
    assert pre.lambda_1 == pytest.approx(expected[0], rel=1e-4)
    assert pre.lambda_1 < loaded.lambda_1 / 2


def _modified_part(loaded, pre):
    """K - K_P, read off the EigenPro step: the change of the predictions of a unit step."""
    n = len(loaded.k)
    delta = torch.zeros(n, n, dtype=torch.float64)
    for i in range(n):
        y = torch.zeros(n, 1)
        alpha, f = torch.zeros(n, 1), torch.zeros(n, 1)
        y[i] = -1.0  # residual f - y = e_i
        kernel_sgd.sgd_step(loaded.k, y, alpha, f, torch.tensor([i]), 1.0, pre)
        delta[:, i] = (f[:, 0] + loaded.k[:, i]).double()  # f = -K_P e_i; K e_i - K_P e_i
    return delta


def test_eigenpro_run_uses_the_modified_constants(problem):
    _, loaded, fit = problem
    settings = {"subsample": 32, "top": 8, "damping": 0.95, "max_batch": 16}
    log, summary = fit(batch_size="critical", epochs=3, sampling="epoch", eigenpro=settings, point_losses=True)
    assert summary["kernel_lambda_1"] == pytest.approx(loaded.lambda_1)
    assert summary["lambda_1"] < loaded.lambda_1 and summary["beta"] < 1
    assert summary["batch_size"] <= 16
    losses = log.point_losses.dropna()
    assert len(losses) == 4 and all(len(p) == 64 for p in losses)  # start + 3 epoch ends
    np.testing.assert_allclose(np.mean(losses.iloc[-1]), log.train_loss.iloc[-1], rtol=1e-5)


@pytest.mark.parametrize("changes, message", [
    ({"steps": None}, "exactly one budget"),
    ({"epochs": 1.0}, "exactly one budget"),
    ({"batch_size": "huge"}, "integer or 'critical'"),
    ({"batch_size": 65}, "batch_size must be in"),
    ({"steps": 0}, "must be positive"),
    ({"batch_size": 2.5}, "batch_size must be a positive integer, got 2.5"),
    ({"batch_size": 0}, "batch_size must be a positive integer, got 0"),
    ({"seed": -2}, "seed must be a non-negative integer"),
])
def test_bad_runs_are_named(changes, message):
    spec = KernelProblem("mnist", n=64, n_test=0, kernel="gaussian", bandwidth=6.0)
    with pytest.raises(ValueError, match=message):
        KernelRun(spec, **{"batch_size": 4, "steps": 10, **changes})
    with pytest.raises(ValueError, match="n_test > 0"):
        KernelRun(spec, 4, steps=1, test=True)


def test_missing_speech_features_say_how_to_provide_them(tmp_path):
    spec = KernelProblem("timit", n=100, n_test=0, kernel="gaussian", bandwidth=11.0)
    with pytest.raises(FileNotFoundError, match="Linguistic Data Consortium.*numpy.savez"):
        kernel_sgd.train(KernelRun(spec, 1, steps=1), data_root=tmp_path, progress=False)


def test_practical_speedup_needs_no_smallest_eigenvalue():
    m = np.array([1, 3, 9, 50, 400])
    ratios = [(1 - theory.practical_contraction(m, 1.0, 0.2, lamn, 1000))
              / (1 - theory.practical_contraction(1, 1.0, 0.2, lamn, 1000)) for lamn in (1e-6, 1e-4, 1e-3)]
    for r in ratios:
        np.testing.assert_allclose(theory.practical_speedup(m, 1.0, 0.2, 1000), r, rtol=1e-10)
