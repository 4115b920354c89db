"""Steps, SFO and the claims of Tsukada & Iiduka, measured on stored runs and decided per seed.

:func:`measure` turns the runs of :func:`critbatch.papers.armijo.study.sweep_runs` into one row
per run (steps K, SFO N and function computations at the first check that meets a target, and
the run's check interval); :func:`average` averages over seeds. Every claim is one
:class:`~critbatch.analysis.verdicts.Claim` below, written once; the ``*_claims`` functions
compute its quantity on each seed's runs and on the seed-averaged data and decide it.

Which claims are the paper's: Theorem 3.2 (K(b) decreasing and convex), Theorem 3.3 (a critical
batch size minimising N(b) = K(b) b, growing like 1/eps^2) and the abstract (b* "can be
estimated from theoretical parameters"). The comparisons with the other optimizers and the
Armijo constant come from the first author's rebuttal figures (F-R1 ... F-R6 of our notes,
``shared/specs/paper1-armijo-critical-batch.md``), where the baselines keep the constant
learning rates of the arXiv-era code at every batch size (untuned per b). The open questions
are ours.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pandas as pd

from critbatch.analysis.reach import first_reach
from critbatch.analysis.seeds import mean_and_range
from critbatch.analysis.verdicts import DERIVED, PAPER, QUESTION, Claim, Claims

from . import quoted, theory

__all__ = ["BEST_C_TO_TARGET", "CONVEX", "CRITICAL_GROWS", "DROP", "FALLS", "FEWEST", "FIT", "FLOAT64_LARGE", "FLOAT64_REACHES",
           "FROZEN_CALMER", "FROZEN_FEWER_DROPS", "FROZEN_SAME_STEPS", "INSIDE", "LARGE_STEP", "STEPS_FALL",
           "average", "critical_batch_sizes", "critical_range", "critical_ranges", "jumpiness", "jumps", "measure", "precision_ends", "reach_step_size_claims", "round_off_claims",
           "sweep_claims", "trial_bn_claims", "two_target_claims", "unfinished", "fewest_claims",
           "fit_error", "inside_minus_ends", "largest_change", "largest_excess", "least_work_margin"]

ARMIJO = "SGD+Armijo"
UNTUNED = ("the baselines keep the arXiv-era code's constant learning rates at every batch size (untuned per b); "
           "tuning can only lower their steps (their rate is on any grid), so a failure here stands against tuned "
           "baselines, a success would not")
CHECK_WHY = "K(b) is read at checks, so each value is late by up to one check interval"
TIED = ("b* is the range of batch sizes whose N(b) is within one check interval of examples of the lowest (a rule "
        "added after a review found the MNIST b* of SGD+Armijo decided by 40 examples against checks of 15,000)")

FALLS = Claim(
    "K falls", "K(b) decreases with b", "Theorem 3.2", PAPER,
    "largest change of K from one b to the next, in check intervals of the smaller b", "<", 0.0,
    resolution=1.0, resolution_why=CHECK_WHY, quoted="monotone decreasing")
CONVEX = Claim(
    "K convex", "K(b) is convex in b (over the b that reached the target)", "Theorem 3.2", PAPER,
    "largest excess of K(b) over the chord of its two neighbours, in check intervals of b", "<=", 0.0,
    resolution=2.0, resolution_why="K(b) is late by up to one check interval and the chord by up to 1.5 of them",
    quoted="convex")
INSIDE = Claim(
    "critical inside", "N(b) = K(b) b has its minimum inside the grid: a critical batch size", "Theorem 3.3", PAPER,
    "lowest N(b) inside the grid minus lowest N(b) at its two ends, in check intervals of examples", "<", 0.0,
    resolution=1.0, resolution_why="N(b) is read at checks, one check interval (about a quarter epoch) apart",
    quoted="exists")
FIT = Claim(
    "fit", "b* = 2 C2 / eps^2 from a fit of K(b) estimates the measured critical batch size", "abstract", PAPER,
    "|log2(fitted b* / nearest measured b*)| (0 inside the range of b tied for the lowest N)", "<=", 1.0,
    resolution=0.5, resolution_why="the measured b* is a point of a doubling grid, within half a grid step of the "
    "minimum", quoted="can be estimated from theoretical parameters",
    chosen=f"'within a factor 2' is our reading of 'can be estimated'; {TIED}")
FEWEST = Claim(
    "fewest", "SGD+Armijo needs the least work of the six optimizers for b ≤ 2^8: its computations (steps plus "
    "failed line-search trials, so its steps too) below every other optimizer's steps",
    "rebuttal Figs. R1 (steps) and R3 (function computations)", PAPER,
    "largest (SGD+Armijo's computations − the fewest steps of the others) over b ≤ 256, in check intervals", "<", 0.0,
    resolution=1.0, resolution_why=CHECK_WHY, quoted="fewest steps for b ≤ 2^8; computations below the others'",
    chosen=UNTUNED)
CRITICAL_GROWS = Claim(
    "critical grows", "the critical batch size moves to larger b at the stricter target", "Theorem 3.3; rebuttal Fig. R6",
    PAPER, "log2 gap from the looser target's b* range up to the stricter's (0 where they overlap)", ">", 0.0,
    resolution=1.0, resolution_why="one grid point: b* is read on a doubling grid", digits=2, chosen=TIED,
    quoted=(f"b* = 2 C2 / eps^2; CIFAR-10: {quoted.ARMIJO_CIFAR10_CRITICAL_BY_TARGET[0.1]} (loss ≤ 0.1) → "
            f"{quoted.ARMIJO_CIFAR10_CRITICAL_BY_TARGET[0.001]} (loss ≤ 0.001)"))
STEPS_FALL = Claim(
    "steps fall with c", "the median accepted step falls as the Armijo constant c grows",
    "rebuttal Figs. decay_step_size, step_size", PAPER,
    "largest ratio of the median accepted step at the next c to that at this c", "<", 1.0,
    quoted="larger c, smaller steps")
BEST_C_TO_TARGET = Claim(
    "best c, to the target", "a moderate c (0.05 to 0.1) needs the fewest steps to the target",
    "rebuttal Figs. decay_step_size, step_size", PAPER,
    "fewest steps with c in [0.05, 0.1] minus the fewest with another c, in check intervals", "<", 0.0,
    resolution=1.0, resolution_why=CHECK_WHY, quoted="c ≈ 0.1",
    chosen="the window 0.05 to 0.1 around the paper's 'c ≈ 0.1' is ours")

#: The round-off test: accepted steps "stay large" when each run's last logged stretch has a
#: median at least this (the float32 runs at b = 4 end near 1e-10, those at b = 8 near 0.1).
LARGE_STEP = 1e-3
#: The jumpiness test: a drop of the training accuracy by more than this between evaluations.
DROP = 0.05

FLOAT64_REACHES = Claim(
    "float64 reaches", "at the smallest batch size, SGD+Armijo reaches the target in float64 (the collapse is "
    "float32 round-off in the Armijo test)", "our question", QUESTION, "reaches the target in float64", "is", True)
FLOAT64_LARGE = Claim(
    "float64 steps stay large", "at the smallest batch size, the accepted steps stay large in float64",
    "our question", QUESTION, "median accepted step of the run's last logged stretch, float64", ">=", LARGE_STEP,
    chosen=f"the cut-off {LARGE_STEP:g} was set after seeing the float32 runs end near 1e-10 (b = 4) and 0.1 (b = 8)")
FROZEN_FEWER_DROPS = Claim(
    "frozen: fewer drops", "with the BatchNorm statistics frozen in the line-search trials, the training accuracy "
    "drops less often", "our question", QUESTION,
    f"drops by more than {DROP * 100:g} points between epochs, frozen minus updated", "<", 0.0,
    chosen=f"the drop size, {DROP * 100:g} points, and leaving out the first epoch are ours")
FROZEN_CALMER = Claim(
    "frozen: calmer", "with frozen trial statistics, the training accuracy changes less between epochs",
    "our question", QUESTION, "mean |change| of the training accuracy between epochs (points), frozen minus updated",
    "<", 0.0, chosen="leaving out the first epoch is ours")
FROZEN_SAME_STEPS = Claim(
    "frozen: same steps", "with frozen trial statistics the parameters are the same, only the BatchNorm statistics "
    "differ", "our question", DERIVED, "mini-batch losses and accepted steps equal the updated run's", "is", True)


def measure(sweep: dict, target: float) -> pd.DataFrame:
    """One row per run: optimizer, b, seed, steps, sfo and computations (steps plus failed
    line-search trials, the rebuttal's "function computations") when the training accuracy
    first reaches ``target`` (NaN where it never does), and ``check``, the run's check interval
    in steps."""
    rows = []
    for (name, b), results in sweep.items():
        for result in results:
            hit = first_reach(result.log, "train_acc", at_least=target)
            failed = hit.get("failed_trials", 0) if hit is not None else math.nan
            rows.append({"optimizer": name, "b": b, "seed": result.config.seed,
                         "steps": hit.step if hit is not None else math.nan,
                         "sfo": hit.sfo if hit is not None else math.nan,
                         "computations": hit.step + failed if hit is not None else math.nan,
                         "check": result.config.eval_every})
    return pd.DataFrame(rows)
def unfinished(sweep: dict) -> pd.DataFrame:
    """The (optimizer, b) whose runs did not all reach their target: how they ended, the best
    training accuracy they got, and (line search) the median step of their last logged stretch."""
    rows = []
    for (name, b), results in sweep.items():
        if all(r.summary["status"] == "reached" for r in results):
            continue
        last = [r.log.step_sizes.dropna().iloc[-1] for r in results if "step_sizes" in r.log]
        rows.append({"optimizer": name, "b": b,
                     "ended": ", ".join(sorted({r.summary["status"] for r in results})),
                     "best training accuracy": max(r.log.train_acc.max() for r in results),
                     "last accepted steps (median)": float(np.median(np.concatenate(last))) if last else math.nan})
    return pd.DataFrame(rows).set_index(["optimizer", "b"]) if rows else pd.DataFrame()


def average(measured: pd.DataFrame) -> pd.DataFrame:
    """Mean, min and max over seeds per (optimizer, b) (the check interval, the same for every
    seed, too); the mean is NaN if a seed missed."""
    return mean_and_range(measured, ["optimizer", "b"], ["steps", "sfo", "computations", "check"], strict=True)


def critical_batch_sizes(table: pd.DataFrame) -> pd.Series:
    """Per optimizer, the batch size with the smallest mean SFO (the measured critical batch size);
    optimizers that reached the target at no batch size are left out."""
    reached = table.sfo.dropna()
    return reached.groupby(level="optimizer", sort=False).idxmin().map(lambda index: index[1])




def critical_range(table: pd.DataFrame, name: str) -> tuple[float, float]:
    """The smallest and largest b whose N(b) is within one check interval of examples (the
    resolution of :data:`INSIDE`) of the lowest: the critical batch size, ties included (NaN, NaN:
    never reached)."""
    rows = _of(table, name)
    n = rows.sfo.dropna()
    if n.empty:
        return math.nan, math.nan
    unit = float((rows.index.to_numpy() * rows.check.to_numpy()).max())
    tied = n.index[n <= n.min() + unit]
    return float(tied.min()), float(tied.max())


def critical_ranges(table: pd.DataFrame) -> pd.Series:
    """Per optimizer, its :func:`critical_range` in words ("8" or "8 to 32")."""
    spans = {name: critical_range(table, name) for name in dict.fromkeys(table.index.get_level_values("optimizer"))}
    return pd.Series({name: (f"{lo:g}" if lo == hi else f"{lo:g} to {hi:g}") for name, (lo, hi) in spans.items()
                      if not math.isnan(lo)}, name="critical batch size, ties included")


def _log2_gap(low: tuple[float, float], high: tuple[float, float]) -> float:
    """How far the range ``high`` lies above the range ``low``, in log2 (negative: below; 0: they overlap)."""
    if high[0] > low[1]:
        return math.log2(high[0] / low[1])
    if high[1] < low[0]:
        return math.log2(high[1] / low[0])
    return 0.0 if not math.isnan(low[0] + high[0]) else math.nan


def _per_seed(measured: pd.DataFrame, quantity: Callable[[pd.DataFrame], float]) -> tuple[dict, float]:
    """``quantity`` of each seed's runs and of the seed-averaged table (both indexed by (optimizer, b))."""
    seeds = {int(s): quantity(rows.set_index(["optimizer", "b"])) for s, rows in measured.groupby("seed")}
    return seeds, quantity(average(measured))


def _of(table: pd.DataFrame, name: str) -> pd.DataFrame:
    return table.loc[name].sort_index()


def largest_change(table: pd.DataFrame, name: str) -> float:
    """Theorem 3.2, K(b) decreasing: the largest K(b') - K(b) of neighbours b < b', in check intervals
    of b (never reached: infinitely many steps, so a b that misses the target after one that met it rises)."""
    rows = _of(table, name)
    k = rows.steps.fillna(np.inf).to_numpy()
    with np.errstate(invalid="ignore"):
        change = (k[1:] - k[:-1]) / rows.check.to_numpy()[:-1]
    return float(np.nanmax(change)) if np.isfinite(k).any() and not np.isnan(change).all() else math.nan


def largest_excess(table: pd.DataFrame, name: str) -> float:
    """Theorem 3.2, K(b) convex: over the b that reached the target, the largest excess of K(b)
    over the chord through its neighbours' K, in check intervals of b (NaN: fewer than 3 b)."""
    rows = _of(table, name).dropna(subset=["steps"])
    b, k, check = (rows.index.to_numpy(float), rows.steps.to_numpy(), rows.check.to_numpy())
    if len(b) < 3:
        return math.nan
    weight = (b[1:-1] - b[:-2]) / (b[2:] - b[:-2])
    chord = (1 - weight) * k[:-2] + weight * k[2:]
    return float(np.max((k[1:-1] - chord) / check[1:-1]))


def inside_minus_ends(table: pd.DataFrame, name: str) -> float:
    """Theorem 3.3: the lowest N(b) inside the grid minus the lowest at its ends, in check intervals
    of examples (the largest b times its check interval, about a quarter epoch)."""
    rows = _of(table, name)
    n = rows.sfo.fillna(np.inf).to_numpy()
    if not np.isfinite(n).any():
        return math.nan
    unit = float((rows.index.to_numpy() * rows.check.to_numpy()).max())
    return float((n[1:-1].min() - min(n[0], n[-1])) / unit)


def fit_error(table: pd.DataFrame, name: str) -> float:
    """The abstract: |log2| of b* from the fit of K(b) (:func:`theory.fit_steps`) over the measured
    critical batch size (NaN: fewer than 3 batch sizes reached the target, or no finite fit)."""
    k = _of(table, name).steps.dropna()
    if len(k) < 3:
        return math.nan
    try:
        fit = theory.fit_steps(k.index.to_numpy(), k.to_numpy(), eps=1.0)  # b* does not depend on eps
    except ValueError:
        return math.nan
    return abs(_log2_gap(critical_range(table, name), (fit.b_star, fit.b_star))) if fit.b_star > 0 else math.nan


def least_work_margin(table: pd.DataFrame, name: str = ARMIJO, up_to: int = 256) -> float:
    """Rebuttal F-R1/F-R3: over b <= ``up_to``, the largest of ``name``'s computations minus the
    fewest steps of the other optimizers, in check intervals (never reached: infinitely many)."""
    work = table.computations.unstack(level="b").fillna(np.inf)
    steps = table.steps.unstack(level="b").fillna(np.inf).drop(index=name)
    check = table.check.unstack(level="b").loc[name]
    small = [b for b in work.columns if b <= up_to]
    with np.errstate(invalid="ignore"):
        margin = (work.loc[name, small] - steps[small].min()) / check[small]
    return float(margin.max()) if margin.notna().any() else math.nan


def _decide(claim: Claim, measured: pd.DataFrame, quantity, name: str, setting: str, **tags):
    seeds, mean = _per_seed(measured, lambda table: quantity(table, name))
    return claim.decide(seeds, mean, setting=setting, **tags)


def sweep_claims(measured: pd.DataFrame, setting: str, data: str) -> Claims:
    """Theorems 3.2 and 3.3 per optimizer, and the abstract's estimate of b* for SGD+Armijo, on
    ``measured`` (:func:`measure` at the paper's target)."""
    names = list(dict.fromkeys(measured.optimizer))
    return Claims.of(
        [_decide(claim, measured, quantity, name, f"{setting}, {name}", data=data)
         for name in names for claim, quantity in ((FALLS, largest_change), (CONVEX, largest_excess),
                                                    (INSIDE, inside_minus_ends))]
        + [_decide(FIT, measured, fit_error, name, f"{setting}, {name}", data=data) for name in names if name == ARMIJO])


def fewest_claims(measured: pd.DataFrame, setting: str, data: str) -> Claims:
    """The rebuttal's F-R1 and F-R3 in one claim: SGD+Armijo's computations below the others' steps."""
    return Claims.of([_decide(FEWEST, measured, least_work_margin, ARMIJO, setting, data=data)])


def two_target_claims(looser: pd.DataFrame, stricter: pd.DataFrame, setting: str, data: str) -> Claims:
    """Per optimizer, how far the critical batch size (:func:`critical_range`, ties included) at the
    stricter target lies above the looser one's, in log2 (0 where the ranges overlap; ``looser``,
    ``stricter``: :func:`measure` at each), per seed and on the seed means."""
    def shift(table_looser: pd.DataFrame, table_stricter: pd.DataFrame, name: str) -> float:
        return _log2_gap(critical_range(table_looser, name), critical_range(table_stricter, name))

    def by_seed(measured: pd.DataFrame) -> dict:
        return {int(s): rows.set_index(["optimizer", "b"]) for s, rows in measured.groupby("seed")}

    seeds_looser, seeds_stricter = by_seed(looser), by_seed(stricter)
    return Claims.of([CRITICAL_GROWS.decide({s: shift(seeds_looser[s], seeds_stricter[s], name) for s in seeds_stricter},
                                            shift(average(looser), average(stricter), name),
                                            setting=f"{setting}, {name}", data=data)
                      for name in dict.fromkeys(stricter.optimizer)])


def _step_size_quantities(table: pd.DataFrame) -> tuple[float, float]:
    """STEPS_FALL's and BEST_C_TO_TARGET's quantities on a table per c (its index, ascending): the largest
    ratio of the median step at the next c to this c's, and the fewest steps (in check
    intervals; never reached: infinitely many) with c in [0.05, 0.1] minus the fewest with another c."""
    median = table["median step"].to_numpy()
    steps = (table["steps to target"] / table.check).fillna(np.inf)
    moderate = (table.index >= 0.05) & (table.index <= 0.1)
    with np.errstate(invalid="ignore"):  # NaN when no c reached the target
        return float(np.max(median[1:] / median[:-1])), float(steps[moderate].min() - steps[~moderate].min())


def reach_step_size_claims(runs: dict, target: float, setting: str, data: str) -> tuple[Claims, pd.DataFrame]:
    """Per Armijo constant c (``runs``: {c: [Result over seeds]}, each stopping at training
    accuracy ``target``): the median accepted step up to the stop and the steps to ``target``
    per run, their mean and range over seeds, and the two claims decided per seed."""
    per_run = pd.DataFrame([{"c": c, "seed": r.config.seed, "median step": float(np.median(_steps_taken(r))),
                             "steps to target": getattr(first_reach(r.log, "train_acc", at_least=target), "step",
                                                        math.nan),
                             "check": float(r.config.eval_every)}
                            for c, results in runs.items() for r in results])
    table = mean_and_range(per_run, "c", ["median step", "steps to target", "check"], strict=True, sort=True)
    seeds = {int(s): _step_size_quantities(rows.set_index("c").sort_index()) for s, rows in per_run.groupby("seed")}
    fall, best = _step_size_quantities(table)
    return Claims.of([STEPS_FALL.decide({s: q[0] for s, q in seeds.items()}, fall, setting=setting, data=data),
                      BEST_C_TO_TARGET.decide({s: q[1] for s, q in seeds.items()}, best, setting=setting,
                                              data=data)]), table


def _steps_taken(result) -> np.ndarray:
    return np.concatenate(result.log.step_sizes.dropna().to_list())


def precision_ends(runs: dict, target: float) -> pd.DataFrame:
    """One row per run of ``{(precision, b): [Result, ...]}``: how it ended, its steps, the steps to
    training accuracy ``target`` (NaN: never), its best accuracy, and the median accepted step of
    the whole run and of its last logged stretch (the quarter epoch before it stopped)."""
    rows = []
    for (precision, b), results in runs.items():
        for r in results:
            hit = first_reach(r.log, "train_acc", at_least=target)
            rows.append({"precision": precision, "b": b, "seed": r.config.seed, "status": r.summary["status"],
                         "steps": r.summary["steps"], "steps to target": hit.step if hit is not None else math.nan,
                         "best training accuracy": r.log.train_acc.max(),
                         "median step": float(np.median(_steps_taken(r))),
                         "median step, last stretch": float(np.median(r.log.step_sizes.dropna().iloc[-1]))})
    return pd.DataFrame(rows).set_index(["precision", "b", "seed"]).sort_index()


def jumpiness(log: pd.DataFrame, start: float = 1.0) -> dict:
    """How much the training accuracy jumps between consecutive evaluations from epoch ``start``
    on (the climb from the random initialisation left out), in percentage points: the mean
    absolute change, the number of drops by more than :data:`DROP`, and the largest drop."""
    change = log.train_acc[log.epoch >= start].diff().dropna() * 100
    return {"mean |change| (points)": float(change.abs().mean()),
            f"drops > {DROP * 100:g} points": int((change < -DROP * 100).sum()),
            "largest drop (points)": float(max(0.0, -change.min()))}


def _same_steps(log: pd.DataFrame, other: pd.DataFrame) -> bool:
    """The same mini-batch losses (train mode) and accepted steps: the same parameters throughout."""
    return log.batch_loss.equals(other.batch_loss) and np.array_equal(
        np.concatenate(log.step_sizes.dropna().to_list()), np.concatenate(other.step_sizes.dropna().to_list()))


def jumps(runs: dict) -> pd.DataFrame:
    """:func:`jumpiness` per run of ``{(trial statistics, seed): Result}``, its last accuracies,
    its failed trials per step, and whether it takes the steps of the "updated" run of its seed."""
    rows = {(arm, seed): {**jumpiness(r.log), "final training accuracy": r.log.train_acc.iloc[-1],
                          "final test accuracy": r.log.test_acc.iloc[-1],
                          "failed trials per step": r.log.failed_trials.iloc[-1] / r.log.step.iloc[-1],
                          "steps as updated": _same_steps(r.log, runs["updated", seed].log)}
            for (arm, seed), r in runs.items()}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(["trial statistics", "seed"])


def round_off_claims(ends: pd.DataFrame) -> Claims:
    """At the smallest batch size of ``ends`` (:func:`precision_ends`), per seed: whether the
    float64 run reaches the target, and its last accepted steps (the chapter's explanation of
    the float32 collapse: round-off in the Armijo test)."""
    b = ends.index.get_level_values("b").min()
    double = ends.loc["float64", b]
    setting = f"MNIST, b = {b}"
    return Claims.of([
        FLOAT64_REACHES.decide((double.status == "reached").to_dict(), setting=setting, data="real"),
        FLOAT64_LARGE.decide(double["median step, last stretch"].to_dict(), setting=setting, data="real")])


def trial_bn_claims(table: pd.DataFrame, data: str) -> Claims:
    """Per seed, frozen trial statistics against updated ones (``table``: :func:`jumps`): fewer
    drops, smaller changes, and the same parameters."""
    drops, mean = f"drops > {DROP * 100:g} points", "mean |change| (points)"
    updated, frozen = table.loc["updated"], table.loc["frozen"]
    return Claims.of([
        FROZEN_FEWER_DROPS.decide((frozen[drops] - updated[drops]).to_dict(), setting="ResNet", data=data),
        FROZEN_CALMER.decide((frozen[mean] - updated[mean]).to_dict(), setting="ResNet", data=data),
        FROZEN_SAME_STEPS.decide(frozen["steps as updated"].to_dict(), setting="ResNet", data=data)])
