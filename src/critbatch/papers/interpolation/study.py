"""The kernel experiments of Ma, Bassily & Belkin (Figures 3-6, the measured speed-ups and the
runs of Section 3.1's table): the runs each figure needs at a scale, defined once.

Figures 4-6 use three kernel least-squares problems with n = 10^4 training points: MNIST
(Gaussian, sigma = 5), HINT-S (Gaussian, sigma = 16) and TIMIT (Gaussian, sigma = 11). MNIST is
real everywhere. HINT-S and TIMIT cannot be downloaded: at the ``paper`` scale they are read
from features the user prepares (:func:`critbatch.data.load_features`); at the other scales
Fashion-MNIST stands in for them, with the Gaussian bandwidth chosen by bisection so that
lambda_1 of K/n equals the paper's value (0.3 and 0.054), which fixes m* and every step of
eq. 11 as in the paper. The bandwidth search is a stored run like any other, and a prerequisite:
the runs of a panel on a substitute are known only once its search is stored
(:func:`kernel_figure_runs` raises ``MissingResult`` naming it until then, and the sweep trains it first).

Figure 3 trains the EigenPro-modified Laplace kernel on MNIST and on a TIMIT subset of 5 * 10^4.
The figures' measures are :mod:`.measures`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import pandas as pd

import critbatch
from critbatch import data as datasets
from critbatch import scales
from critbatch.runs import register
from critbatch.store import Store

from . import kernel_sgd, kernels, quoted
from .kernel_sgd import KernelProblem, KernelRun
from .variance_reduction import VarianceRun

__all__ = ["FIGURE3_SEEDS", "FIGURE4_SEEDS", "FIGURE5_SEEDS", "RUN_ON", "SPEEDUP_SEEDS", "BandwidthSearch", "Panel", "bandwidth_searches",
           "figure3_panels", "figure3_run", "figure3_runs", "figure4_runs", "figure5_runs", "kernel_figure_runs", "panels",
           "panels_from", "results", "speedup_runs", "variance_reduction_runs"]

PAPER = "interpolation"
SUBSTITUTE = "fashion-mnist"
TARGETS = (0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.12, 0.1, 0.08, 0.06, 0.05, 0.04)  # training errors


@dataclass(frozen=True)
class BandwidthSearch:
    """Find the Gaussian bandwidth that gives a data subset a chosen lambda_1 of K/n."""

    dataset: str
    n: int
    kernel: str
    target_lambda_1: float
    data_seed: int = 0


def _search(config: BandwidthSearch, *, device: str = "cpu", data_root=None, mirror=None,
            progress: bool = False) -> tuple[pd.DataFrame, dict]:
    started = time.perf_counter()
    split = datasets.load(config.dataset, True, device=device, root=data_root, mirror=mirror)
    x, _ = kernel_sgd.training_points(split, config.n, config.data_seed)
    bandwidth, lambda_1, tried = kernels.calibrate_bandwidth(config.kernel, x, config.target_lambda_1)
    # Rounded, so that the problems built on it have the same config (and key) on every machine.
    # The search is all computation: nothing is measured apart from it.
    return pd.DataFrame(tried, columns=["bandwidth", "lambda_1"]), {
        "bandwidth": float(f"{bandwidth:.4g}"), "lambda_1": lambda_1,
        "seconds": time.perf_counter() - started, "measure_seconds": 0.0}


register(BandwidthSearch, _search)


@dataclass(frozen=True)
class Panel:
    """One of the paper's problems as we run it."""

    name: str  # the paper's data set
    problem: KernelProblem
    substitute: str | None = None  # the data set standing in for the paper's; None: the paper's own
    matched: str = ""  # how the substitute was matched to the paper's problem


def _sizes(scale: str) -> tuple[int, int]:
    return scales.pick(scale, smoke=(1000, 500), reduced=(10_000, 10_000), paper=(10_000, 10_000))


def bandwidth_searches(scale: str) -> dict[str, BandwidthSearch]:
    """Per paper problem that stands on a substitute at ``scale``, the search for its bandwidth."""
    n, _ = _sizes(scale)
    return {} if scale == "paper" else {
        paper["problem"]: BandwidthSearch(SUBSTITUTE, n, "gaussian", paper["lambda_1"])
        for paper in quoted.INTERPOLATION_PROBLEMS if paper["problem"] != "MNIST"}


