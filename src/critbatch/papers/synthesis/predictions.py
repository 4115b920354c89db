r"""Four critical batch sizes against the measured one, on one problem at a time.

For each target (a training error, a training accuracy or a full-gradient norm) and batch size
b, the runs give the steps :math:`S(b)` to the target and the examples :math:`E(b) = b\,S(b)`
(the SFO complexity). Then:

1. **measured**: the b with the smallest mean :math:`E(b)` (Papers 1 and 2's critical batch size);
   where :math:`E(b)` is flat below a knee (linear scaling, Paper 3's regime) the smallest is
   decided by noise, so the **measured knee** is also given: the largest b whose :math:`E(b)` is
   within 25 % of the smallest;
2. **fitted** :math:`b^* = 2C_2/\varepsilon^2` from Paper 1's model :math:`S(b) = C_1 b/(\varepsilon^2 b - C_2)`,
   fitted as a line through :math:`(1/b, 1/S)` (:func:`critbatch.papers.armijo.theory.fit_steps`;
   :math:`b^*` does not depend on :math:`\varepsilon`);
3. :math:`m^* = \beta/\lambda_1 + 1` (Paper 3, eq. 14) and the paper's headline
   :math:`m^* = \operatorname{tr}H/\lambda_1` (its Section 1) at the point of training where the
   target is first reached (exact on the kernel problem; estimated along probe runs on the MLP);
4. McCandlish et al.'s :math:`B_{\text{simple}} = \operatorname{tr}\Sigma/\|\nabla f\|^2` at the same point.

McCandlish et al.'s model of the trade-off, :math:`(S/S_{\min} - 1)(E/E_{\min} - 1) = 1`, is
:math:`S(b) = S_{\min} + E_{\min}/b`, a line in :math:`1/b`; :func:`mccandlish_fit` fits it (least
squares on relative errors) and gives :math:`B_{\text{crit}} = E_{\min}/S_{\min}`. Both models have
two constants; :func:`model_errors` compares how well each describes the measured :math:`S(b)`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from critbatch.analysis.reach import first_reach
from critbatch.papers.armijo import theory as armijo_theory

__all__ = ["McCandlish", "critical_table", "mccandlish_fit", "mean_steps", "model_errors", "reached",
           "steps_from_logs", "steps_to_levels"]

PREDICTIONS = ("fitted b*", "m*", "tr H/λ1", "B_simple", "McCandlish B_crit")
#: The measured knee: the largest b whose SFO is within this factor of the smallest.
KNEE = 1.25
#: A target enters the table when every seed of at least this many batch sizes reached it.
MIN_SIZES = 3


def reached(log: pd.DataFrame, column: str, level: float, *, higher: bool) -> pd.Series | None:
    """The first row of ``log`` whose ``column`` is at least ``level`` if ``higher`` (an accuracy),
    else at most it (an error or a norm); None if none is (:func:`critbatch.analysis.reach.first_reach`)."""
    return first_reach(log, column, **({"at_least": level} if higher else {"at_most": level}))


def steps_from_logs(runs: dict, column: str, levels, *, higher: bool) -> pd.DataFrame:
    """One row per (target, b, seed): the steps to the first logged row whose ``column`` reaches
    the level (at least it if ``higher``, else at most) and the examples by then; NaN if never.
    ``runs`` maps b to results over seeds (logs with ``step`` and ``sfo``)."""
    rows = []
    for level in levels:
        for b, results in runs.items():
            for r in results:
                log = r.log[r.log.step > 0]
                hit = reached(log, column, level, higher=higher)
                rows.append({"target": level, "b": b, "seed": r.config.seed,
                             "steps": np.nan if hit is None else float(hit.step),
                             "sfo": np.nan if hit is None else float(hit.sfo)})
    return pd.DataFrame(rows)


def steps_to_levels(runs: dict) -> pd.DataFrame:
    """As :func:`steps_from_logs`, from Paper 3 kernel runs (their ``steps_to`` summaries, the
    exact first step at each training error); the examples are m times the steps."""
    rows = []
    for m, results in runs.items():
        for r in results:
            for level, step in r.summary["steps_to"].items():
                rows.append({"target": float(level), "b": m, "seed": r.config.seed,
                             "steps": np.nan if step is None else float(step),
                             "sfo": np.nan if step is None else float(m * step)})
    return pd.DataFrame(rows)


def mean_steps(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (target, b), the mean steps and examples over seeds (NaN unless every seed reached)."""
    grouped = frame.groupby(["target", "b"])[["steps", "sfo"]]
    return grouped.mean().where(grouped.count().eq(grouped.size(), axis=0))


