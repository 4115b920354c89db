"""The kernel figures of Ma, Bassily & Belkin (Figures 3-6, the measured speed-ups and the
runs of Section 3.1's table), drawn from the results of :mod:`.study`, one panel per problem.
Every panel whose data stands in for the paper's says so; a run that diverged, or stopped short
of its target, is marked where it ended, with a legend note.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from critbatch.plotting import (band, label_substitute, legend_with_notes, mark_critical, mark_early_ends,
                                mark_unfinished, plain_log_ticks)

from . import theory
from .measures import Experiment, VarianceTable
from .study import Panel

__all__ = ["error_curves", "loss_histograms", "measured_speedups", "panel_title", "train_and_test",
           "training_error", "variance_reduction_runs"]


def panel_title(panel: Panel, summary: dict) -> str:
    """The problem, its kernel, and beta, lambda_1 and m* as measured on its kernel matrix."""
    return (f"{panel.name} ({panel.problem.kernel.capitalize()}, σ = {panel.problem.bandwidth:g})\n"
            f"β = {summary['beta']:.3g}, λ1 = {summary['lambda_1']:.3f}, m* = {summary['critical_batch']:.2f}")


def error_curves(ax: Axes, runs: dict, x: str, y: str, *, with_batch: bool = True, **style) -> None:
    """For runs keyed by label (each a list over seeds): the mean of ``y`` against ``x`` with
    the range over seeds shaded, labelled with the batch size if ``with_batch``; a run that
    diverged is marked where its curve ends."""
    for label, results in runs.items():
        name = f"{label} = {results[0].summary['batch_size']}" if with_batch else label
        line = band(ax, [r.log for r in results], x, y, label=name, **style)
        mark_early_ends(ax, results, x, y, label, color=line.get_color())


def training_error(axes, experiment: Experiment, x: str, xlabel: str, ncol: int = 1, **style) -> None:
    """Figures 4 and 5: per problem, the training error of every batch size against ``x``
    (mean over seeds, range shaded)."""
    for ax, panel in zip(axes, experiment.panels):
        runs = experiment.runs[panel.name]
        error_curves(ax, runs, x, "train_loss", **style)
        ax.set(yscale="log", ylim=(None, 4), xlabel=xlabel, ylabel="training error",
               title=panel_title(panel, runs["GD"][0].summary))
        plain_log_ticks(ax)
        legend_with_notes(ax, "ended early", loc="lower left", ncol=ncol)
        if panel.substitute:
            label_substitute(ax, panel.substitute, panel.name, panel.matched)


def train_and_test(axes, experiment: Experiment) -> None:
    """Figure 6 on a 3 x 3 grid: training error, test error (squared loss) and test
    misclassification against epochs, one column per problem."""
    for column, panel in enumerate(experiment.panels):
        runs = experiment.runs[panel.name]
        for row, y in enumerate(["train_loss", "test_loss", "test_error"]):
            error_curves(axes[row, column], runs, "epoch", y, with_batch=False, marker=".")
        axes[0, column].set_title(panel_title(panel, runs["GD"][0].summary))
        for row, name in enumerate(["training error", "test error (mse)", "test misclassification"]):
            axes[row, column].set(yscale="log", ylabel=name)
            plain_log_ticks(axes[row, column])
        axes[2, column].set_xlabel("epochs")
        if panel.substitute:
            for row in range(3):
                label_substitute(axes[row, column], panel.substitute, panel.name)
    legend_with_notes(axes[0, 0], "ended early", ncol=2)


def loss_histograms(axes, experiment: Experiment) -> None:
    """Figure 3: per problem, one histogram of the per-point training loss per epoch end of the
    first seed's run (first bin: at most 10^-6), the legend giving the training and test error at
    that epoch."""
    bins = np.logspace(-6, np.log10(2), 41)
    for ax, panel in zip(axes, experiment.panels):
        result = experiment.runs[panel.name][0]
        log = result.log[result.log.point_losses.notna() & (result.log.epoch > 0)]
        colors = plt.cm.viridis(np.linspace(0, 0.9, len(log)))
        for color, row in zip(colors, log.itertuples()):
            losses = np.clip(np.asarray(row.point_losses), bins[0], None)  # < 1e-6: first bin
            ax.hist(losses, bins=bins, histtype="step", color=color, lw=1.5,
                    label=f"epoch {row.epoch:.0f}: train {row.train_loss:.4f}, test {row.test_loss:.4f}")
        if result.summary.get("status") == "diverged":
            mark_unfinished(ax, ax.get_xlim()[1], note=f"diverged at step {result.summary['steps']:,}", color="C3")
        ax.set(xscale="log", xlabel="loss of a training point, ‖y − f(x)‖² (first bin: ≤ 10⁻⁶)",
               ylabel="number of training points",
               title=f"{panel.name}, EigenPro Laplace σ = {panel.problem.bandwidth:g}, n = {panel.problem.n}, "
                     f"seed {result.config.seed}")
        ax.set_ylim(top=ax.get_ylim()[1] * 1.3)  # room for the substitute label
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize="x-small")
        if panel.substitute:
            label_substitute(ax, panel.substitute, panel.name, panel.matched)


def measured_speedups(axes, experiment: Experiment) -> None:
    """Per problem, the measured t(1)/t(m) (mean over seeds) against s(m) (eq. 13) and its
    analogue for the steps of eq. 11, with m* marked."""
    for ax, panel in zip(axes, experiment.panels):
        table, summary = experiment.tables[panel.name], experiment.runs[panel.name][1][0].summary
        beta, lambda_1, n = summary["beta"], summary["lambda_1"], panel.problem.n
        m = np.logspace(0, np.log10(table.index.max()), 400)
        ax.plot(m, theory.speedup(m, beta, lambda_1, beta / n), color="k", lw=1, label="s(m), eq. 13")
        ax.plot(m, theory.practical_speedup(m, beta, lambda_1, n), color="C1", lw=1, ls="--",
                label="analogue for the steps of eq. 11")
        ax.plot(table.index, table["measured t(1)/t(m)"], "o", color="C0",
                label=f"measured, to training error {table.attrs['level']:g}")
        mark_critical(ax, summary["critical_batch"], f"m* = {summary['critical_batch']:.1f}")
        ax.set(xscale="log", yscale="log", xlabel="batch size m", ylabel="t(1)/t(m)",
               title=panel_title(panel, summary))
        plain_log_ticks(ax)
        plain_log_ticks(ax, "x")
        ax.legend(loc="upper left")
        if panel.substitute:
            label_substitute(ax, panel.substitute, panel.name, panel.matched, loc="lower right")


def variance_reduction_runs(ax: Axes, table: VarianceTable) -> None:
    """The loss of every run of Section 3.1's table against component gradients (in passes over
    the data), one line per seed; runs that did not reach the target are marked where their
    budget ended them."""
    for (name, runs), color in zip(table.runs.items(), ["C0", "C1", "C2", "C3"]):
        ends = []
        for k, t in enumerate(runs):
            passes = t.log.gradients.to_numpy() / table.n
            relative = t.log.train_loss.to_numpy() / t.log.train_loss[0]
            ax.plot(passes, relative, color=color, lw=1, label=None if k else name)
            if t.summary["status"] != "reached":
                ends.append((passes[-1], relative[-1]))
        if ends:
            mark_unfinished(ax, *zip(*ends), note=f"{name}: target not reached in {table.budget // table.n} passes "
                                                  f"({len(ends)} of {len(runs)} runs)", color=color)
    ax.axhline(table.tol, color="0.4", ls=":", lw=1, label="target: 10⁻⁶ of the initial loss")
    ax.set(yscale="log", ylim=(table.tol / 10, 2), xlabel="component gradients computed / n",
           ylabel="L(w) / L(w₀)", title=f"interpolating least squares, n = {table.n}, d = {table.d}")
    legend_with_notes(ax, "stopped by the budget")
