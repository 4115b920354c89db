"""The synthesis's claims, each a record written once (:class:`critbatch.analysis.verdicts.Claim`)
and decided per seed at the tightest target of each problem and kind of target: each paper's
critical-batch prediction against what its paper says it is, McCandlish's model of S(b) against
Paper 1's, and whether the knee measured early predicts the one measured late.

All are the book's own questions: no paper compares its critical batch size with the others',
and where a claim tests a paper's own prediction (Paper 1's b* = 2C2/ε², Paper 3's
m* = β/λ1 + 1, McCandlish et al.'s B_simple) it applies it to a problem of ours.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

from critbatch.analysis.verdicts import QUESTION, Claim, Claims

from .predictions import KNEE, PREDICTIONS

__all__ = ["B_SIMPLE", "B_STAR", "EARLY_LATE", "FACTOR", "MODELS", "M_STAR", "M_TRACE", "closest", "doublings",
           "higher", "loosest", "problem_claims", "tightest"]

#: A prediction "holds" within this factor of what it predicts.
FACTOR = 2.0
#: Half a doubling: the measured critical batch size and its knee are read on a doubling grid of b.
GRID = 0.5
_GRID_WHY = "half a doubling: the measured b is read on a doubling grid"

B_STAR = Claim(
    "b* minimises the SFO", "Paper 1's fitted b* = 2C2/ε² is the measured critical batch size (the smallest SFO)",
    "our question (Paper 1's b* = 2C2/ε², applied to the synthesis problems)", QUESTION,
    "|log2(fitted b* / smallest-SFO b)|", "<=", math.log2(FACTOR), resolution=GRID, resolution_why=_GRID_WHY,
    quoted="b* = 2C2/ε² minimises N(b)")
M_STAR = Claim(
    "m* ends linear scaling", "Paper 3's m* = β/λ1 + 1 is where linear scaling ends (the measured knee)",
    "our question (Paper 3's eq. 14 applied to the synthesis problems)", QUESTION,
    "|log2(m* / knee)|", "<=", math.log2(FACTOR), resolution=GRID, resolution_why=_GRID_WHY,
    quoted="m* = β/λ1 + 1",
    chosen=f"the knee (the largest b whose SFO is within {KNEE - 1:.0%} of the smallest) is ours, not Paper 3's")
M_TRACE = Claim(
    "tr H / λ1 ends linear scaling", "Paper 3's headline m* = tr H/λ1(H) is where linear scaling ends (the measured "
    "knee)", "our question (Paper 3's Section 1, contribution 2, m* = tr H/λ1(H) with H the Hessian at the critical "
    "point, applied to the synthesis problems, read where the target is first reached)", QUESTION,
    "|log2(tr H/λ1 / knee)|", "<=", math.log2(FACTOR), resolution=GRID, resolution_why=_GRID_WHY,
    quoted="m* = tr H/λ1(H)",
    chosen=f"the knee (the largest b whose SFO is within {KNEE - 1:.0%} of the smallest) is ours, not Paper 3's")
B_SIMPLE = Claim(
    "B_simple approximates B_crit", "McCandlish et al.'s B_simple = tr Σ / ‖∇f‖² approximates their fitted B_crit",
    "our question (McCandlish et al.'s noise scale, applied to the synthesis problems)", QUESTION,
    "|log2(B_simple at the first row that reaches the target / B_crit)|", "<=", math.log2(FACTOR), resolution=GRID,
    resolution_why="half a doubling: B_crit is fitted to S(b) on a doubling grid of b", quoted="B_simple ≈ B_crit")
MODELS = Claim(
    "McCandlish's S(b) fits better", "McCandlish's S(b) = S_min + E_min/b describes the measured steps better than "
    "Paper 1's K(b) = C1 b/(ε² b - C2)", "our question", QUESTION,
    "RMS ln error of Paper 1's K(b) / McCandlish's (where K(b) is finite; ∞: K(b) has no fit)", ">", 1.0,
    resolution=0.1, resolution_why="10 %: the MLP's steps are read at checks (a quarter epoch apart on its "
                                   "accuracy runs, n/8 examples on its gradient-norm runs)")
EARLY_LATE = Claim(
    "the early knee predicts the late one", "the knee measured at the loosest target predicts the one at the "
    "tightest (what an adaptive scheduler such as Paper 2's needs)", "our question", QUESTION,
    "|log2(knee at the loosest / knee at the tightest)|", "<=", math.log2(FACTOR), resolution=GRID,
    resolution_why=_GRID_WHY, chosen=f"the knee's cut-off ({KNEE - 1:.0%} above the smallest SFO) is ours")


def doublings(prediction, reference) -> np.ndarray:
    """How far a prediction is from a reference, in doublings: ``|log2(prediction / reference)|``.

    >>> float(doublings(32, 8))
    2.0
    """
    return np.abs(np.log2(np.asarray(prediction, float) / np.asarray(reference, float)))


def higher(kind: str) -> bool:
    """Whether a target of this kind is reached from below (an accuracy), not from above (an error or a norm)."""
    return kind.startswith("training accuracy")


def tightest(kind: str, table: pd.DataFrame):
    """The tightest target of a table: the highest accuracy, else the lowest error or norm."""
    return table.index.max() if higher(kind) else table.index.min()


def loosest(kind: str, table: pd.DataFrame):
    """The loosest target of a table: the lowest accuracy, else the highest error or norm."""
    return table.index.min() if higher(kind) else table.index.max()


def closest(table: pd.DataFrame, against: str = "measured") -> pd.Series:
    """Per target, the prediction nearest (in doublings) to the ``against`` column."""
    distance = pd.DataFrame({p: doublings(table[p], table[against]) for p in PREDICTIONS}, index=table.index)
    return distance.idxmin(axis=1)


def _distance(prediction: str, reference: str, table, errors, target, early) -> float:
    return float(doublings(table.loc[target, prediction], table.loc[target, reference]))


def _model_ratio(table, errors, target, early) -> float:
    paper1, theirs = errors.loc[target, "Paper 1 K(b)"], errors.loc[target, "McCandlish"]
    return math.inf if np.isnan(paper1) else float(paper1 / theirs)


def _drift(table, errors, target, early) -> float:
    return float(doublings(table.loc[early, "measured knee"], table.loc[target, "measured knee"]))


#: Each claim and its quantity, computed from one (table, errors) of :func:`.predictions.critical_table`.
TESTS = ((B_STAR, functools.partial(_distance, "fitted b*", "measured")),
         (M_STAR, functools.partial(_distance, "m*", "measured knee")),
         (M_TRACE, functools.partial(_distance, "tr H/λ1", "measured knee")),
         (B_SIMPLE, functools.partial(_distance, "B_simple, first row", "McCandlish B_crit")),
         (MODELS, _model_ratio), (EARLY_LATE, _drift))


def _value(quantity, table: pd.DataFrame, errors: pd.DataFrame, target, early) -> float:
    """The quantity on one seed's (or the seed mean's) table; NaN where it lacks a target."""
    if target not in table.index or early not in table.index:
        return math.nan
    return quantity(table, errors, target, early)


def _note(claim: Claim, problem, kind: str, target, early) -> str:
    if target not in problem.table[kind].index or early not in problem.table[kind].index:
        return "no target of this kind reached (the smoke scale's short runs)"
    row, errors = problem.table[kind].loc[target], problem.errors[kind].loc[target]
    if claim is B_STAR:
        return f"fitted b* {row['fitted b*']:.3g} against {row['measured']:g}"
    if claim is M_STAR:
        return f"m* {row['m*']:.3g} against a knee of {row['measured knee']:g}"
    if claim is M_TRACE:
        return f"tr H/λ1 {row['tr H/λ1']:.3g} against a knee of {row['measured knee']:g}"
    if claim is B_SIMPLE:
        first, crit = row["B_simple, first row"], row["McCandlish B_crit"]
        return (f"B_simple {first:.3g} against {crit:.3g}; averaged over a window around that row, chosen after "
                f"seeing it, {row['B_simple']:.3g} ({row['B_simple'] / crit:.2g} times)")
    if claim is MODELS:
        missed = errors["Paper 1: b with no finite K"]
        if np.isnan(missed):
            return "no fit of Paper 1's K(b): S(b) does not level off"
        return (f"Paper 1 {errors['Paper 1 K(b)']:.3f}, McCandlish {errors['McCandlish']:.3f}"
                + (f"; K(b) not finite at {missed:g} b" if missed else ""))
    return f"knee {problem.table[kind].loc[early, 'measured knee']:g} against {row['measured knee']:g}"


def problem_claims(problem) -> Claims:
    """The claims on one :class:`.study.Problem`, per kind of target it decides (``decided``) at
    its tightest target (the early-against-late claim only where there are two targets), decided
    on each seed's own runs and on the seed mean."""
    decisions = []
    for kind in problem.decided:
        table = problem.table[kind]
        target, early = tightest(kind, table), loosest(kind, table)
        for claim, quantity in TESTS:
            if claim is EARLY_LATE and target == early:  # one target: nothing to compare
                continue
            setting = f"{problem.short}; {kind} " + (f"{early:.3g} → {target:.3g}" if claim is EARLY_LATE
                                                     else f"{target:.3g}")
            seeds = {s: _value(quantity, t, e, target, early) for s, (t, e) in problem.seeds[kind].items()}
            decisions.append(claim.decide(seeds, mean=_value(quantity, table, problem.errors[kind], target, early),
                                          setting=setting, note=_note(claim, problem, kind, target, early)))
    return Claims.of(decisions)
