"""The kernel experiments of Ma, Bassily & Belkin (Figures 3-6), defined once for every notebook.

Figures 4-6 use three kernel least-squares problems with n = 10^4 training points: MNIST
(Gaussian, sigma = 5), HINT-S (Gaussian, sigma = 16) and TIMIT (Gaussian, sigma = 11). MNIST is
real everywhere. HINT-S and TIMIT cannot be downloaded: at the ``paper`` scale they are read
from features the user prepares (:func:`critbatch.data.load_features`); at the other scales
Fashion-MNIST stands in for them, with the Gaussian bandwidth chosen by bisection so that
lambda_1 of K/n equals the paper's value (0.3 and 0.054), which fixes m* and every step of
eq. 11 as in the paper. The bandwidth search is a stored run like any other.

Figure 3 trains the EigenPro-modified Laplace kernel on MNIST and on a TIMIT subset of 5 * 10^4.

One call per section returns everything its notebook shows: :func:`figure1` and :func:`figure2`
(closed forms), :func:`variance_reduction` (the table of Section 3.1, run), :func:`figure3` to
:func:`figure6`, :func:`speedups` and :func:`all_claims` (stored kernel runs).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import critbatch
from critbatch import data as datasets
from critbatch import scales
from critbatch.runs import register
from critbatch.store import Store

from . import claims as measured
from . import kernel_sgd, kernels, quoted
from . import variance_reduction as vr
from .kernel_sgd import KernelProblem, KernelRun
from .variance_reduction import VarianceRun

__all__ = [
    "BandwidthSearch", "ClosedForms", "Experiment", "Panel", "VarianceTable", "all_claims", "figure1", "figure2",
    "figure3", "figure3_panels", "figure3_run", "figure4", "figure4_runs", "figure5", "figure5_runs", "figure6",
    "panels", "results", "speedup_runs", "speedups", "variance_reduction", "variance_reduction_runs",
]

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


def panels(scale: str, store: Store | None = None, *, device: str = "cpu", data_root=None,
           mirror=None) -> list[Panel]:
    """The three problems of Figures 4-6 at ``scale`` (bandwidth searches run or loaded)."""
    store = store if store is not None else Store()
    n, n_test = _sizes(scale)
    searches = bandwidth_searches(scale)
    result = []
    for paper in quoted.INTERPOLATION_PROBLEMS:
        name = paper["problem"]
        if name not in searches:
            problem = KernelProblem(name.lower(), n, n_test, "gaussian", paper["bandwidth"])
            result.append(Panel(name, problem))
            continue
        found = critbatch.run(searches[name], store, paper=PAPER, device=device, data_root=data_root,
                              mirror=mirror).summary
        problem = KernelProblem(SUBSTITUTE, n, n_test, "gaussian", found["bandwidth"])
        how = f"Gaussian σ = {found['bandwidth']:g}: λ1 set to the paper's {paper['lambda_1']}"
        result.append(Panel(name, problem, "Fashion-MNIST", how))
    return result


def _seeds(scale: str, first: int) -> range:
    return range(first, first + scales.pick(scale, smoke=1, reduced=3, paper=3))


def figure4_runs(panel: Panel, scale: str, seed: int = 0) -> dict[str, list[KernelRun]]:
    """Training error against iterations for m = m*, 16 m* and full gradient descent."""
    steps = scales.pick(scale, smoke=60, reduced=500, paper=500)
    common = {"steps": steps, "targets": TARGETS}
    return {
        "m = m*": [KernelRun(panel.problem, "critical", seed=s, **common) for s in _seeds(scale, seed)],
        "m = 16 m*": [KernelRun(panel.problem, "critical", batch_factor=16, seed=s, **common)
                      for s in _seeds(scale, seed)],
        "GD": [KernelRun(panel.problem, panel.problem.n, **common)],
    }


def figure5_runs(panel: Panel, scale: str, seed: int = 0) -> dict[str, list[KernelRun]]:
    """Training (and test) error against epochs for several batch sizes (Figures 5 and 6)."""
    epochs = scales.pick(scale, smoke=2, reduced=10, paper=10)
    common = {"epochs": epochs, "test": True, "eval_every": 10**9}  # a row at every epoch end
    sgd = {"m = 1": {"batch_size": 1}, "m = 2": {"batch_size": 2}, "m = m*": {"batch_size": "critical"},
           "m = 4 m*": {"batch_size": "critical", "batch_factor": 4},
           "m = 16 m*": {"batch_size": "critical", "batch_factor": 16}}
    runs = {label: [KernelRun(panel.problem, seed=s, **batch, **common) for s in _seeds(scale, seed)]
            for label, batch in sgd.items()}
    runs["GD"] = [KernelRun(panel.problem, panel.problem.n, **common)]
    return runs


def speedup_runs(panel: Panel, scale: str, seed: int = 0) -> dict[int, list[KernelRun]]:
    """Runs that record the first iteration at which each training error of :data:`TARGETS` is
    reached, for a grid of batch sizes: the measured t(1)/t(m)."""
    n = panel.problem.n
    powers = scales.pick(scale, smoke=[1, 4, 16, 64], reduced=[2**k for k in range(12)],
                         paper=[2**k for k in range(12)])
    grid = [m for m in powers if m < n] + [n]
    floor = scales.pick(scale, smoke=100, reduced=600, paper=600)
    return {m: [KernelRun(panel.problem, m, steps=max(math.ceil(2 * n / m), floor), targets=TARGETS,
                          eval_every=10**9, seed=s) for s in (_seeds(scale, seed) if m < n else [0])]
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


def figure3_run(panel: Panel, scale: str) -> KernelRun:
    """EigenPro SGD at the critical batch of the modified kernel, per-point losses every epoch."""
    eigenpro = scales.pick(scale, smoke={"subsample": 300, "top": 40, "damping": 0.95, "max_batch": 1000},
                           reduced={"subsample": 2000, "top": 160, "damping": 0.95, "max_batch": 1000},
                           paper={"subsample": 4800, "top": 160, "damping": 0.95, "max_batch": 1000})
    return KernelRun(panel.problem, "critical", epochs=scales.pick(scale, smoke=3, reduced=5, paper=5),
                     sampling="epoch", point_losses=True, test=True, eval_every=10**9, eigenpro=eigenpro)


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


# One call per section -----------------------------------------------------------------------


@dataclass(frozen=True)
class VarianceTable:
    """The table of Section 3.1, evaluated for one problem and run on it."""

    n: int  # points
    d: int  # parameters
    beta: float
    alpha: float
    tol: float  # the runs stop at tol times the initial loss
    budget: int  # component gradients
    bounds: pd.DataFrame  # per method: step x beta and the iteration bound (hidden constants 1)
    runs: dict  # method -> results over sampling seeds
    measured: pd.DataFrame  # per method: runs that reached tol, mean gradients / n
    verdicts: pd.DataFrame  # the paper's two claims against ours
    verdict: str

    @property
    def setting(self) -> str:
        return (f"n = {self.n}, d = {self.d}, beta = {self.beta:.3f}, alpha = {self.alpha:.3g}, "
                f"beta/alpha = {self.beta / self.alpha:.0f}")


def variance_reduction(scale: str, seed: int = 0, **options) -> VarianceTable:
    """SGD, SAG, SVRG and SAGA with the table's step sizes on one interpolating least-squares
    problem (:func:`variance_reduction_runs`), loaded or run; the claims of Section 3.1 on them."""
    configs = variance_reduction_runs(scale, seed)
    first = configs["SGD (eq. 1)"][0]
    n, d, tol, budget = first.n, first.d, first.tol, round(first.epochs * first.n)
    problem = vr.interpolating_problem(n, d, seed=first.problem_seed)
    bounds = pd.DataFrame(vr.table(n, problem.beta, problem.alpha)).set_index("method")
    bounds["step × β"] = bounds.step * problem.beta
    bounds = bounds[["step × β", "iterations"]].astype(float)
    runs = results(configs, **options)

    def reached(result):
        return result.summary["status"] == "reached"

    table = pd.DataFrame({
        name: {"reached 1e-6 (runs)": f"{sum(reached(t) for t in rs)}/{len(rs)}",
               "gradients / n (mean)": np.mean([t.summary["gradients"] / n if reached(t) else np.nan for t in rs])}
        for name, rs in runs.items()}).T
    table["step × β (table)"] = bounds["step × β"]
    fastest = table["gradients / n (mean)"].astype(float).idxmin()
    largest_step = bounds["step × β"].astype(float).idxmax()
    verdicts = pd.DataFrame({
        "paper": ["SGD has the largest step", "SGD converges fastest (without Katyusha)"],
        "ours": [f"largest step: {largest_step}", f"fewest gradients to 1e-6: {fastest}"],
        "verdict": ["reproduced" if largest_step == "SGD (eq. 1)" else "differs",
                    "reproduced" if fastest == "SGD (eq. 1)" else "differs"],
    })
    order = table["gradients / n (mean)"].astype(float).sort_values()
    ranking = ", then ".join(f"{name} ({passes:.0f} passes)" for name, passes in order.dropna().items())
    stalled = ", ".join(order.index[order.isna()])
    if stalled:
        ranking += f"; {stalled} did not reach 10⁻⁶ within {budget // n} passes"
    text = (f"With the table's own step sizes: {ranking}. Caveats: these are the worst-case steps of each "
            "method's theory (practitioners run SAG and SVRG with larger ones), and Katyusha was not run.")
    return VarianceTable(n, d, problem.beta, problem.alpha, tol, budget, bounds, runs, table, verdicts, text)


@dataclass(frozen=True)
class Experiment:
    """What one kernel figure shows: its problems, its runs, the claims and the verdict."""

    panels: list  # the problems (Panel), one per panel of the figure
    runs: dict  # panel name -> {label: [results over seeds]} (Figure 3: panel name -> result)
    claims: pd.DataFrame
    verdict: str
    tables: dict = field(default_factory=dict)  # the figure's other tables, by name

    @property
    def problems(self) -> pd.DataFrame:
        """Each panel's data (the paper's or the substitute) and kernel problem."""
        return pd.DataFrame([{"panel": p.name, "data": p.substitute or p.name, **vars(p.problem)}
                             for p in self.panels]).set_index("panel")


#: The verdict sentences, as arguments of critbatch.analysis.claims.verdict.
_LISTED = {"every": True, "cut": ":", "after": ". ", "sep": " "}


def _panels_and_runs(runs_of, scale: str, seed: int, options: dict) -> tuple[list, dict]:
    chosen = panels(scale, **options)
    return chosen, {p.name: results(runs_of(p, scale, seed), **options) for p in chosen}


def figure3(scale: str, seed: int = 0, **options) -> Experiment:
    """EigenPro SGD on the Laplace kernel, per-point losses at every epoch (``tables["runs"]``:
    the kernels before and after EigenPro, batch and step). ``seed`` is unused: one run per panel."""
    chosen = figure3_panels(scale)
    runs = {p.name: results({"EigenPro": [figure3_run(p, scale)]}, **options)["EigenPro"][0] for p in chosen}
    table = pd.DataFrame({p.name: {"data": p.substitute or p.name, "n": p.problem.n,
                                   "λ1 of K/n": runs[p.name].summary["kernel_lambda_1"],
                                   "λ1 after EigenPro": runs[p.name].summary["lambda_1"],
                                   "β after EigenPro": runs[p.name].summary["beta"],
                                   "batch": runs[p.name].summary["batch_size"], "step": runs[p.name].summary["lr"]}
                          for p in chosen}).T
    claims = measured.figure3(runs)
    return Experiment(chosen, runs, claims, measured.verdict(claims, "{data}: {claim}: {ours}.", noun="claims",
                                                             **{**_LISTED, "cut": " ("}), {"runs": table})


def figure4(scale: str, seed: int = 0, **options) -> Experiment:
    """Training error against iterations for m*, 16 m* and GD on the three problems."""
    chosen, runs = _panels_and_runs(figure4_runs, scale, seed, options)
    claims = measured.figure4(runs)
    return Experiment(chosen, runs, claims,
                      measured.verdict(claims, "{data}: {claim} {ours} (paper: {paper}).", noun="claims", **_LISTED))


def _final(runs: dict, chosen: list) -> pd.DataFrame:
    return pd.DataFrame({
        (p.name, label): {"m": res[0].summary["batch_size"],
                          "train error": np.mean([r.log.train_loss.iloc[-1] for r in res]),
                          "test error": np.mean([r.log.test_loss.iloc[-1] for r in res]),
                          "test misclassification": np.mean([r.log.test_error.iloc[-1] for r in res])}
        for p in chosen for label, res in runs[p.name].items()}).T


def figure5(scale: str, seed: int = 0, **options) -> Experiment:
    """Training error against epochs for batch sizes 1, 2, m*, 4 m*, 16 m* and GD
    (``tables["critical batches"]``: lambda_1 and m* against the paper's)."""
    chosen, runs = _panels_and_runs(figure5_runs, scale, seed, options)
    claims = measured.figure5(runs)
    text = measured.verdict(claims, "{data}, {claim} ({ours})", noun="claims about the curves") + "."
    return Experiment(chosen, runs, claims, text, {"critical batches": measured.critical_batches(runs)})


def figure6(scale: str, seed: int = 0, **options) -> Experiment:
    """The runs of Figure 5, training against test error (``tables["final"]``: the last epoch's
    errors per batch size, mean over seeds)."""
    chosen, runs = _panels_and_runs(figure5_runs, scale, seed, options)
    claims = measured.figure6(runs)
    return Experiment(chosen, runs, claims, measured.figure6_verdict(claims), {"final": _final(runs, chosen)})


def speedups(scale: str, seed: int = 0, **options) -> Experiment:
    """Measured t(1)/t(m) against s(m) (eq. 13) and its eq. 11 analogue (``tables``: per panel)."""
    chosen, runs = _panels_and_runs(speedup_runs, scale, seed, options)
    claims, tables = measured.speedups(runs)
    return Experiment(chosen, runs, claims,
                      measured.verdict(claims, "{data}: {claim}: {ours} (theory: {paper}).", **_LISTED), tables)


def _cost(results: list) -> dict:
    return {"runs": len(results), "training seconds": round(sum(r.summary["seconds"] for r in results)),
            "device": ", ".join(sorted({r.summary["device"] for r in results}))}


def all_claims(scale: str, seed: int = 0, **options) -> Experiment:
    """Every claim of Figures 3-6 and of the measured speed-ups, from the stored runs of those
    sections (``tables``: ``"substitutes"`` and ``"cost"``, the training time per figure)."""
    three, four, five, speed = (figure3(scale, seed, **options), figure4(scale, seed, **options),
                                figure5(scale, seed, **options), speedups(scale, seed, **options))
    claims = pd.concat([five.tables["critical batches"], three.claims, four.claims, five.claims,
                        measured.figure6(five.runs), speed.claims], ignore_index=True)
    substitutes = pd.DataFrame([{"figures": figures, "paper's data": p.name, "ours": p.substitute or "the paper's",
                                 "how": p.matched}
                                for figures, group in [("4-6", five.panels), ("3", three.panels)] for p in group])

    def flat(experiment):
        return [r for by_label in experiment.runs.values() for rs in by_label.values() for r in rs]

    cost = pd.DataFrame({"Figure 3": _cost(list(three.runs.values())), "Figure 4": _cost(flat(four)),
                         "Figures 5 and 6": _cost(flat(five)), "speed-ups": _cost(flat(speed))}).T
    runs = {"Figure 3": three.runs, "Figure 4": four.runs, "Figures 5 and 6": five.runs, "speed-ups": speed.runs}
    return Experiment(five.panels, runs, claims, measured.summary_verdict(claims),
                      {"substitutes": substitutes, "cost": cost})
