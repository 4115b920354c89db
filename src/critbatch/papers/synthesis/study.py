"""The synthesis chapter, one call per problem: the four critical-batch predictions against the
measured one at every target, the fits of Paper 1's and McCandlish's models, the estimator check,
and the claims.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import critbatch
from critbatch.analysis.claims import verdict
from critbatch.papers.armijo import study as armijo
from critbatch.papers.interpolation import study as interpolation
from critbatch.papers.interpolation import theory as interpolation_theory

from . import claims as measured
from . import predictions, problems

__all__ = ["Problem", "closest_predictions", "estimator_check", "kernel", "mlp"]

#: The MLP's training-accuracy targets, read from the Paper 1 chapter's SGD sweep (checked every
#: quarter epoch; the paper's target is the last).
ACCURACY_TARGETS = {"smoke": (0.6, 0.7, 0.8, 0.85), "reduced": (0.9, 0.93, 0.95, 0.97), "paper": (0.9, 0.93, 0.95, 0.97)}

#: Rows on each side averaged for B_simple: 50 steps of the kernel trace, half an epoch of the probe run.
KERNEL_WINDOW, MLP_WINDOW = 5, 1


@dataclass(frozen=True)
class Problem:
    """One problem: per kind of target, the measured steps and the predictions at each target."""

    name: str  # the problem, in words
    steps: dict  # kind of target ("training error", "training accuracy", "gradient norm") -> one row per (target, b, seed): steps and examples (predictions.steps_from_logs)
    table: dict  # kind -> per target: the measured critical batch size and the four predictions
    errors: dict  # kind -> per target: the RMS log error of Paper 1's and McCandlish's fitted S(b)
    along: pd.DataFrame  # the curvature and noise scales along training (the probe run or the kernel trace)
    claims: pd.DataFrame

    @property
    def verdict(self) -> str:
        return f"{self.name}: " + verdict(self.claims, "{claim} ({data}: {ours}; {paper})", noun="claims", cut=" (test")


def _scales_at(along: pd.DataFrame, column: str, levels, *, higher: bool, m_star, window: int) -> pd.DataFrame:
    """Per level, m* and B_simple at the first row of ``along`` whose ``column`` reaches it.
    B_simple is the ratio of the means of tr Sigma and of the squared gradient norm over the
    rows within ``window`` of that row (McCandlish et al. average both before dividing: the
    squared norm at one SGD iterate swings by an order of magnitude from step to step)."""
    rows = {}
    for level in levels:
        row = predictions.reached(along, column, level, higher=higher)
        if row is None:
            rows[level] = {"m*": np.nan, "B_simple": np.nan}
            continue
        at = along.index.get_loc(row.name)
        near = along.iloc[max(at - window, 0) : at + window + 1]
        rows[level] = {"m*": float(m_star(row)), "B_simple": float(near.noise_trace.mean() / (near.grad_norm**2).mean())}
    return pd.DataFrame(rows).T


def _problem(name: str, short: str, kinds: dict, along: pd.DataFrame, m_star, window: int) -> Problem:
    tables, errors = {}, {}
    for kind, (frame, column, higher) in kinds.items():
        at = _scales_at(along, column, sorted(frame.target.unique()), higher=higher, m_star=m_star, window=window)
        tables[kind], errors[kind] = predictions.critical_table(frame, at)
    steps = {kind: frame for kind, (frame, _, _) in kinds.items()}
    return Problem(name, steps, tables, errors, along,
                   measured.problem_claims(short, tables, errors))


def kernel(scale: str, seed: int = 0, **options) -> Problem:
    """The MNIST kernel problem: the Paper 3 chapter's speed-up runs, at every training error
    that all of them reach; m* exact, B_simple exact along :func:`.problems.kernel_trace`."""
    panel = problems.kernel_panel(scale, **options)
    runs = interpolation.results(interpolation.speedup_runs(panel, scale, seed), **options)
    frame = predictions.steps_to_levels(runs)
    reached = frame.groupby("target").steps.apply(lambda s: s.notna().all())
    frame = frame[frame.target.isin(reached[reached].index)]
    trace = critbatch.run(problems.kernel_trace(scale, seed, **options), paper=problems.PAPER, **options)
    m_star = interpolation_theory.critical_batch(trace.summary["beta"], trace.summary["lambda_1"])
    name = f"kernel least squares, MNIST (n = {panel.problem.n:,})"
    return _problem(name, "kernel", {"training error": (frame, "train_loss", False)}, trace.log, lambda row: m_star,
                    window=KERNEL_WINDOW)


def mlp(scale: str, seed: int = 0, **options) -> Problem:
    """The MNIST MLP: training-accuracy targets from the Paper 1 chapter's SGD sweep,
    gradient-norm targets from :func:`.problems.gradient_norm_runs`; m* and B_simple along
    :func:`.problems.probe_run`."""
    sweep = _loaded(problems.sgd_sweep(scale, seed), armijo.PAPER, options)
    accuracy = predictions.steps_from_logs(sweep, "train_acc", ACCURACY_TARGETS[scale], higher=True)
    own = _loaded(problems.gradient_norm_runs(scale, seed), problems.PAPER, options)
    norms = predictions.steps_from_logs(own, "grad_norm", _norm_levels(own), higher=False)
    probe = critbatch.run(problems.probe_run(scale, seed), paper=problems.PAPER, **options)
    along = probe.log[probe.log.step > 0]
    return _problem("MLP 784-512-256-10, MNIST", "MLP",
                    {"training accuracy": (accuracy, "train_acc", True), "gradient norm": (norms, "grad_norm", False)},
                    along, lambda row: row.sample_beta / row.hessian_lambda1 + 1, window=MLP_WINDOW)


def _loaded(runs: dict, paper: str, options: dict) -> dict:
    """{b: results} of {b: configs}, each loaded (or trained) for ``paper``."""
    return {b: [critbatch.run(c, paper=paper, **options) for c in configs] for b, configs in runs.items()}


def _norm_levels(runs: dict, count: int = 4) -> tuple[float, ...]:
    """Gradient-norm targets: ``count`` levels spaced evenly in log below the initial norm (the
    median over runs), the last the lowest level every run reaches before it stops (the largest
    of the runs' smallest norms: the runs stop at a training accuracy, not at a norm)."""
    logs = [r.log for results in runs.values() for r in results]
    start = float(np.median([log.grad_norm.iloc[0] for log in logs]))
    floor = max(float(log.grad_norm[log.step > 0].min()) for log in logs)
    return tuple(float(v) for v in np.geomspace(start, floor, count + 1)[1:])


def estimator_check(scale: str, seed: int = 0, **options) -> pd.DataFrame:
    """The generic estimators against the exact values on the kernel problem (one row per
    point and quantity, with the relative error)."""
    log = critbatch.run(problems.estimator_check(scale, seed, **options), paper=problems.PAPER, **options).log
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