class McCandlish(NamedTuple):
    """:math:`S(b) = S_{\\min} + E_{\\min}/b` fitted to measured steps."""

    s_min: float
    e_min: float
    b_crit: float  # E_min / S_min


def mccandlish_fit(b, steps) -> McCandlish:
    """Least squares on relative errors, :math:`\\sum_b ((S_{\\min} + E_{\\min}/b)/S(b) - 1)^2`, a
    linear problem in :math:`(S_{\\min}, E_{\\min})`.

    >>> fit = mccandlish_fit([1, 2, 4, 8], [100 + 400 / b for b in [1, 2, 4, 8]])
    >>> [round(v, 6) for v in fit]
    [100.0, 400.0, 4.0]
    """
    b, steps = np.asarray(b, float), np.asarray(steps, float)
    design = np.stack([np.ones_like(b), 1 / b], axis=1) / steps[:, None]
    (s_min, e_min), *_ = np.linalg.lstsq(design, np.ones_like(b), rcond=None)
    return McCandlish(float(s_min), float(e_min), float(e_min / s_min))


def model_errors(b, steps, paper1: armijo_theory.Fit | None, mccandlish: McCandlish) -> dict:
    """How well each fitted model describes the measured steps, each fitted as its authors fit
    it: the root-mean-square of :math:`\\ln(S_{\\text{model}}/S)` over the batch sizes where Paper
    1's :math:`K(b)` predicts a finite S, for both models (like for like), McCandlish's over every
    measured batch size too, and the number of measured batch sizes where Paper 1's predicts none
    (:math:`b \\le C_2/\\varepsilon^2`). Without a fit of Paper 1's model (S(b) does not level
    off) its entries are NaN and McCandlish's are over every batch size."""
    b, steps = np.asarray(b, float), np.asarray(steps, float)

    def rms(model, keep):
        return float(np.sqrt(np.mean(np.log(model[keep] / steps[keep]) ** 2))) if keep.any() else np.nan

    theirs = mccandlish.s_min + mccandlish.e_min / b
    ours = armijo_theory.steps(b, paper1.c1, paper1.c2, paper1.eps) if paper1 else np.full_like(b, np.nan)
    finite = np.isfinite(ours) if paper1 else np.ones_like(b, bool)
    return {"Paper 1 K(b)": rms(ours, finite), "McCandlish": rms(theirs, finite),
            "McCandlish, every b": rms(theirs, np.ones_like(b, bool)),
            "Paper 1: b with no finite K": int((~finite).sum()) if paper1 else np.nan}


def critical_table(frame: pd.DataFrame, scales_at: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per target that every seed of at least :data:`MIN_SIZES` batch sizes reached: the measured
    critical batch size and the four predictions (``scales_at``: per target, ``m*`` and
    ``B_simple`` where the target is first reached, and any other column it has), and the error of each fitted model
    (:func:`model_errors`)."""
    means = mean_steps(frame)
    rows, errors = {}, {}
    for target, table in means.groupby(level="target"):
        table = table.droplevel("target").dropna()
        if len(table) < MIN_SIZES:
            continue
        try:
            paper1 = armijo_theory.fit_steps(table.index, table.steps, eps=1.0)
        except ValueError:  # S(b) does not level off: Paper 1's model has no finite C1
            paper1 = None
        mccandlish = mccandlish_fit(table.index, table.steps)
        smallest = table.sfo.min()
        rows[target] = {"measured": float(table.sfo.idxmin()),
                        "measured knee": float(table.index[table.sfo <= KNEE * smallest].max()),
                        "fitted b*": paper1.b_star if paper1 else np.nan,
                        "C1": paper1.c1 if paper1 else np.nan, "C2": paper1.c2 if paper1 else np.nan,
                        **scales_at.loc[target].to_dict(),
                        "McCandlish B_crit": mccandlish.b_crit, "S_min": mccandlish.s_min,
                        "E_min": mccandlish.e_min, "batch sizes": len(table)}
        errors[target] = model_errors(table.index, table.steps, paper1, mccandlish)
    return pd.DataFrame(rows).T.rename_axis("target"), pd.DataFrame(errors).T.rename_axis("target")
