"""The synthesis figure: the four critical-batch predictions against the measured one at every
target of each problem, the fits of Paper 1's and McCandlish's models, the estimator check,
and the claims, all measured from the runs the chapter table declares (:mod:`.chapter`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from critbatch.chapters import Result
from critbatch.papers.interpolation import study as interpolation
from critbatch.papers.interpolation import theory as interpolation_theory

from . import claims as measured
from . import predictions, problems

__all__ = ["Problem", "Synthesis", "closest_predictions", "critical_batch", "estimator_check", "kernel", "mlp",
           "runs"]

#: The MLP's training-accuracy targets, read from the Paper 1 chapter's SGD sweep (checked every
#: quarter epoch; the paper's target is the last).
ACCURACY_TARGETS = {"smoke": (0.6, 0.7, 0.8, 0.85), "reduced": (0.9, 0.93, 0.95, 0.97), "paper": (0.9, 0.93, 0.95, 0.97)}

#: Rows on each side averaged for B_simple: 50 steps of the kernel trace, half an epoch of the probe run.
KERNEL_WINDOW, MLP_WINDOW = 5, 1


@dataclass(frozen=True)
class Problem:
    """One problem: per kind of target, the measured steps and the predictions at each target,
    on the seed mean and on each seed's own runs."""

    name: str  # the problem, in words
    short: str  # its name in a claim's setting
    steps: dict  # kind of target ("training error", "training accuracy", "gradient norm") -> one row per (target, b, seed): steps and examples (predictions.steps_from_logs)
    table: dict  # kind -> per target: the measured critical batch size and the four predictions (seed mean)
    errors: dict  # kind -> per target: the RMS log error of Paper 1's and McCandlish's fitted S(b) (seed mean)
    seeds: dict  # kind -> {seed: (table, errors)} on that seed's runs alone
    scales: dict  # kind -> per target: m*, B_simple (window mean) and B_simple at the first row that reaches it
    along: pd.DataFrame  # the curvature and noise scales along training (the probe run or the kernel trace)


@dataclass(frozen=True)
class Synthesis:
    """What the critical-batch figure shows."""

    kernel: Problem
    mlp: Problem
    check: pd.DataFrame  # the estimators against the exact values (estimator_check)
    closest: pd.DataFrame  # per problem and kind, at the tightest target (closest_predictions)


def runs(scale: str, seed: int = 0) -> dict:
    """The runs the figure reads: the Paper 3 chapter's speed-up runs on its MNIST kernel problem
    and the Paper 1 chapter's SGD sweep on MNIST, which the sweep trains once whichever figure
    lists them first, and the synthesis's own (:mod:`.problems`)."""
    return {"kernel": interpolation.speedup_runs(problems.kernel_panel(scale), scale, seed),
            "trace": problems.kernel_trace(scale, seed), "check": problems.estimator_check(scale, seed),
            "sweep": problems.sgd_sweep(scale, seed), "tuned": problems.tuned_sweep(scale, seed),
            "norms": problems.gradient_norm_runs(scale, seed), "probe": problems.probe_run(scale, seed),
            "curvature": problems.trace_probe_run(scale, seed)}


