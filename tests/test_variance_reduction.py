"""SGD and the variance-reduction methods of Ma et al.'s Section 3.1 table."""

import numpy as np
import pytest

from critbatch.papers.interpolation import variance_reduction as vr


@pytest.fixture(scope="module")
def problem():
    return vr.interpolating_problem(n=24, d=48, seed=3)


def test_problem_interpolates_and_its_constants_are_right(problem):
    w_star = np.linalg.lstsq(problem.x, problem.y, rcond=None)[0]
    assert problem.loss(w_star) < 1e-20  # Assumption 1: a zero-loss solution exists
    assert problem.beta == pytest.approx(2.0)  # unit rows: 2 ||x_i||^2
    singular = np.linalg.svd(problem.x, compute_uv=False)
    assert problem.alpha == pytest.approx(2 * singular[-1] ** 2 / problem.n)


def test_table_rows_follow_the_paper():
    rows = {r["method"]: r for r in vr.table(n=100, beta=2.0, alpha=0.01)}
    assert rows["SGD (eq. 1)"]["step"] == 0.5
    assert rows["SAG"]["step"] == 1 / 400
    assert rows["SVRG"]["step"] == 1 / 20
    assert rows["SAGA"]["step"] == 1 / 6
    assert rows["Katyusha"]["step"] is None
    assert rows["SGD (eq. 1)"]["iterations"] == 200
    assert rows["SAG"]["iterations"] == 20_000
    assert rows["SVRG"]["iterations"] == rows["SAGA"]["iterations"] == 300
    assert rows["Katyusha"]["iterations"] == pytest.approx(100 + np.sqrt(20_000))


def test_sgd_step_is_a_kaczmarz_projection(problem):
    """With step 1/beta and unit rows, one SGD step fits the sampled point exactly."""
    w = np.zeros(problem.x.shape[1])
    i = 5
    w -= problem.grad_i(w, i) / problem.beta
    assert problem.x[i] @ w == pytest.approx(problem.y[i])


@pytest.mark.parametrize("solve", [vr.sgd, vr.saga, vr.svrg])
def test_solvers_reach_the_target(problem, solve):
    trace = solve(problem, budget=4000 * problem.n, tol=1e-8, seed=0, every=problem.n)
    assert trace.reached
    assert trace.loss[-1] <= 1e-8 * trace.loss[0]


def test_sag_decreases_the_loss(problem):
    trace = vr.sag(problem, budget=50 * problem.n, tol=1e-8, seed=0, every=problem.n)
    assert not trace.reached
    assert np.all(np.diff(trace.loss[1:]) < 0)
    assert trace.gradients[-1] == 50 * problem.n


def test_gradient_counts(problem):
    n = problem.n
    # SVRG pays n gradients for its snapshot, then 2 per inner step.
    assert vr.svrg(problem, budget=n, tol=0, seed=0, every=1).gradients[-1] == n
    assert vr.svrg(problem, budget=n + 6, tol=0, seed=0, every=1).gradients[1:] == [n, n + 2, n + 4, n + 6]
    # SAGA pays n gradients to fill its table, then 1 per step; SGD 1 per step.
    assert vr.saga(problem, budget=n + 2, tol=0, seed=0, every=1).gradients[1:] == [n, n + 1, n + 2]
    assert vr.sgd(problem, budget=3, tol=0, seed=0, every=1).gradients == [0, 1, 2, 3]


def test_runs_are_reproducible(problem):
    a = vr.sgd(problem, budget=10 * problem.n, tol=0, seed=7, every=problem.n)
    b = vr.sgd(problem, budget=10 * problem.n, tol=0, seed=7, every=problem.n)
    c = vr.sgd(problem, budget=10 * problem.n, tol=0, seed=8, every=problem.n)
    assert a.loss == b.loss != c.loss


def test_underdetermined_problem_is_rejected():
    with pytest.raises(ValueError, match="d >= n"):
        vr.interpolating_problem(n=10, d=5, seed=0)
