"""The closed forms of Ma, Bassily & Belkin against direct numerical computation."""

import itertools

import numpy as np
import pytest

from critbatch.papers.interpolation import theory

BETA, N = 1.0, 10_000
PROBLEMS = [(0.15, 1e-4), (0.3, 1e-4), (0.054, 1e-4), (0.5, 0.02)]  # (lam1, lamn)
BATCHES = [1, 2, 3, 5, 8, 13, 40, 200, 5000]


def numerical_minimum(m, lam1, lamn):
    """Minimise g(m, eta) over the feasible steps (0, eta_1(m)) by golden-section search.
    g(m, .) is a maximum of two convex quadratics, hence convex, so the search converges to
    the global minimum, kink or not."""
    g = lambda e: float(theory.contraction_bound(m, e, BETA, lam1, lamn))
    lo, hi = 0.0, float(theory.max_stable_step(m, BETA, lam1))
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(200):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        lo, hi = (lo, b) if g(a) < g(b) else (a, hi)
    return (lo + hi) / 2, g((lo + hi) / 2)


@pytest.mark.parametrize("lam1, lamn", PROBLEMS)
@pytest.mark.parametrize("m", BATCHES)
def test_optimal_step_minimises_the_contraction(m, lam1, lamn):
    eta_found, g_found = numerical_minimum(m, lam1, lamn)
    eta_star = float(theory.optimal_step(m, BETA, lam1, lamn))
    g_star = float(theory.optimal_contraction(m, BETA, lam1, lamn))
    assert eta_star == pytest.approx(eta_found, rel=1e-6)
    assert g_star <= g_found + 1e-15  # eq. 10 is the minimum: nothing found is lower
    assert g_star == pytest.approx(g_found, abs=1e-13)
    assert g_star == pytest.approx(float(theory.contraction_bound(m, eta_star, BETA, lam1, lamn)), abs=1e-15)


@pytest.mark.parametrize("lam1, lamn", PROBLEMS)
def test_speedup_is_the_contraction_gain_over_batch_one(lam1, lamn):
    m = np.array(BATCHES, float)
    g_direct = np.array([numerical_minimum(k, lam1, lamn)[1] for k in m])
    np.testing.assert_allclose(theory.speedup(m, BETA, lam1, lamn), (1 - g_direct) * BETA / lamn, rtol=1e-7)


@pytest.mark.parametrize("lam1, lamn", PROBLEMS)
def test_speedup_is_continuous_at_the_critical_batch_and_saturates(lam1, lamn):
    m0 = theory.critical_batch(BETA, lam1, lamn)
    below, above = theory.speedup([m0 - 1e-9, m0 + 1e-9], BETA, lam1, lamn)
    assert below == pytest.approx(above, rel=1e-6)
    assert below == pytest.approx(m0 * (lam1 - lamn) / lam1, rel=1e-6)
    assert float(theory.speedup(1e12, BETA, lam1, lamn)) == pytest.approx(theory.speedup_limit(BETA, lam1, lamn), rel=1e-6)
    s = theory.speedup(np.arange(1, 3000), BETA, lam1, lamn)
    assert np.all(np.diff(s) > 0)


def test_iteration_ratio_is_close_to_speedup():
    # The reproduction notes report 3-digit agreement for lam1 = 0.15, lamn = 1e-4, m = 1..1000.
    m = np.arange(1, 1001)
    ratio = theory.iteration_ratio(m, BETA, 0.15, 1e-4)
    np.testing.assert_allclose(ratio, theory.speedup(m, BETA, 0.15, 1e-4), rtol=2e-3)
    assert ratio[0] == 1.0


@pytest.mark.parametrize("lam1, lamn", PROBLEMS)
def test_batch_one_is_most_efficient_per_gradient(lam1, lamn):
    """Theorems 6 and 7: argmin_m g*(m)^(1/m) = argmin_m g_hat(m)^(1/m) = 1."""
    m = np.arange(1, 20_001)
    assert np.argmin(np.log(theory.optimal_contraction(m, BETA, lam1, lamn)) / m) == 0
    if lamn <= BETA / N:
        assert np.argmin(np.log(theory.practical_contraction(m, BETA, lam1, lamn, N)) / m) == 0