def panels_from(scale: str, found: dict) -> list[Panel]:
    """The three problems of Figures 4-6 at ``scale``, given the summary of each stored bandwidth
    search (``{problem: summary}``, as :func:`bandwidth_searches` names them)."""
    n, n_test = _sizes(scale)
    result = []
    for paper in quoted.INTERPOLATION_PROBLEMS:
        name = paper["problem"]
        if name not in found:
            result.append(Panel(name, KernelProblem(name.lower(), n, n_test, "gaussian", paper["bandwidth"])))
            continue
        bandwidth = found[name]["bandwidth"]
        how = f"Gaussian σ = {bandwidth:g}: λ1 set to the paper's {paper['lambda_1']}"
        result.append(Panel(name, KernelProblem(SUBSTITUTE, n, n_test, "gaussian", bandwidth), "Fashion-MNIST", how))
    return result


def panels(scale: str, store: Store | None = None, *, device: str = "cpu", data_root=None,
           mirror=None) -> list[Panel]:
    """The three problems of Figures 4-6 at ``scale`` (bandwidth searches run or loaded)."""
    found = {name: critbatch.run(search, store, paper=PAPER, device=device, data_root=data_root,
                                 mirror=mirror).summary
             for name, search in bandwidth_searches(scale).items()}
    return panels_from(scale, found)


def kernel_figure_runs(runs_of: Callable, scale: str, seed: int = 0) -> dict:
    """A kernel figure's runs: the bandwidth searches it stands on (``"searches"``) and, per panel,
    ``runs_of(panel, scale, seed)`` (``"panels"``). The searches are looked up in the default
    store: trained where it trains (a notebook at the smoke scale), and where it is cache-only
    (nbval, the sweep's plan) a missing one raises ``MissingResult`` naming it
    (:func:`critbatch.sweep.plan` trains it first)."""
    lookup = Store()
    return {"searches": bandwidth_searches(scale),
            "panels": {p.name: runs_of(p, scale, seed) for p in panels(scale, lookup)}}


def _seeds(scale: str, first: int, count: int) -> range:
    """The sampling seeds of a kernel figure's SGD runs: ``count`` below the smoke scale, one at it."""
    return range(first, first + scales.pick(scale, smoke=1, reduced=count, paper=count))


#: Every kernel figure has ten sampling seeds, so that each verdict is decided per seed on seeds
#: enough to see the spread (a kernel run takes seconds to a few CPU-minutes here).
FIGURE4_SEEDS, FIGURE5_SEEDS, SPEEDUP_SEEDS = 10, 10, 10


#: Figure 4's m* runs go on to this many times GD's steps: room for 20 T at the largest T
#: (GD's steps / 5), past every threshold of Figure 4's claims (8 T at most), so that none is censored.
RUN_ON = 4


def figure4_runs(panel: Panel, scale: str, seed: int = 0) -> dict[str, list[KernelRun]]:
    """Training error against iterations for m = m*, 16 m* and full gradient descent, and the
    m* runs again with :data:`RUN_ON` times the budget (``"m = m*, run on"``: the same seeds, so
    their first steps are those of ``"m = m*"``; the figure and its claims read these)."""
    steps = scales.pick(scale, smoke=60, reduced=500, paper=500)
    common = {"steps": steps, "targets": TARGETS}
    return {
        "m = m*": [KernelRun(panel.problem, "critical", seed=s, **common)
                   for s in _seeds(scale, seed, FIGURE4_SEEDS)],
        "m = 16 m*": [KernelRun(panel.problem, "critical", batch_factor=16, seed=s, **common)
                      for s in _seeds(scale, seed, FIGURE4_SEEDS)],
        "GD": [KernelRun(panel.problem, panel.problem.n, **common)],
        "m = m*, run on": [KernelRun(panel.problem, "critical", seed=s, steps=RUN_ON * steps, targets=TARGETS)
                           for s in _seeds(scale, seed, FIGURE4_SEEDS)],
    }


def figure5_runs(panel: Panel, scale: str, seed: int = 0) -> dict[str, list[KernelRun]]:
    """Training (and test) error against epochs for several batch sizes (Figures 5 and 6)."""
    epochs = scales.pick(scale, smoke=2, reduced=10, paper=10)
    common = {"epochs": epochs, "test": True, "eval_every": 10**9}  # a row at every epoch end
    sgd = {"m = 1": {"batch_size": 1}, "m = 2": {"batch_size": 2}, "m = m*": {"batch_size": "critical"},
           "m = 4 m*": {"batch_size": "critical", "batch_factor": 4},
           "m = 16 m*": {"batch_size": "critical", "batch_factor": 16}}
    runs = {label: [KernelRun(panel.problem, seed=s, **batch, **common)
                    for s in _seeds(scale, seed, FIGURE5_SEEDS)]
            for label, batch in sgd.items()}
    runs["GD"] = [KernelRun(panel.problem, panel.problem.n, **common)]
    return runs


