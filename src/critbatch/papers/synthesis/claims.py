"""Each paper's critical-batch claim as a test on one problem, the comparison of the two models
of S(b), and whether the critical batch size measured early predicts the one measured late."""

from __future__ import annotations

import numpy as np
import pandas as pd

from critbatch.analysis.claims import claim

from .predictions import PREDICTIONS

__all__ = ["FACTOR", "closest", "doublings", "problem_claims", "tightest"]

#: A prediction "holds" within this factor of what it predicts.
FACTOR = 2.0
#: What each prediction claims to be, by the paper that makes it: (what it is compared with, claim).
CLAIMED = {
    "fitted b*": ("measured", "Paper 1: b* = 2C2/ε² minimises the SFO"),
    "m*": ("measured knee", "Paper 3: m* = β/λ1 + 1 ends the linear scaling"),
    "B_simple": ("McCandlish B_crit", "McCandlish: B_simple approximates B_crit"),
}


def doublings(prediction, reference) -> np.ndarray:
    """How far a prediction is from a reference, in doublings: ``|log2(prediction / reference)|``.

    >>> float(doublings(32, 8))
    2.0
    """
    return np.abs(np.log2(np.asarray(prediction, float) / np.asarray(reference, float)))


def tightest(kind: str, table: pd.DataFrame):
    """The tightest target of a table: the highest accuracy, else the lowest error or norm."""
    return table.index.max() if kind == "training accuracy" else table.index.min()


def closest(table: pd.DataFrame, against: str = "measured") -> pd.Series:
    """Per target, the prediction nearest (in doublings) to the ``against`` column."""
    distance = pd.DataFrame({p: doublings(table[p], table[against]) for p in PREDICTIONS}, index=table.index)
    return distance.idxmin(axis=1)


def problem_claims(name: str, tables: dict, errors: dict) -> pd.DataFrame:
    """Per kind of target, at its tightest target: each prediction against what its paper says it
    is; McCandlish's model against Paper 1's; and the critical batch measured at the loosest
    target against the one at the tightest."""
    rows = []
    for kind, table in tables.items():
        target = tightest(kind, table)
        row, data = table.loc[target], f"{name}; {kind} {target:.3g}"
        for prediction, (reference, text) in CLAIMED.items():
            rows.append(claim("synthesis", data, f"{text} (test: within a factor {FACTOR:g} of the {reference})",
                              f"{reference} {row[reference]:.3g}", f"{row[prediction]:.3g}",
                              bool(doublings(row[prediction], row[reference]) <= np.log2(FACTOR))))
        error = errors[kind].loc[target]
        missed = error["Paper 1: b with no finite K"]
        paper1 = ("no fit: S(b) does not level off" if np.isnan(missed) else
                  f"Paper 1 {error['Paper 1 K(b)']:.3f}" + (f", no finite K at {missed:g} b" if missed else ""))
        rows.append(claim("synthesis", data, "McCandlish's S(b) = S_min + E_min/b describes the measured steps "
                          "better than Paper 1's K(b) (test: smaller RMS log error where Paper 1's is finite)",
                          paper1, f"McCandlish {error['McCandlish']:.3f}",
                          bool(np.isnan(missed) or error["McCandlish"] < error["Paper 1 K(b)"])))
        if len(table) < 2:  # one target: nothing to compare
            continue
        loosest = table.index.min() if target == table.index.max() else table.index.max()
        early, late = table.loc[loosest, "measured knee"], row["measured knee"]
        rows.append(claim("synthesis", f"{name}; {kind}", f"the knee measured at the loosest target {loosest:.3g} "
                          f"predicts the one at the tightest, {target:.3g} (test: within a factor {FACTOR:g})",
                          "a fixed target", f"{early:.3g} against {late:.3g}",
                          bool(doublings(early, late) <= np.log2(FACTOR))))
    return pd.DataFrame(rows)