@pytest.mark.parametrize("lam1", [0.15, 0.3, 0.054])
def test_practical_step_is_feasible_and_its_bound_holds(lam1):
    """Theorem 5: eta_hat(m) <= eta_0(m), and g(m, eta_hat) <= g_hat(m), for lamn <= beta/n."""
    m = np.arange(1, 20_001)
    for lamn in (BETA / N, 1e-6):
        eta_hat = theory.practical_step(m, BETA, lam1, N)
        assert np.all(eta_hat <= theory.switch_step(m, BETA, lam1, lamn) * (1 + 1e-12))
        g = theory.contraction_bound(m, eta_hat, BETA, lam1, lamn)
        assert np.all(g <= theory.practical_contraction(m, BETA, lam1, lamn, N) + 1e-12)
        assert np.all(g >= theory.optimal_contraction(m, BETA, lam1, lamn) - 1e-12)


@pytest.mark.parametrize("m, eta", [(1, 0.7), (2, 1.3), (3, 2.0)])
def test_contraction_matches_exact_expectation_over_all_batches(m, eta):
    """Enumerate every batch of m indices drawn with replacement and average the one-step
    operator (I - eta H_B)^2 of eq. 4. With every squared feature norm equal to beta (the tight
    case of Theorem 3), eq. 5 holds with equality and the operator's eigenvalues are
    g(lambda_j; m, eta) exactly."""
    n, beta = 4, 2.0
    x = np.random.default_rng(m).standard_normal((n, 3))
    x *= np.sqrt(beta) / np.linalg.norm(x, axis=1, keepdims=True)
    h = x.T @ x / n
    operator = np.zeros((3, 3))
    for batch in itertools.product(range(n), repeat=m):
        h_b = x[list(batch)].T @ x[list(batch)] / m
        step = np.eye(3) - eta * h_b
        operator += step.T @ step / n**m
    lam = np.linalg.eigvalsh(h)
    expected = theory.contraction(lam, m, eta, beta)
    np.testing.assert_allclose(np.linalg.eigvalsh(operator), np.sort(expected), atol=1e-12)


def test_paper_critical_batches_round_to_the_quoted_values():
    quoted = {0.15: 8, 0.3: 4, 0.054: 20}
    for lam1, m_star in quoted.items():
        assert round(theory.critical_batch(BETA, lam1)) == m_star


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="lam1 must lie"):
        theory.speedup(2, beta=1.0, lam1=1.5, lamn=0.0)
    with pytest.raises(ValueError, match="lamn must lie"):
        theory.speedup(2, beta=1.0, lam1=0.1, lamn=0.2)
    with pytest.raises(ValueError, match="beta must be positive"):
        theory.max_stable_step(2, beta=0.0, lam1=0.1)
    with pytest.raises(ValueError, match="lam1 > beta/n"):
        theory.practical_step(2, beta=1.0, lam1=1e-5, n=100)
    with pytest.raises(ValueError, match="lamn > 0"):
        theory.iteration_ratio(2, beta=1.0, lam1=0.1, lamn=0.0)


def test_kernel_spectrum_of_a_linear_kernel_is_the_covariance_spectrum():
    x = np.random.default_rng(0).standard_normal((30, 8))
    spectrum = theory.kernel_spectrum(x @ x.T)
    covariance = np.linalg.eigvalsh(x.T @ x / 30)  # H = (1/n) sum_i x_i x_i^T
    assert spectrum.beta == pytest.approx(np.max(np.sum(x**2, axis=1)))
    assert spectrum.lambda_1 == pytest.approx(covariance[-1])
    assert spectrum.lambda_n == pytest.approx(0, abs=1e-12)  # n > d: K/n is singular
    assert theory.kernel_spectrum(x[:5] @ x[:5].T).lambda_n == pytest.approx(
        np.linalg.eigvalsh(x[:5].T @ x[:5] / 5)[-5])  # n < d: the smallest non-zero eigenvalue
    with pytest.raises(ValueError, match="symmetric square"):
        theory.kernel_spectrum(np.ones((3, 4)))
