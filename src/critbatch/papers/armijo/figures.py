"""The figures of Tsukada & Iiduka in the layout of the first author's rebuttal figures: batch
size on a log2 axis, one colour per optimizer in the rebuttal's order, the critical batch size
circled on each SFO curve. A batch size whose runs did not all reach the target has no mean
K(b) or N(b); it is marked by a triangle on the top edge, with how its runs ended in the legend.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from critbatch.plotting import (label_substitute_above, legend_with_notes, mark_early_ends, mark_unfinished,
                                plain_log_ticks)

from . import claims as measured
from . import quoted, study, theory
from .study import OPTIMIZERS, Sweep

__all__ = ["COLORS", "PRECISION_COLORS", "computations", "label_if_substitute", "log2_batch_axis", "precision_traces",
           "sfo_against_rebuttal", "step_size_traces", "steps_and_sfo", "training_curves", "trial_bn_curves",
           "two_targets"]

NOT_REACHED = "target not reached (▲)"
#: The rebuttal's colours: SGD+Armijo blue, SGD red, Momentum cyan, Adam green, AdamW yellow, RMSProp black.
COLORS = dict(zip(OPTIMIZERS, ["C0", "C3", "C9", "C2", "C8", "k"]))
#: The open questions' two arms: float32 and BatchNorm statistics updated by every trial (the runs as
#: they are) in red, float64 and frozen trial statistics in blue.
PRECISION_COLORS = {"float32": "C3", "float64": "C0", "updated": "C3", "frozen": "C0"}


def label_if_substitute(fig: Figure, scale: str, setting: str) -> None:
    """Label ``fig`` above its axes with the substitute that ``setting``'s runs train on at
    ``scale``, its data and then its network (nothing where they are the paper's own)."""
    used = study.substitute(scale, setting)
    if used:
        data, network = used.split(", ", 1)
        label_substitute_above(fig, data, "CIFAR-10/100", how=f"and a {network} for ResNet-34")


def log2_batch_axis(ax: Axes, ylabel: str, title: str) -> None:
    """Batch size on a log2 x axis, ``ylabel`` on a log y axis labelled with plain numbers."""
    ax.set(xscale="log", yscale="log", xlabel="batch size b", ylabel=ylabel, title=title)
    ax.set_xscale("log", base=2)
    plain_log_ticks(ax)


def mark_missing(ax: Axes, values: pd.Series, name: str, ends: dict, *, note: bool = True) -> None:
    """Mark each batch size where ``values`` (indexed by b) of optimizer ``name`` are missing, the
    legend saying how its runs ended (``ends``: :attr:`Sweep.ends`) if ``note``."""
    for b in values.index[values.isna()]:
        text = f"{name}, b = {b}: {ends.get((name, b), 'target not reached')}" if note else None
        mark_unfinished(ax, b, note=text, color=COLORS.get(name, "0.3"))


def steps_and_sfo(ax_k: Axes, ax_n: Axes, sweep: Sweep, title: str, fitted: str = "SGD+Armijo") -> None:
    """K(b) on ``ax_k`` and N(b) on ``ax_n`` for every optimizer of ``sweep``: the mean over seeds
    with their range as error bars, the critical batch size circled, and for ``fitted`` the fit of
    K(b) = C1 b / (eps^2 b - C2) (Theorem 3.2; dashed, if there is one) over b > b*/2, where the
    fitted curve is finite. Batch sizes whose runs missed the target are marked on both axes and
    noted in ``ax_n``'s legend."""
    table, critical, fit = sweep.table, sweep.critical, sweep.fit
    for name, per_b in table.groupby(level="optimizer", sort=False):
        per_b = per_b.droplevel(0)
        for ax, y in ((ax_k, "steps"), (ax_n, "sfo")):
            errors = [per_b[y] - per_b[f"{y}_min"], per_b[f"{y}_max"] - per_b[y]]
            ax.errorbar(per_b.index, per_b[y], yerr=errors, marker="o", ms=4, capsize=2, color=COLORS[name],
                        label=name)
            mark_missing(ax, per_b[y], name, sweep.ends, note=ax is ax_n)
        if name in critical:
            ax_n.plot(critical[name], per_b.sfo[critical[name]], "o", ms=14, mfc="none", color=COLORS[name])
    if fit is not None:
        grid = np.geomspace(max(fit.b_star / 2 * 1.05, 1), table.index.get_level_values("b").max(), 200)
        ax_k.plot(grid, theory.steps(grid, fit.c1, fit.c2, fit.eps), "--", color=COLORS[fitted],
                  label=f"fit, b* = {fit.b_star:.0f}")
        ax_n.plot(grid, theory.sfo(grid, fit.c1, fit.c2, fit.eps), "--", color=COLORS[fitted])
    log2_batch_axis(ax_k, "steps K(b)", title)
    log2_batch_axis(ax_n, "SFO complexity N(b) = K b", title)
    ax_k.legend(ncol=2, fontsize="x-small")
    legend_with_notes(ax_n, NOT_REACHED, main=False)


def computations(ax: Axes, ax_failed: Axes, sweep: Sweep, title: str) -> None:
    """As in the rebuttal's "CIFAR10_update_K-b": steps plus failed Armijo trials for SGD+Armijo,
    steps for the others, up to the first check that meets the target (on ``ax``), and
    SGD+Armijo's failed trials per step (on ``ax_failed``); missing points marked."""
    counts = sweep.computations
    for name in counts:
        ax.plot(counts.index, counts[name], "o-", color=COLORS[name], label=name)
        mark_missing(ax, counts[name], name, sweep.ends)
    log2_batch_axis(ax, "computations: steps + failed trials", title)
    failed = sweep.failed_per_step
    ax_failed.plot(failed.index, failed, "o-", color=COLORS["SGD+Armijo"])
    mark_missing(ax_failed, failed, "SGD+Armijo", sweep.ends)
    ax_failed.set(xscale="log", xlabel="batch size b", ylabel="failed trials per step",
                  title="SGD+Armijo's line search")
    ax_failed.set_xscale("log", base=2)
    legend_with_notes(ax, NOT_REACHED, ncol=2, fontsize="x-small")
    legend_with_notes(ax_failed, NOT_REACHED)


def two_targets(ax: Axes, sweep: Sweep, title: str, name: str = "SGD+Armijo") -> None:
    """``name``'s N(b) at the looser target and at the paper's, each with its range over seeds and
    its critical batch size circled; batch sizes that missed a target marked."""
    for (level, table), color in zip(sweep.by_target.items(), ["C0", "C3"]):
        per_b = table.loc[name]
        ax.errorbar(per_b.index, per_b.sfo, yerr=[per_b.sfo - per_b.sfo_min, per_b.sfo_max - per_b.sfo],
                    marker="o", ms=4, capsize=2, color=color, label=f"training accuracy ≥ {level}")
        for b in per_b.index[per_b.sfo.isna()]:
            mark_unfinished(ax, b, note=f"accuracy ≥ {level}, b = {b}: {sweep.ends.get((name, b), 'target not reached')}",
                            color=color)
        best = measured.critical_batch_sizes(table).get(name)
        if best is not None:
            ax.plot(best, per_b.sfo[best], "o", ms=14, mfc="none", color=color)
    log2_batch_axis(ax, "SFO complexity N(b)", title)
    legend_with_notes(ax, NOT_REACHED)


def sfo_against_rebuttal(fig: Figure, axes, sweep: Sweep) -> None:
    """One panel per optimizer on the 2 x 3 ``axes``: the rebuttal's N(b) (ResNet-34 on CIFAR-10,
    digitised) and ours, each divided by its own minimum so that the shapes compare."""
    paper = pd.DataFrame(quoted.ARMIJO_CIFAR10_SFO_THOUSANDS, index=quoted.ARMIJO_BATCH_SIZES) * 1000
    ours = sweep.table.sfo.unstack(level="optimizer")
    for ax, name in zip(axes.flat, OPTIMIZERS):
        ax.plot(paper.index, paper[name] / paper[name].min(), "s--", color="0.5", ms=4,
                label="rebuttal: CIFAR-10, ResNet-34")
        ax.plot(ours.index, ours[name] / ours[name].min(), "o-", color=COLORS[name], ms=4, label="ours")
        mark_missing(ax, ours[name], name, sweep.ends)
        log2_batch_axis(ax, "N(b) / min N", name)
        ax.label_outer()
    handles = {}
    for ax in axes.flat:
        handles |= {label: handle for handle, label in zip(*ax.get_legend_handles_labels()) if label not in handles}
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=2)
    fig.subplots_adjust(bottom=0.16 + 0.025 * max(0, (len(handles) - 1) // 2))


def step_size_traces(ax: Axes, ax_loss: Axes, runs: dict, title: str) -> None:
    """For runs keyed by their Armijo constant c: every accepted step size against the step on
    ``ax`` (the rebuttal's "step_size" figures) and the training loss per epoch on ``ax_loss``."""
    palette = plt.cm.viridis(np.linspace(0, 0.9, len(runs)))
    for (c, result), color in zip(runs.items(), palette):
        sizes = np.concatenate(result.log.step_sizes.dropna().to_list())
        ax.plot(np.arange(1, len(sizes) + 1), sizes, lw=0.5, color=color, label=f"c = {c:g}")
        ax_loss.plot(result.log.epoch, result.log.train_loss, "o-", ms=3, color=color, label=f"c = {c:g}")
        mark_early_ends(ax_loss, [result], "epoch", "train_loss", f"c = {c:g}", color=color)
    ax.set(yscale="log", xlabel="step k", ylabel="accepted step size α_k", title=title)
    ax_loss.set(yscale="log", xlabel="epochs", ylabel="training loss")
    for a in (ax, ax_loss):
        plain_log_ticks(a)
        legend_with_notes(a, "ended early", fontsize="x-small")


def training_curves(axes, runs: dict, accuracy_range: tuple[float, float]) -> None:
    """For runs keyed by optimizer: training loss, training accuracy and test accuracy per
    epoch on the three ``axes``, the accuracies shown over ``accuracy_range``; a run that
    stalled or diverged is marked where its curve ends."""
    for name, result in runs.items():
        for ax, y in zip(axes, ["train_loss", "train_acc", "test_acc"]):
            ax.plot(result.log.epoch, result.log[y], "o-", ms=3, color=COLORS[name], label=name)
            mark_early_ends(ax, [result], "epoch", y, name, color=COLORS[name])
    axes[0].set(yscale="log", ylabel="training loss")
    plain_log_ticks(axes[0])
    axes[1].set(ylabel="training accuracy", ylim=accuracy_range)
    axes[2].set(ylabel="test accuracy", ylim=accuracy_range)
    for ax in axes:
        ax.set_xlabel("epochs")
    legend_with_notes(axes[0], "ended early", fontsize="x-small")


def precision_traces(ax: Axes, ax_acc: Axes, runs: dict, target: float) -> None:
    """For runs keyed by (precision, b) (:func:`critbatch.papers.armijo.study.round_off_runs`):
    every accepted step against the step on ``ax``, and the training accuracy at each check after
    the first step against the step on ``ax_acc`` (so that its axis shows the range near the
    ``target``, dotted); solid lines for the smallest b, dashed for the other, one line per seed."""
    smallest = min(b for _, b in runs)
    for (precision, b), results in runs.items():
        style = {"color": PRECISION_COLORS[precision], "ls": "-" if b == smallest else "--"}
        for i, result in enumerate(results):
            label = f"{precision}, b = {b}" if i == 0 else None
            sizes = np.concatenate(result.log.step_sizes.dropna().to_list())
            ax.plot(np.arange(1, len(sizes) + 1), sizes, lw=0.5, label=label, **style)
            checks = result.log[result.log.step > 0]
            ax_acc.plot(checks.step, checks.train_acc, marker="o", ms=2, label=label, **style)
    ax.set(xscale="log", yscale="log", xlabel="step k", ylabel="accepted step size α_k",
           title="SGD+Armijo, MNIST: accepted steps")
    ax_acc.axhline(target, color="0.5", ls=":", label=f"target {target}")
    ax_acc.set(xlabel="step k", ylabel="training accuracy", title="training accuracy at each check")
    for a in (ax, ax_acc):
        a.legend(fontsize="x-small")


def trial_bn_curves(ax: Axes, ax_test: Axes, runs: dict) -> None:
    """For runs keyed by (trial statistics, seed) (:func:`critbatch.papers.armijo.study.trial_bn_runs`):
    training accuracy on ``ax`` and test accuracy on ``ax_test`` per epoch, both in eval mode
    (BatchNorm running statistics); one line style per seed."""
    for (arm, seed), result in runs.items():
        style = {"color": PRECISION_COLORS[arm], "ls": ["-", "--", ":"][seed % 3], "marker": "o", "ms": 3}
        ax.plot(result.log.epoch, result.log.train_acc, label=f"trial statistics {arm}, seed {seed}", **style)
        ax_test.plot(result.log.epoch, result.log.test_acc, **style)
    ax.set(xlabel="epochs", ylabel="training accuracy (eval mode)")
    ax_test.set(xlabel="epochs", ylabel="test accuracy (eval mode)")
    ax.legend(fontsize="x-small", loc="lower right")
