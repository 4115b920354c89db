"""K(b), N(b) and the critical batch size of Tsukada & Iiduka, and the fit to measured steps."""

import numpy as np
import pytest

from critbatch.papers.armijo import theory as sfo


def test_sfo_is_minimal_at_the_critical_batch_size():
    b = np.linspace(1, 2000, 400_001)
    n = sfo.sfo(b, c1=3.0, c2=0.8, eps=0.1)
    assert b[np.argmin(n)] == pytest.approx(sfo.critical_batch_size(0.8, 0.1), abs=0.01)  # 160
    assert sfo.steps(160, 3.0, 0.8, 0.1) == pytest.approx(2 * 3.0 / 0.01)  # K(b*) = 2 C1 / eps^2


def test_steps_decrease_convexly_to_their_floor():
    b = np.arange(81, 5000)  # above C2 / eps^2 = 80
    k = sfo.steps(b, c1=3.0, c2=0.8, eps=0.1)
    assert np.all(np.diff(k) < 0) and np.all(np.diff(k, 2) > 0)
    assert k[-1] > 3.0 / 0.01 and sfo.steps(1e12, 3.0, 0.8, 0.1) == pytest.approx(300)
    assert np.isinf(sfo.steps(79, 3.0, 0.8, 0.1))  # no guarantee below C2 / eps^2 = 80


def test_fit_recovers_noisy_constants_and_names_its_range():
    b = np.array([100, 128, 256, 512, 1024, 2048])
    k = sfo.steps(b, 3.0, 0.8, 0.1) * np.exp(np.random.default_rng(0).normal(0, 0.01, len(b)))
    fit = sfo.fit_steps(b, k, eps=0.1)
    assert fit.b_star == pytest.approx(160, rel=0.1) and fit.batch_sizes == tuple(b)


def test_fit_skips_unreached_targets_and_refuses_curves_without_a_floor():
    fit = sfo.fit_steps([8, 16, 32, 64], [np.inf, 1000, 400, np.nan], eps=0.1)
    assert fit.batch_sizes == (16, 32)
    with pytest.raises(ValueError, match="at least two"):
        sfo.fit_steps([8, 16], [np.inf, 100], eps=0.1)
    with pytest.raises(ValueError, match="does not decrease to a floor"):
        sfo.fit_steps([8, 16, 32], [50, 200, 1000], eps=0.1)  # K grows with b
