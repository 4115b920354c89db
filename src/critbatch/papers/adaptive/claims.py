"""Steps, SFO, wall-clock and stages of Umeda & Iiduka's schedules, measured on stored runs, and
the "paper against ours" rows built from them.

Everything here reads a run's log (one row per check: step, sfo, lr, batch_size, stage,
grad_norm, ..., seconds) and summary (seconds, measure_seconds, stages); nothing trains. The
``*_claims`` functions return rows of :func:`critbatch.analysis.claims.claim`, each naming its test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from critbatch.analysis.claims import claim
from critbatch.analysis.reach import first_reach
from critbatch.analysis.seeds import mean_and_range

from . import theory

__all__ = ["budget_claims", "check_share", "comparison_claims", "critical_batch_sizes", "deepest_common", "first_reaches",
           "ladder_claims", "proxy_switches", "reach_table", "sfo_claims", "stage_table", "stability_claims",
           "wall_clock"]

ABSTRACT = "converges faster than fixed or periodic schedules (abstract)"


def _trained(log: pd.DataFrame) -> pd.DataFrame:
    """The rows after the first update (the row at step 0 is the initial network's)."""
    return log[log.step > 0]


def wall_clock(result) -> pd.Series:
    """Seconds of wall-clock at each log row, measurements included: the logged training seconds
    plus the run's measurement time shared equally by its rows (every check makes the same
    passes), up to and including that row's own check."""
    log = result.log
    share = float(result.summary.get("measure_seconds", 0.0)) / max(len(log), 1)
    return log.seconds.astype(float) + share * np.arange(1, len(log) + 1)


def first_reaches(results: dict, level: float, metric: str = "grad_norm") -> pd.DataFrame:
    """One row per run (name, seed): step, sfo, epoch and wall-clock seconds at the first check
    after the first update with ``metric <= level``; NaN where it never gets there."""
    rows = []
    for name, runs in results.items():
        for result in runs:
            log = result.log.assign(wall=wall_clock(result))
            hit = first_reach(log[log.step > 0], metric, at_most=level)  # from the first update on
            rows.append({"schedule": name, "seed": result.config.seed,
                         **{k: (float(hit[k]) if hit is not None else math.nan)
                            for k in ("step", "sfo", "epoch", "wall")}})
    return pd.DataFrame(rows)


def reach_table(results: dict, level: float, metric: str = "grad_norm") -> pd.DataFrame:
    """Per schedule, mean (NaN if a seed never got there), min and max over seeds of the step,
    SFO, epoch and wall-clock seconds at which ``metric`` first reaches ``level``."""
    return mean_and_range(first_reaches(results, level, metric), "schedule", ["step", "sfo", "epoch", "wall"],
                          strict=True)


def deepest_common(results: dict, levels, metric: str = "grad_norm") -> float | None:
    """The smallest of ``levels`` that every run of every schedule reaches after its first update
    (None: none is)."""
    lows = [_trained(r.log)[metric].min() for runs in results.values() for r in runs]
    best, worst = min(lows), max(lows)
    reached = [level for level in levels if level >= worst]
    return min(reached) if reached and best <= max(reached) else None


def _fmt(value: float, digits: int = 0) -> str:
    return "never" if not np.isfinite(value) else f"{value:,.{digits}f}"


def comparison_claims(results: dict, level: float | None, figure: str, data: str, ours: str = "adaptive",
                      others: tuple[str, ...] = ("periodic", "constant")) -> pd.DataFrame:
    """``ours`` reaches ``level`` before each of ``others`` in steps, in SFO and in wall-clock
    (the paper's claim, read against steps; SFO and wall-clock are ours, since the claim is about
    cost)."""
    rows = []
    if level is None:
        for other in others:
            rows.append(claim(figure, data, f"{ours} reaches a common eps before {other} (test: some ladder "
                              "eps is reached by every run)", ABSTRACT, "no common eps", False))
        return pd.DataFrame(rows)
    table = reach_table(results, level)
    for other in others:
        for column, unit in (("step", "steps"), ("sfo", "SFO"), ("wall", "seconds")):
            a, b = table.loc[ours, column], table.loc[other, column]
            holds = bool(np.isfinite(a) and (not np.isfinite(b) or a < b))
            rows.append(claim(figure, data, f"{ours} reaches ||grad f|| <= {level:.3g} in fewer {unit} than "
                              f"{other} (test: seed means, {ours} < {other})", ABSTRACT if column == "step"
                              else "(not stated; the claim is about cost)",
                              f"{_fmt(a, 1 if column == 'wall' else 0)} vs {_fmt(b, 1 if column == 'wall' else 0)}",
                              holds))
    return pd.DataFrame(rows)


def stage_table(result) -> pd.DataFrame:
    """T1: one row per stage of a staged run: b_m and eta_m (from the run's schedules), eps_m (the
    threshold that ends it; None for periodic stages or the last one), the epoch and step of the
    switch into it, and its steps and SFO (examples drawn in it)."""
    from critbatch.schedules import Progress, as_batch_size, from_spec

    config, records = result.config, result.summary.get("stages") or []
    batch_at, lr_at = from_spec(config.batch_size), from_spec(config.lr)
    total = int(result.summary["steps"]), int(result.summary["sfo"])
    rows = []
    for i, record in enumerate(records):
        at = Progress(step=int(record["step"]), epoch=float(record["epoch"]), examples=int(record["examples"]),
                      stage=int(record["stage"]))
        end = records[i + 1] if i + 1 < len(records) else {"step": total[0], "examples": total[1]}
        rows.append({"stage": at.stage, "b": as_batch_size(batch_at(at)), "lr": float(lr_at(at)),
                     "eps": record["threshold"], "switch epoch": at.epoch, "switch step": at.step,
                     "steps": int(end["step"]) - at.step, "SFO": int(end["examples"]) - at.examples})
    return pd.DataFrame(rows)


def ladder_claims(result, figure: str, data: str) -> pd.DataFrame:
    """The mechanics of an adaptive run: every switch comes at the first check whose norm is at
    or below the stage's threshold, and b_m eps_m^2 stays constant along the ladder."""
    log, records = result.log, result.summary.get("stages") or []
    exact = True
    for previous, record in zip(records, records[1:]):
        checks = log[(log.step > previous["step"]) & (log.step <= record["step"])]
        first = checks[checks.grad_norm <= previous["threshold"]]
        exact &= bool(len(first)) and int(first.step.iloc[0]) == int(record["step"])
    table = stage_table(result)
    product = (table.b * table.eps.astype(float) ** 2).dropna()
    spread = float(product.max() / product.min()) if len(product) else math.nan
    return pd.DataFrame([
        claim(figure, data, "a stage ends at the first check with ||grad f|| <= eps_m (test: every switch)",
              "the rule of the code", f"{len(records) - 1} switches, {'all' if exact else 'not all'} at the first such check", exact),
        claim(figure, data, "b_m eps_m^2 is constant: every stage on one b* curve (test: max/min <= 1.01)",
              "eps_m = eps0 sqrt(b0/b_m) (code)", "no threshold" if not len(product) else f"max/min {spread:.4f}",
              bool(len(product)) and spread <= 1.01)])


def check_share(results: dict) -> pd.DataFrame:
    """Per schedule (mean, min and max over seeds): ``share``, the share of each run's time spent
    measuring at the checks (the full-gradient norm and any other metric, e.g. test accuracy), and
    ``gradient share``, the part of it due to the full-gradient passes, estimated by examples
    through the network (a pass with backward counts twice, as in ``measure_examples``)."""
    rows = []
    for name, runs in results.items():
        for r in runs:
            total = r.summary["seconds"] + r.summary["measure_seconds"]
            n = r.config.train_subset or 50_000
            gradient_examples = 2 * n * len(r.log) if "grad_norm" in r.log else 0
            part = gradient_examples / r.summary["measure_examples"] if r.summary.get("measure_examples") else math.nan
            rows.append({"schedule": name, "seed": r.config.seed, "share": r.summary["measure_seconds"] / total,
                         "gradient share": r.summary["measure_seconds"] * part / total,
                         "seconds": r.summary["seconds"], "measure_seconds": r.summary["measure_seconds"]})
    return mean_and_range(pd.DataFrame(rows), "schedule", ["share", "gradient share", "seconds", "measure_seconds"])


def critical_batch_sizes(table: pd.DataFrame) -> pd.Series:
    """Per eps, the batch size with the smallest mean N over the batch sizes every seed of which
    reached eps (the measured critical batch size); NaN where none did."""
    out = {}
    for eps, per_b in table.groupby(level="eps", sort=False):
        reached = per_b.sfo.dropna()
        out[eps] = reached.idxmin()[1] if len(reached) else math.nan
    return pd.Series(out, name="critical batch size")


def sfo_claims(table: pd.DataFrame, critical: pd.Series, fits: dict, data: str, figure: str = "F1",
               paper_eps: dict | None = None) -> pd.DataFrame:
    """F1: N(b) has an interior minimum for each eps; the critical batch size grows as eps shrinks;
    the ratio of b* between the two largest eps against the theory's (eps ratio)^2 = 4."""
    rows, names = [], paper_eps or {}
    grid = sorted(table.index.get_level_values("b").unique())
    for eps in critical.index:
        reached = table.loc[eps].sfo.dropna()
        b = critical[eps]
        inside = bool(len(reached) >= 3 and np.isfinite(b) and b not in (min(reached.index), max(reached.index)))
        rows.append(claim(figure, data, f"N(b) has its minimum inside the batch sizes that reach eps = {eps:g} "
                          f"(the paper's {names.get(eps, eps):g}) (test: argmin not at an end)",
                          "U-shaped, minimum at the critical batch size", f"b* = {b:g} among {len(reached)} of {len(grid)}"
                          if np.isfinite(b) else "no batch size reached it", inside))
    eps = sorted(critical.index, reverse=True)
    for loose, tight in zip(eps, eps[1:]):
        a, b = critical[loose], critical[tight]
        rows.append(claim(figure, data, f"the critical batch size grows as eps shrinks, {loose:g} -> {tight:g} "
                          "(test: b*(tight) >= b*(loose))", "b* = 2 C2 / eps^2 grows", f"{a:g} -> {b:g}",
                          bool(np.isfinite(a) and np.isfinite(b) and b >= a)))
    if len(eps) >= 2:
        loose, tight = eps[0], eps[1]
        expected = (loose / tight) ** 2
        ratio = critical[tight] / critical[loose]
        rows.append(claim(figure, data, f"b*({tight:g}) / b*({loose:g}) from the minima, against the theory's "
                          f"{expected:g} (test: within a factor 2)", f"{expected:g} (b* ~ 1/eps^2)",
                          f"{ratio:.3g}", bool(np.isfinite(ratio) and expected / 2 <= ratio <= expected * 2)))
        fit_loose, fit_tight = fits.get(loose), fits.get(tight)
        fitted = (fit_tight.critical / fit_loose.critical) if fit_loose and fit_tight else math.nan
        rows.append(claim(figure, data, f"b*({tight:g}) / b*({loose:g}) from the fits of 1/T on 1/b "
                          "(test: within a factor 2)", f"{expected:g}", f"{fitted:.3g}",
                          bool(np.isfinite(fitted) and expected / 2 <= fitted <= expected * 2)))
    return pd.DataFrame(rows)


def stability_claims(final: pd.DataFrame, figure: str, data: str) -> pd.DataFrame:
    """(i): per (delta, gamma, schedule) with gamma >= sqrt(delta), whether training became
    unstable: a run diverged, its final ||grad f|| is more than twice that of (2, 1.4) under the same
    schedule, or its final test accuracy is more than 0.05 below. ``final``: rows delta, gamma,
    schedule, diverged (count), runs, grad_norm and test_acc (seed means of the last check)."""
    rows = []
    for (delta, gamma, schedule), row in final.sort_values(["schedule", "gamma"]).set_index(
            ["delta", "gamma", "schedule"]).iterrows():
        if gamma < math.sqrt(delta):
            continue
        inside = final[(final.schedule == schedule) & (final.gamma < np.sqrt(final.delta))]
        base, base_acc = inside.grad_norm.mean(), inside.test_acc.mean()
        unstable = bool(row.diverged > 0 or row.grad_norm > 2 * base or row.test_acc < base_acc - 0.05)
        rows.append(claim(figure, data, f"gamma >= sqrt(delta) destabilises training: ({delta:g}, {gamma:g}), "
                          f"{schedule} (test: a run diverges, or its final ||grad f|| > 2x or test accuracy "
                          "< (2, 1.4)'s - 0.05)", "outside the theory (no guarantee)",
                          f"{int(row.diverged)} of {int(row.runs)} diverged; final norm {row.grad_norm:.3g} vs {base:.3g}, "
                          f"test accuracy {row.test_acc:.3f} vs {base_acc:.3f}", unstable))
    return pd.DataFrame(rows)


def proxy_switches(results: dict, reference: str) -> pd.DataFrame:
    """(ii): per proxy and seed, the step of each stage switch, and the difference from the run
    of the same seed driven by the exact norm (``reference``)."""
    base = {r.config.seed: [s["step"] for s in r.summary.get("stages", [])[1:]] for r in results[reference]}
    rows = []
    for name, runs in results.items():
        for r in runs:
            steps = [s["step"] for s in r.summary.get("stages", [])[1:]]
            for m, step in enumerate(steps, start=1):
                ref = base[r.config.seed][m - 1] if m - 1 < len(base[r.config.seed]) else math.nan
                rows.append({"proxy": name, "seed": r.config.seed, "stage": m, "switch step": step,
                             "exact switch step": ref, "difference": step - ref})
    return pd.DataFrame(rows)


def budget_claims(results: dict, figure: str, data: str, ours: str = "adaptive",
                  others: tuple[str, ...] = ("periodic", "constant")) -> pd.DataFrame:
    """Within the same budget (the paper's runs all have 200 epochs), ``ours`` gets the full-gradient
    norm lower than each of ``others`` (seed means of each run's smallest checked norm)."""
    best = {name: float(np.mean([_trained(r.log).grad_norm.min() for r in runs])) for name, runs in results.items()}
    return pd.DataFrame([claim(figure, data, f"{ours} gets ||grad f|| lower than {other} within the budget "
                               "(test: seed means of the smallest norm)", ABSTRACT, f"{best[ours]:.3g} vs {best[other]:.3g}",
                               bool(best[ours] < best[other])) for other in others])
