"""The synthesis figures, drawn from what :mod:`.study` returns; each function draws into axes it
is given (notebooks own the figure)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from critbatch.papers.armijo import theory as armijo_theory
from critbatch.plotting import plain_log_ticks

from .claims import higher, tightest
from .predictions import PREDICTIONS, mean_steps

__all__ = ["along_training", "models", "predictions_by_target", "sfo_curves", "tuning"]

STYLE = {"measured": ("k", "o", "-"), "measured knee": ("k", "s", "--"), "fitted b*": ("C0", "^", "-"),
         "m*": ("C1", "v", "-"), "tr H/λ1": ("C4", "<", "-"), "B_simple": ("C2", "D", "-"), "McCandlish B_crit": ("C3", "P", "-")}
TARGET_LABELS = {"training error": "training error (target)",
                 "training accuracy, η = 0.1": "training accuracy at η = 0.1 (target)",
                 "training accuracy, η tuned": "training accuracy, η tuned (target)",
                 "gradient norm": "full-gradient norm (target)"}


def sfo_curves(ax: Axes, frame, table, kind: str) -> None:
    """The mean examples to each target of ``table`` against b, one line per target (darker:
    tighter), the smallest of each marked."""
    means = mean_steps(frame)
    targets = sorted(table.index, reverse=not higher(kind))
    for i, target in enumerate(targets):
        sfo = means.loc[target].sfo.dropna()
        color = (0.15 + 0.7 * (1 - i / max(len(targets) - 1, 1)),) * 3
        ax.plot(sfo.index, sfo.values, color=color, marker=".", label=f"{target:.3g}")
        ax.plot(sfo.idxmin(), sfo.min(), "o", color="k", markersize=4)
    ax.set(xscale="log", yscale="log", xlabel="batch size b", ylabel="examples to the target E(b) (SFO)")
    plain_log_ticks(ax, "x")
    ax.legend(title=kind, fontsize=7, ncol=2)


def predictions_by_target(ax: Axes, table, kind: str) -> None:
    """The measured critical batch sizes and the four predictions against the target (the
    columns the table has: none where no target was reached, at the smoke scale)."""
    for column in (c for c in ("measured", "measured knee", *PREDICTIONS) if c in table):
        color, marker, line = STYLE[column]
        ax.plot(table.index, table[column], color=color, marker=marker, linestyle=line, label=column, markersize=5)
    ax.set(yscale="log", xlabel=TARGET_LABELS[kind], ylabel="critical batch size")
    if not higher(kind):
        ax.invert_xaxis()  # tighter targets to the right
    plain_log_ticks(ax, "y")
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.2))


def models(ax: Axes, frame, table, kind: str) -> None:
    """At the tightest target: the measured steps S(b) (mean over seeds) and the two models as
    :func:`.predictions.critical_table` fitted them, Paper 1's K(b) (where it has a fit) and
    McCandlish's S_min + E_min/b. Nothing where no target was reached (the smoke scale)."""
    target = tightest(kind, table)
    if pd.isna(target):
        ax.set_title("no target reached", fontsize=9)
        return
    fit = table.loc[target]
    steps = mean_steps(frame).loc[target].steps.dropna()
    b = np.geomspace(steps.index.min(), steps.index.max(), 200)
    ax.plot(steps.index, steps.values, "ko", label="measured", markersize=5)
    ax.plot(b, fit.S_min + fit.E_min / b, color=STYLE["McCandlish B_crit"][0],
            label=f"McCandlish: B_crit = {fit['McCandlish B_crit']:.3g}")
    if np.isfinite(fit.C1):
        ax.plot(b, armijo_theory.steps(b, fit.C1, fit.C2, 1.0), color=STYLE["fitted b*"][0],
                label=f"Paper 1 K(b): b* = {fit['fitted b*']:.3g}")
    ax.set(xscale="log", yscale="log", xlabel="batch size b", ylabel="steps to the target S(b)",
           title=f"{kind} {target:.3g}", ylim=(steps.min() / 2, steps.max() * 2))
    plain_log_ticks(ax, "x")
    plain_log_ticks(ax, "y")
    ax.legend(fontsize=8)


def tuning(ax: Axes, table, target: float) -> None:
    """The mean steps to ``target`` against b at each step size (``table`` from
    :func:`.study.tune`), the tuned one circled."""
    for i, eta in enumerate(c for c in table.columns if isinstance(c, float)):
        steps = table[eta].dropna()
        missed = "" if len(steps) else " (at no b did every seed reach it)"
        ax.plot(steps.index, steps.values, marker=".", color=f"C{i}", label=f"η = {eta:g}{missed}")
    tuned = table["tuned η"].dropna()  # a b that no step size got there at has none
    best = [table.loc[b, eta] for b, eta in tuned.items()]
    ax.plot(tuned.index, best, "o", mfc="none", color="k", markersize=9, label="tuned (fewest steps)")
    ax.set(xscale="log", yscale="log", xlabel="batch size b", ylabel=f"steps to training accuracy {target:g}")
    plain_log_ticks(ax, "x")
    ax.legend(fontsize=8)


def along_training(ax: Axes, along, m_star=None, trace_ratio=None) -> None:
    """B_simple, m* and tr H/λ1 along training against steps (log scale); ``m_star`` and
    ``trace_ratio``: the kernel's exact constants, else the probes' per-row estimates."""
    steps = along.step
    ax.plot(steps, along.noise_scale, color=STYLE["B_simple"][0], label="B_simple = tr Σ / ‖∇f‖²", linewidth=1)
    if m_star is not None:
        ax.axhline(m_star, color=STYLE["m*"][0], label=f"m* = β/λ1 + 1 = {m_star:.3g} (exact)")
        ax.axhline(trace_ratio, color=STYLE["tr H/λ1"][0], linestyle="--",
                   label=f"m* = tr H/λ1 = {trace_ratio:.3g} (exact)")
    else:
        ax.plot(steps, along.sample_beta / along.hessian_lambda1 + 1, color=STYLE["m*"][0], marker="v",
                markersize=3, label="m* = β/λ1 + 1 (β: largest of 128 examples)")
        ax.plot(steps, along.sample_beta_median / along.hessian_lambda1 + 1, color=STYLE["m*"][0], linestyle=":",
                label="β/λ1 + 1 with the median example's curvature")
        traced = along.dropna(subset=["hessian_trace"])
        ax.plot(traced.step, traced.hessian_trace / traced.hessian_lambda1, color=STYLE["tr H/λ1"][0], marker="<",
                markersize=4, label="m* = tr H/λ1 (Hutchinson, 32 probes; every epoch)")
    ax.set(yscale="log", xlabel="SGD steps", ylabel="batch size")
    ax.legend(fontsize=8)
