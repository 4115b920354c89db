"""The figures of Tsukada & Iiduka in the layout of the first author's rebuttal figures: batch
size on a log2 axis, one colour per optimizer in the rebuttal's order, the critical batch size
circled on each SFO curve.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from . import armijo_study, sfo
from .armijo_study import OPTIMIZERS
from .plotting import label_substitute_above, plain_log_ticks

__all__ = ["COLORS", "label_if_substitute", "log2_batch_axis", "step_size_traces", "steps_and_sfo",
           "training_curves"]

#: The rebuttal's colours: SGD+Armijo blue, SGD red, Momentum cyan, Adam green, AdamW yellow, RMSProp black.
COLORS = dict(zip(OPTIMIZERS, ["C0", "C3", "C9", "C2", "C8", "k"]))


def label_if_substitute(fig: Figure, scale: str, setting: str) -> None:
    """Label ``fig`` above its axes with the substitute that ``setting``'s runs train on at
    ``scale``, its data and then its network (nothing where they are the paper's own)."""
    used = armijo_study.substitute(scale, setting)
    if used:
        data, network = used.split(", ", 1)
        label_substitute_above(fig, data, "CIFAR-10/100", how=f"and a {network} for ResNet-34")


def log2_batch_axis(ax: Axes, ylabel: str, title: str) -> None:
    """Batch size on a log2 x axis, ``ylabel`` on a log y axis labelled with plain numbers."""
    ax.set(xscale="log", yscale="log", xlabel="batch size b", ylabel=ylabel, title=title)
    ax.set_xscale("log", base=2)
    plain_log_ticks(ax)


def steps_and_sfo(ax_k: Axes, ax_n: Axes, table: pd.DataFrame, critical: pd.Series, fit: sfo.Fit | None,
                  title: str, fitted: str = "SGD+Armijo") -> None:
    """K(b) on ``ax_k`` and N(b) on ``ax_n`` for every optimizer of ``table`` (from
    :func:`critbatch.armijo_claims.average`): the mean over seeds with their range as error bars,
    the critical batch size circled, and for ``fitted`` the fit of K(b) = C1 b / (eps^2 b - C2)
    (Theorem 3.2; dashed, if there is one) over b > b*/2, where the fitted curve is finite."""
    for name, per_b in table.groupby(level="optimizer", sort=False):
        per_b = per_b.droplevel(0)
        for ax, y in ((ax_k, "steps"), (ax_n, "sfo")):
            errors = [per_b[y] - per_b[f"{y}_min"], per_b[f"{y}_max"] - per_b[y]]
            ax.errorbar(per_b.index, per_b[y], yerr=errors, marker="o", ms=4, capsize=2, color=COLORS[name],
                        label=name)
        if name in critical:
            ax_n.plot(critical[name], per_b.sfo[critical[name]], "o", ms=14, mfc="none", color=COLORS[name])
    if fit is not None:
        grid = np.geomspace(max(fit.b_star / 2 * 1.05, 1), table.index.get_level_values("b").max(), 200)
        ax_k.plot(grid, sfo.steps(grid, fit.c1, fit.c2, fit.eps), "--", color=COLORS[fitted],
                  label=f"fit, b* = {fit.b_star:.0f}")
        ax_n.plot(grid, sfo.sfo(grid, fit.c1, fit.c2, fit.eps), "--", color=COLORS[fitted])
    log2_batch_axis(ax_k, "steps K(b)", title)
    log2_batch_axis(ax_n, "SFO complexity N(b) = K b", title)
    ax_k.legend(ncol=2, fontsize="x-small")


def step_size_traces(ax: Axes, ax_loss: Axes, runs: dict, title: str) -> None:
    """For runs keyed by their Armijo constant c: every accepted step size against the step on
    ``ax`` (the rebuttal's "step_size" figures) and the training loss per epoch on ``ax_loss``."""
    palette = plt.cm.viridis(np.linspace(0, 0.9, len(runs)))
    for (c, result), color in zip(runs.items(), palette):
        sizes = np.concatenate(result.log.step_sizes.dropna().to_list())
        ax.plot(np.arange(1, len(sizes) + 1), sizes, lw=0.5, color=color, label=f"c = {c:g}")
        ax_loss.plot(result.log.epoch, result.log.train_loss, "o-", ms=3, color=color, label=f"c = {c:g}")
    ax.set(yscale="log", xlabel="step k", ylabel="accepted step size α_k", title=title)
    ax_loss.set(yscale="log", xlabel="epochs", ylabel="training loss")
    for a in (ax, ax_loss):
        plain_log_ticks(a)
        a.legend(fontsize="x-small")


def training_curves(axes, runs: dict, accuracy_range: tuple[float, float]) -> None:
    """For runs keyed by optimizer: training loss, training accuracy and test accuracy per
    epoch on the three ``axes``, the accuracies shown over ``accuracy_range``."""
    for name, result in runs.items():
        for ax, y in zip(axes, ["train_loss", "train_acc", "test_acc"]):
            ax.plot(result.log.epoch, result.log[y], "o-", ms=3, color=COLORS[name], label=name)
    axes[0].set(yscale="log", ylabel="training loss")
    plain_log_ticks(axes[0])
    axes[1].set(ylabel="training accuracy", ylim=accuracy_range)
    axes[2].set(ylabel="test accuracy", ylim=accuracy_range)
    for ax in axes:
        ax.set_xlabel("epochs")
    axes[0].legend(fontsize="x-small")
