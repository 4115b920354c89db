"""Kernels, chunked kernel matrices, top eigenvalues and the bandwidth search."""

import numpy as np
import pytest
import torch

from critbatch.papers.interpolation import kernels


@pytest.fixture
def points():
    return torch.rand(37, 5, generator=torch.Generator().manual_seed(0))


def reference(kind, x, z, bandwidth):
    d = np.linalg.norm(x.numpy()[:, None, :].astype(float) - z.numpy()[None, :, :], axis=2)
    return np.exp(-d**2 / (2 * bandwidth**2)) if kind == "gaussian" else np.exp(-d / bandwidth)


@pytest.mark.parametrize("kind", kernels.KERNELS)
def test_kernel_matrix_matches_the_formula_whatever_the_chunks(kind, points):
    expected = reference(kind, points, points, 0.7)
    for chunk in (1, 8, 100):
        k = kernels.kernel_matrix(kind, points, bandwidth=0.7, chunk=chunk)
        np.testing.assert_allclose(k.numpy(), expected, atol=2e-6)
        assert torch.equal(k.diagonal(), torch.ones(37))  # exactly 1: beta = 1
    cross = kernels.kernel_matrix(kind, points[:5], points, bandwidth=0.7, chunk=2)
    np.testing.assert_allclose(cross.numpy(), expected[:5], atol=2e-6)


def test_bad_kernels_are_named(points):
    with pytest.raises(ValueError, match="unknown kernel 'cauchy'"):
        kernels.kernel_matrix("cauchy", points, bandwidth=1.0)
    with pytest.raises(ValueError, match="bandwidth must be positive"):
        kernels.kernel_matrix("gaussian", points, bandwidth=0.0)


@pytest.mark.parametrize("size", [6, 300])  # dense fallback, then LOBPCG
def test_top_eigenvalues_agree_with_a_dense_solver(size):
    x = torch.rand(size, 4, generator=torch.Generator().manual_seed(1))
    k = kernels.kernel_matrix("gaussian", x, bandwidth=0.5) / size
    dense = np.linalg.eigvalsh(k.double().numpy())[::-1][:2]
    np.testing.assert_allclose(kernels.top_eigenvalues(k, 2).numpy(), dense, rtol=1e-7)


def test_bandwidth_search_reaches_the_target(points):
    bandwidth, value, tried = kernels.calibrate_bandwidth("gaussian", points, 0.3, rtol=1e-4)
    k = kernels.kernel_matrix("gaussian", points, bandwidth=bandwidth) / len(points)
    assert value == pytest.approx(0.3, rel=1e-4)
    assert float(np.linalg.eigvalsh(k.double().numpy())[-1]) == pytest.approx(value, rel=1e-9)
    assert len(tried) > 3
    with pytest.raises(ValueError, match="does not contain"):
        kernels.calibrate_bandwidth("gaussian", points, 0.3, bracket=(5.0, 9.0))