def critical_batch(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """Both problems, the estimator check, the closest predictions and the claims."""
    kernel_problem = kernel(loaded["kernel"], loaded["trace"])
    mlp_problem = mlp(loaded["sweep"], loaded["norms"], loaded["probe"], scale)
    data = Synthesis(kernel_problem, mlp_problem, estimator_check(loaded["check"]),
                     closest_predictions(kernel_problem, mlp_problem))
    return Result(data, measured.problem_claims(kernel_problem) + measured.problem_claims(mlp_problem))


def _scales_at(along: pd.DataFrame, column: str, levels, *, higher: bool, m_star, window: int) -> pd.DataFrame:
    """Per level, m* and B_simple at the first row of ``along`` whose ``column`` reaches it.
    B_simple is the ratio of the means of tr Sigma and of the squared gradient norm over the
    rows within ``window`` of that row (McCandlish et al. average both before dividing: the
    squared norm at one SGD iterate swings by an order of magnitude from step to step); the
    first row's own value is kept beside it."""
    rows = {}
    for level in levels:
        row = predictions.reached(along, column, level, higher=higher)
        if row is None:
            rows[level] = {"m*": np.nan, "B_simple": np.nan, "B_simple, first row": np.nan}
            continue
        at = along.index.get_loc(row.name)
        near = along.iloc[max(at - window, 0) : at + window + 1]
        rows[level] = {"m*": float(m_star(row)), "B_simple": float(near.noise_trace.mean() / (near.grad_norm**2).mean()),
                       "B_simple, first row": float(row.noise_scale)}
    return pd.DataFrame(rows).T


def _by_seed(frame: pd.DataFrame) -> dict:
    """Each seed's own rows, with those of the batch sizes run once (full-batch GD, which is
    deterministic) in every seed's."""
    once = frame.groupby("b").seed.transform("nunique").eq(1)
    return {int(s): pd.concat([own, frame[once & frame.seed.ne(s)]]) for s, own in frame.groupby("seed")}


def _problem(name: str, short: str, kinds: dict, along: pd.DataFrame, m_star, window: int) -> Problem:
    tables, errors, seeds, scales_at = {}, {}, {}, {}
    for kind, (frame, column, higher) in kinds.items():
        at = _scales_at(along, column, sorted(frame.target.unique()), higher=higher, m_star=m_star, window=window)
        tables[kind], errors[kind] = predictions.critical_table(frame, at)
        seeds[kind] = {s: predictions.critical_table(own, at) for s, own in _by_seed(frame).items()}
        scales_at[kind] = at
    steps = {kind: frame for kind, (frame, _, _) in kinds.items()}
    return Problem(name, short, steps, tables, errors, seeds, scales_at, along)


def _constant(value: float, row: pd.Series) -> float:
    return value


def _probe_m_star(row: pd.Series) -> float:
    """m* = beta / lambda_1 + 1 (Paper 3, eq. 14) with the probe run's estimates at ``row``."""
    return row.sample_beta / row.hessian_lambda1 + 1


def kernel(speedup: dict, trace) -> Problem:
    """The MNIST kernel problem: the Paper 3 chapter's speed-up runs (``{m: results over seeds}``),
    at every training error that all of them reach; m* exact, B_simple exact along the kernel
    trace (:func:`.problems.kernel_trace`)."""
    frame = predictions.steps_to_levels(speedup)
    every = frame.steps.notna().groupby(frame.target).transform("all")  # targets every run reaches
    frame = frame[every]
    m_star = float(interpolation_theory.critical_batch(trace.summary["beta"], trace.summary["lambda_1"]))
    name = f"kernel least squares, MNIST (n = {trace.config.problem.n:,})"
    return _problem(name, "kernel", {"training error": (frame, "train_loss", False)}, trace.log,
                    functools.partial(_constant, m_star), window=KERNEL_WINDOW)


def mlp(sweep: dict, norms: dict, probe, scale: str) -> Problem:
    """The MNIST MLP: training-accuracy targets from the Paper 1 chapter's SGD sweep,
    gradient-norm targets from :func:`.problems.gradient_norm_runs` (``{b: results}`` each); m*
    and B_simple along :func:`.problems.probe_run`."""
    accuracy = predictions.steps_from_logs(sweep, "train_acc", ACCURACY_TARGETS[scale], higher=True)
    gradient = predictions.steps_from_logs(norms, "grad_norm", _norm_levels(norms), higher=False)
    along = probe.log[probe.log.step > 0]
    return _problem("MLP 784-512-256-10, MNIST", "MLP",
                    {"training accuracy": (accuracy, "train_acc", True), "gradient norm": (gradient, "grad_norm", False)},
                    along, _probe_m_star, window=MLP_WINDOW)


def _norm_levels(runs: dict, count: int = 4) -> tuple[float, ...]:
    """Gradient-norm targets: ``count`` levels spaced evenly in log below the initial norm (the
    median over runs), the last the lowest level every run reaches before it stops (the largest
    of the runs' smallest norms: the runs stop at a training accuracy, not at a norm)."""
    logs = [r.log for results in runs.values() for r in results]
    start = float(np.median([log.grad_norm.iloc[0] for log in logs]))
    floor = max(float(log.grad_norm[log.step > 0].min()) for log in logs)
    return tuple(float(v) for v in np.geomspace(start, floor, count + 1)[1:])


def estimator_check(check) -> pd.DataFrame:
    """The generic estimators against the exact values on the kernel problem (one row per
    point and quantity, with the relative error), from the run of :func:`.problems.estimator_check`."""
    log = check.log
    return log.assign(**{"relative error": (log.estimate - log.exact).abs() / log.exact.abs()})


def closest_predictions(*chosen: Problem) -> pd.DataFrame:
    """Per problem and kind of target, at the tightest target: the measured critical batch size
    and knee, each prediction's distance from them in doublings, and the closest prediction."""
    rows = []
    for problem in chosen:
        for kind, table in problem.table.items():
            target = measured.tightest(kind, table)
            row = table.loc[target]
            entry = {"problem": problem.name, "target": f"{kind} {target:.3g}", "measured": row["measured"],
                     "measured knee": row["measured knee"]}
            entry |= {p: row[p] for p in predictions.PREDICTIONS}
            for against in ("measured", "measured knee"):
                entry[f"closest to the {against}"] = measured.closest(table, against)[target]
            rows.append(entry)
    return pd.DataFrame(rows)
