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
           "runs", "tune"]

#: The MLP's training-accuracy targets, read from the Paper 1 chapter's SGD sweep (checked every
#: quarter epoch; the paper's target is the last).
ACCURACY_TARGETS = {"smoke": (0.6, 0.7, 0.8, 0.85), "reduced": (0.9, 0.93, 0.95, 0.97), "paper": (0.9, 0.93, 0.95, 0.97)}

#: The MLP's kinds of target: the sweep with eta tuned per b (where its claims are decided; the
#: grid is problems.TUNED_LRS), the Paper 1 chapter's sweep at eta = 0.1
#: (shown beside it) and the gradient norm (one seed, shown, not decided).
FIXED, TUNED, NORM = "training accuracy, η = 0.1", "training accuracy, η tuned", "gradient norm"

#: The largest difference in training accuracy at which the trace probe counts as following the probe run.
TRAJECTORY_TOLERANCE = 1e-3

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
    scales: dict  # kind -> per target: m*, tr H/λ1, B_simple (window mean) and B_simple at the first row that reaches it
    along: pd.DataFrame  # the curvature and noise scales along training (the probe runs or the kernel trace)
    decided: tuple[str, ...]  # the kinds of target whose claims are decided


@dataclass(frozen=True)
class Synthesis:
    """What the critical-batch figure shows."""

    kernel: Problem
    mlp: Problem
    check: pd.DataFrame  # the estimators against the exact values (estimator_check)
    closest: pd.DataFrame  # per problem and kind, at the tightest target (closest_predictions)
    tuning: pd.DataFrame  # the MLP's mean steps to its tightest accuracy per b and eta, and the eta chosen (tune)
    norm_range: pd.DataFrame  # per b, the MLP's full-gradient norm at step 0, its largest and its last (norm_range)


def runs(scale: str, seed: int = 0) -> dict:
    """The runs the figure reads: the Paper 3 chapter's speed-up runs on its MNIST kernel problem
    and the Paper 1 chapter's SGD sweep on MNIST, which the sweep trains once whichever figure
    lists them first, and the synthesis's own (:mod:`.problems`)."""
    return {"kernel": interpolation.speedup_runs(problems.kernel_panel(scale), scale, seed),
            "trace": problems.kernel_trace(scale, seed), "check": problems.estimator_check(scale, seed),
            "sweep": problems.sgd_sweep(scale, seed), "curvature": problems.trace_probe_run(scale, seed),
            "tuned": problems.tuned_sweep(scale, seed), "norms": problems.gradient_norm_runs(scale, seed),
            "probe": problems.probe_run(scale, seed)}