def speedup_runs(panel: Panel, scale: str, seed: int = 0) -> dict[int, list[KernelRun]]:
    """Runs that record the first iteration at which each training error of :data:`TARGETS` is
    reached, for a grid of batch sizes: the measured t(1)/t(m). GD (m = n) is deterministic: one run."""
    n = panel.problem.n
    powers = scales.pick(scale, smoke=[1, 4, 16, 64], reduced=[2**k for k in range(12)],
                         paper=[2**k for k in range(12)])
    grid = [m for m in powers if m < n] + [n]
    floor = scales.pick(scale, smoke=100, reduced=600, paper=600)
    return {m: [KernelRun(panel.problem, m, steps=max(math.ceil(2 * n / m), floor), targets=TARGETS,
                          eval_every=10**9, seed=s)
                for s in (_seeds(scale, seed, SPEEDUP_SEEDS) if m < n else [0])]
            for m in grid}


def figure3_panels(scale: str) -> list[Panel]:
    """EigenPro-Laplace problems of Figure 3: MNIST and a TIMIT subset (substitute below paper scale)."""
    n_mnist, n_timit, n_test = scales.pick(scale, smoke=(1000, 1000, 500), reduced=(10_000, 10_000, 10_000),
                                           paper=(60_000, 50_000, 10_000))
    mnist = Panel("MNIST", KernelProblem("mnist", n_mnist, n_test, "laplace", 10.0))
    if scale == "paper":  # the paper does not give its TIMIT Laplace bandwidth; its Gaussian one is 11
        return [mnist, Panel("TIMIT", KernelProblem("timit", n_timit, n_test, "laplace", 11.0))]
    how = "Laplace σ = 10, as for MNIST"
    return [mnist, Panel("TIMIT", KernelProblem(SUBSTITUTE, n_timit, n_test, "laplace", 10.0), "Fashion-MNIST", how)]


def figure3_run(panel: Panel, scale: str, seed: int = 0) -> KernelRun:
    """EigenPro SGD at the critical batch of the modified kernel, per-point losses every epoch;
    ``seed`` draws the batches and EigenPro's Nystrom subsample."""
    eigenpro = scales.pick(scale, smoke={"subsample": 300, "top": 40, "damping": 0.95, "max_batch": 1000},
                           reduced={"subsample": 2000, "top": 160, "damping": 0.95, "max_batch": 1000},
                           paper={"subsample": 4800, "top": 160, "damping": 0.95, "max_batch": 1000})
    return KernelRun(panel.problem, "critical", epochs=scales.pick(scale, smoke=3, reduced=5, paper=5),
                     sampling="epoch", point_losses=True, test=True, eval_every=10**9, eigenpro=eigenpro, seed=seed)


#: Figure 3's runs per panel: the paper's histograms are of one run; five seeds (a run costs a few
#: CPU-seconds) so that its claims are decided per seed.
FIGURE3_SEEDS = 5


def figure3_runs(scale: str, seed: int = 0) -> dict[str, list[KernelRun]]:
    """Figure 3's runs per panel, one per seed (one at the smoke scale)."""
    return {p.name: [figure3_run(p, scale, s) for s in _seeds(scale, seed, FIGURE3_SEEDS)]
            for p in figure3_panels(scale)}


#: The solvers of the Section 3.1 table that we run, by the table's names (Katyusha is not run).
VARIANCE_REDUCTION = {"SGD (eq. 1)": "sgd", "SAG": "sag", "SVRG": "svrg", "SAGA": "saga"}


def variance_reduction_runs(scale: str, seed: int = 0) -> dict[str, list[VarianceRun]]:
    """Section 3.1's methods on one interpolating least-squares problem (the paper has no
    experiment here: ``paper`` is ``reduced``), each with several sampling seeds, 400 epochs
    at most, stopping at 10^-6 of the initial loss."""
    n, d, seeds = scales.pick(scale, smoke=(48, 96, 2), reduced=(256, 512, 5), paper=(256, 512, 5))
    return {name: [VarianceRun(method, n, d, epochs=400, tol=1e-6, problem_seed=seed, seed=seed + k)
                   for k in range(seeds)] for name, method in VARIANCE_REDUCTION.items()}


def results(runs: dict, store: Store | None = None, **options) -> dict:
    """Load (or train and store) every run of a ``{label: [config, ...]}`` mapping; options as
    for :func:`critbatch.papers.interpolation.kernel_sgd.train`."""
    return {label: [critbatch.run(c, store, paper=PAPER, **options) for c in configs] for label, configs in runs.items()}