def critical_batch(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """Both problems, the estimator check, the closest predictions and the claims."""
    kernel_problem = kernel(loaded["kernel"], loaded["trace"])
    chosen, tuning = tune(loaded["tuned"], max(ACCURACY_TARGETS[scale]))  # the tightest target
    mlp_problem = mlp(chosen, loaded["sweep"], loaded["norms"], loaded["probe"], loaded["curvature"], scale)
    data = Synthesis(kernel_problem, mlp_problem, estimator_check(loaded["check"]),
                     closest_predictions(kernel_problem, mlp_problem), tuning, norm_range(loaded["norms"]))
    return Result(data, measured.problem_claims(kernel_problem) + measured.problem_claims(mlp_problem))


def tune(runs: dict, target: float) -> tuple[dict, pd.DataFrame]:
    """The step size tuned per batch size: ``runs`` maps b to ``{eta: results over seeds}``; per
    b, the eta with the fewest mean steps to the training accuracy ``target`` (the tightest, where
    the runs stop) over seeds, among those every seed of which reached it (fixed before the runs).
    Returns ``{b: the results at that eta}`` (no entry for a b that no eta got there at) and the table of mean steps (b by eta, NaN where a
    seed missed or eta was not run) with the chosen eta and whether it is the smallest or the
    largest eta run at that b (then the grid, not the problem, may have set it)."""
    frames = [predictions.steps_from_logs({b: results}, "train_acc", (target,), higher=True).assign(eta=eta)
              for b, by_eta in runs.items() for eta, results in by_eta.items()]
    steps = pd.concat(frames).groupby(["b", "eta"]).steps
    means = steps.mean().where(steps.count().eq(steps.size())).unstack("eta")
    best = means.dropna(how="all").idxmin(axis=1)  # a b at which no eta got there has no tuned eta
    chosen = {b: runs[b][eta] for b, eta in best.items()}
    edge = {b: eta in (min(runs[b]), max(runs[b])) for b, eta in best.items()}
    return chosen, means.assign(**{"tuned η": best, "on the grid's edge": pd.Series(edge, dtype=object)})


def _scales_at(along: pd.DataFrame, column: str, levels, *, higher: bool, m_star, window: int) -> pd.DataFrame:
    """Per level, m* and tr H/λ1 (``m_star(row)``: both, as a dict) and B_simple at the first row
    of ``along`` whose ``column`` reaches it.
    B_simple is the ratio of the means of tr Sigma and of the squared gradient norm over the
    rows within ``window`` of that row (McCandlish et al. average both before dividing: the
    squared norm at one SGD iterate swings by an order of magnitude from step to step); the
    first row's own value is kept beside it."""
    rows = {}
    for level in levels:
        row = predictions.reached(along, column, level, higher=higher)
        if row is None:
            rows[level] = {"m*": np.nan, "tr H/λ1": np.nan, "B_simple": np.nan, "B_simple, first row": np.nan}
            continue
        at = along.index.get_loc(row.name)
        near = along.iloc[max(at - window, 0) : at + window + 1]
        rows[level] = {**m_star(row), "B_simple": float(near.noise_trace.mean() / (near.grad_norm**2).mean()),
                       "B_simple, first row": float(row.noise_scale)}
    return pd.DataFrame(rows).T


def _by_seed(frame: pd.DataFrame) -> dict:
    """Each seed's own rows, with those of the batch sizes run once (full-batch GD, which is
    deterministic) in every seed's."""
    once = frame.groupby("b").seed.transform("nunique").eq(1)
    return {int(s): pd.concat([own, frame[once & frame.seed.ne(s)]]) for s, own in frame.groupby("seed")}


def _problem(name: str, short: str, kinds: dict, along: pd.DataFrame, m_star, window: int,
             decided: tuple[str, ...]) -> Problem:
    tables, errors, seeds, scales_at = {}, {}, {}, {}
    for kind, (frame, column, higher) in kinds.items():
        at = _scales_at(along, column, sorted(frame.target.unique()), higher=higher, m_star=m_star, window=window)
        tables[kind], errors[kind] = predictions.critical_table(frame, at)
        seeds[kind] = {s: predictions.critical_table(own, at) for s, own in _by_seed(frame).items()}
        scales_at[kind] = at
    steps = {kind: frame for kind, (frame, _, _) in kinds.items()}
    return Problem(name, short, steps, tables, errors, seeds, scales_at, along, decided)


def _constant(values: dict, row: pd.Series) -> dict:
    return values


def _probe_m_star(row: pd.Series) -> dict:
    """m* = beta / lambda_1 + 1 (Paper 3, eq. 14) and tr H / lambda_1 (its Section 1) with the
    probe runs' estimates at ``row`` (tr H from the trace probe, on lambda_1's examples)."""
    return {"m*": float(row.sample_beta / row.hessian_lambda1 + 1),
            "tr H/λ1": float(row.hessian_trace / row.hessian_lambda1)}


def kernel(speedup: dict, trace) -> Problem:
    """The MNIST kernel problem: the Paper 3 chapter's speed-up runs (``{m: results over seeds}``),
    at every training error that all of them reach; m* exact, B_simple exact along the kernel
    trace (:func:`.problems.kernel_trace`). tr H/λ1 is exact too: H = K/n in the kernel's
    feature space, so tr H is the mean of k(x_i, x_i), which for the Gaussian kernel is 1 = beta."""
    frame = predictions.steps_to_levels(speedup)
    every = frame.steps.notna().groupby(frame.target).transform("all")  # targets every run reaches
    frame = frame[every]
    beta, lambda_1 = trace.summary["beta"], trace.summary["lambda_1"]
    exact = {"m*": float(interpolation_theory.critical_batch(beta, lambda_1)), "tr H/λ1": float(beta / lambda_1)}
    name = f"kernel least squares, MNIST (n = {trace.config.problem.n:,})"
    return _problem(name, "kernel", {"training error": (frame, "train_loss", False)}, trace.log,
                    functools.partial(_constant, exact), window=KERNEL_WINDOW, decided=("training error",))


def mlp(tuned: dict, sweep: dict, norms: dict, probe, curvature, scale: str) -> Problem:
    """The MNIST MLP: training-accuracy targets from the tuned sweep (``{b: results}`` at the eta
    chosen by :func:`tune`; its claims are decided) and from the Paper 1 chapter's SGD sweep at
    eta = 0.1 (shown), gradient-norm targets from :func:`.problems.gradient_norm_runs` (one
    seed: shown, not decided); m*, tr H/λ1 and B_simple along :func:`.problems.probe_run` and
    :func:`.problems.trace_probe_run`, which follow one trajectory (checked)."""
    targets = ACCURACY_TARGETS[scale]
    kinds = {FIXED: (predictions.steps_from_logs(sweep, "train_acc", targets, higher=True), "train_acc", True),
             TUNED: (predictions.steps_from_logs(tuned, "train_acc", targets, higher=True), "train_acc", True),
             NORM: (predictions.steps_from_logs(norms, "grad_norm", _norm_levels(norms), higher=False), "grad_norm",
                    False)}
    return _problem("MLP 784-512-256-10, MNIST", "MLP", kinds, _along(probe.log, curvature.log), _probe_m_star,
                    window=MLP_WINDOW, decided=(TUNED,))


def _along(probe: pd.DataFrame, curvature: pd.DataFrame) -> pd.DataFrame:
    """The probe run's log with the trace probe's tr H and its standard error beside it (NaN at
    the checks the trace probe skips), after step 0; an error unless the two runs' training
    accuracies agree within ``TRAJECTORY_TOLERANCE`` at every step both logged (the trace
    probe's last row, at the end of its budget, falls between the probe's checks). They are the
    same training, not bit for bit: on the reduced runs they differ by at most 1.3e-4 (8 of
    60,000 examples)."""
    both = probe.merge(curvature[["step", "train_acc", "hessian_trace", "hessian_trace_se"]], on="step",
                       how="left", suffixes=("", " (trace probe)"))
    shared = both["train_acc (trace probe)"].notna()
    if not shared.any() or not np.allclose(both.train_acc[shared], both["train_acc (trace probe)"][shared],
                                             rtol=0, atol=TRAJECTORY_TOLERANCE):
        raise ValueError("the trace probe did not follow the probe run's trajectory")
    both = both.drop(columns="train_acc (trace probe)").set_axis(probe.index)
    return both[both.step > 0]


def _norm_levels(runs: dict, count: int = 4) -> tuple[float, ...]:
    """Gradient-norm targets: ``count`` levels spaced evenly in log below the initial norm (the
    median over runs), the last the lowest level every run reaches before it stops (the largest
    of the runs' smallest norms: the runs stop at a training accuracy, not at a norm)."""
    logs = [r.log for results in runs.values() for r in results]
    start = float(np.median([log.grad_norm.iloc[0] for log in logs]))
    floor = max(_smallest_norm(log) for log in logs)
    return tuple(float(v) for v in np.geomspace(start, floor, count + 1)[1:])


def _smallest_norm(log: pd.DataFrame) -> float:
    """A run's smallest full-gradient norm after step 0 (the lowest target it reaches before it stops)."""
    return float(log.grad_norm[log.step > 0].min())


def norm_range(runs: dict) -> pd.DataFrame:
    """Per batch size (``runs``: {b: results} of :func:`.problems.gradient_norm_runs`), the
    full-gradient norm at step 0, its largest, its smallest after step 0 (the largest of these
    is the deepest target of :func:`_norm_levels`) and the step the run stopped at: what bounds
    the span of the gradient-norm targets."""
    return pd.DataFrame({b: {"at step 0": float(r.log.grad_norm.iloc[0]), "largest": float(r.log.grad_norm.max()),
                             "smallest after step 0": _smallest_norm(r.log),
                             "stopped at step": float(r.log.step.iloc[-1])}
                         for b, results in runs.items() for r in results}).T.rename_axis("b")


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
            if pd.isna(target):  # no target of this kind measured (the smoke scale's short runs)
                continue
            row = table.loc[target]
            entry = {"problem": problem.name, "target": f"{kind} {target:.3g}", "measured": row["measured"],
                     "measured knee": row["measured knee"]}
            entry |= {p: row[p] for p in predictions.PREDICTIONS}
            for against in ("measured", "measured knee"):
                entry[f"closest to the {against}"] = measured.closest(table, against)[target]
            rows.append(entry)
    return pd.DataFrame(rows)
