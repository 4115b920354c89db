"""The trained figures of Sato & Iiduka's chapter, drawn from what :mod:`.trained` returns.

Each function draws into axes it is given and returns nothing; notebooks own the figure and
``plt.show()``. Runs that differ only in their seed are drawn as their mean with the range
shaded (:func:`critbatch.plotting.band`).
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from scipy import stats

from critbatch.plotting import band, label_substitute, label_substitute_above, plain_log_ticks

from .trained import SEEN

__all__ = ["ORIGINAL", "curves", "label", "label_figure", "measured_delta", "noise_norms", "noise_shape", "smoothing_trace",
           "sweep_panels"]

ORIGINAL = "the paper's CIFAR-100 and ResNet-18"
Y_LABELS = {"test_acc": "test accuracy", "train_loss": "training loss (whole training set)",
            "batch_loss": "mean mini-batch loss", "lr": "learning rate η", "batch_size": "batch size b"}
X_LABELS = {"epoch": "epochs", "step": "parameter updates (steps)"}


def label(ax: Axes, substitute: str | None, how: str = "", loc: str = "upper right") -> None:
    """The substitute label on ``ax`` (nothing at the paper's own settings)."""
    if substitute:
        label_substitute(ax, substitute, ORIGINAL, how, loc=loc)


def label_figure(fig, substitute: str | None, how: str = "") -> None:
    """The substitute label in a strip above all of ``fig``'s panels."""
    if substitute:
        label_substitute_above(fig, substitute, ORIGINAL, how)


def curves(ax: Axes, runs: dict, x: str, y: str, *, log: bool = False) -> None:
    """Column ``y`` against ``x`` ("epoch" or "step") for each label of ``runs``, the mean over
    seeds with their range shaded; the evaluation at step 0 is left out of a log scale."""
    for i, (name, results) in enumerate(runs.items()):
        logs = [r.log[r.log.step > 0] if log else r.log for r in results]
        band(ax, logs, x, y, color=f"C{i}", label=name, linewidth=1.3)
    ax.set(xlabel=X_LABELS[x], ylabel=Y_LABELS[y], yscale="log" if log else "linear")


def sweep_panels(axes, points, correlations) -> None:
    """F6's three scatters: δ against sharpness, sharpness against test accuracy, δ against test
    accuracy; one point per run, colour by η, marker size by b; Spearman's ρ in each title."""
    etas = sorted(points["η"].unique())
    sizes = {b: 15 + 25 * i for i, b in enumerate(sorted(points["b"].unique()))}
    pairs = [("δ", "sharpness", "δ, sharpness"), ("sharpness", "test acc (%)", "sharpness, test acc"),
             ("δ", "test acc (%)", "δ, test acc")]
    for ax, (x, y, pair) in zip(axes, pairs):
        for i, eta in enumerate(etas):
            chosen = points[points["η"] == eta]
            ax.scatter(chosen[x], chosen[y], s=chosen["b"].map(sizes), color=f"C{i}", alpha=0.8,
                       label=f"η = {eta:g}", edgecolor="white", linewidth=0.5)
        ax.set(xscale="log", xlabel=x + (" = η E‖ω‖ (each run's C)" if x == "δ" else " (adaptive, ρ = 2e-4)"),
               ylabel=y if y != "sharpness" else "sharpness (adaptive, ρ = 2e-4)")
        ax.xaxis.set_minor_formatter("")
        if y == "sharpness":
            ax.set_yscale("log")
        ax.set_title(f"{pair}: Spearman ρ = {correlations.loc[pair].iloc[0]:.2f}", fontsize="small")
    handles = [axes[0].scatter([], [], s=s, color="0.5", label=f"b = {b}") for b, s in sizes.items()]
    axes[0].legend(handles=axes[0].get_legend_handles_labels()[0][: len(etas)] + handles, fontsize="x-small", ncol=2)


def noise_norms(ax: Axes, noise) -> None:
    """F7: E‖ω‖ against b (log-log) with the slope −1/2 line through b = SEEN, and the
    finite-population model C/√b √((n−b)/(n−1)) fitted from b = SEEN on."""
    norms = noise.norms
    b = norms.index.to_numpy()
    ax.plot(b, norms["E‖ω‖"], "o", color="C0", label="measured (16 mini-batches each)")
    anchor = int(np.searchsorted(b, SEEN))
    ax.plot(b, norms["E‖ω‖"].iloc[anchor] * (b / b[anchor]) ** -0.5, "--", color="0.4",
            label=f"slope −1/2 through b = {b[anchor]}")
    ax.plot(b, norms["model C/√b √((n−b)/(n−1))"], "-", color="C3", linewidth=1,
            label=f"C/√b · √((n−b)/(n−1)), C = {noise.C:.3g}, n = {noise.n:,}")
    ax.set(xscale="log", yscale="log", xlabel="batch size b", ylabel="E‖∇f_B − ∇f‖")
    ax.set_xticks(b[::2], [f"{v:g}" for v in b[::2]])
    ax.xaxis.set_minor_formatter("")
    plain_log_ticks(ax)
    ax.set_title(f"slope over b ≤ n/16: {noise.slope:.3f}; from b = {SEEN}: {noise.slope_seen:.3f}", fontsize="small")
    ax.legend(fontsize="x-small")


def noise_shape(ax: Axes, noise, b: int) -> None:
    """F7: the density of the components of one ω at batch size ``b``, from its stored quantiles
    (density = probability between two quantiles / their distance), standardised by the
    components' standard deviation estimated from the quantiles' interquartile range, against
    the standard normal; log scale, where the tails show."""
    levels, quantiles = noise.shapes[b]
    scale = (np.interp(0.75, levels, quantiles) - np.interp(0.25, levels, quantiles)) / 1.349
    z = quantiles / scale
    inner = slice(4, -4)  # the extreme quantiles are single components
    mids = (z[1:] + z[:-1])[inner] / 2
    density = (np.diff(levels) / np.maximum(np.diff(z), 1e-12))[inner]
    ax.plot(mids, density, color="C0", label=f"components of ω, b = {b} (excess kurtosis {noise.kurtosis[b]:.1f})")
    grid = np.linspace(mids.min(), mids.max(), 400)
    ax.plot(grid, stats.norm.pdf(grid), "--", color="0.4", label="standard normal")
    ax.set(yscale="log", xlabel="component / (IQR / 1.349)", ylabel="density", ylim=(1e-5, None))
    ax.legend(fontsize="x-small")


def smoothing_trace(axes, check) -> None:
    """Beyond the paper: (a) SGD's excess loss over the gradient step and the δ-smoothing's, per
    epoch, for each variant on the first seed (an excess below the float32 resolution of the loss
    is drawn at the resolution); (b) SGD's excess against the predicted δ, every seed (one marker each)."""
    ax_epoch, ax_delta = axes
    for i, (variant, trace) in enumerate(check.trace.groupby("variant", sort=False)):
        first = trace[trace.seed == check.seeds[0]]
        ax_epoch.plot(first.epoch, np.maximum(first["SGD excess"], first["resolution"]), color=f"C{i}",
                      label=f"{variant}: SGD step")
        ax_epoch.plot(first.epoch, np.maximum(first["smoothing excess"].abs(), first["resolution"]), ":",
                      color=f"C{i}", label=f"{variant}: |f̂_δ excess|")
        for seed, marker in zip(check.seeds, "os^Dv"):
            of_seed = trace[trace.seed == seed]
            ax_delta.scatter(of_seed.smoothing_delta, np.maximum(of_seed["SGD excess"], of_seed["resolution"]),
                             s=12, color=f"C{i}", marker=marker, label=f"{variant}, seed {seed}")
    ax_epoch.set(yscale="log", xlabel="epochs", ylabel="loss above the gradient step f(θ − η∇f)",
                 title=f"seed {check.seeds[0]}")
    ax_epoch.legend(fontsize="x-small", ncol=4, loc="upper center", bbox_to_anchor=(1.1, -0.18))
    ax_delta.set(xscale="log", yscale="log", xlabel="predicted δ = η E‖ω_B‖", ylabel="SGD step's excess loss",
                 title="every seed")
    ax_delta.legend(fontsize="xx-small", ncol=len(check.seeds))


def measured_delta(ax: Axes, check) -> None:
    """Beyond the paper: the measured δ = η E‖ω_B‖ per epoch for each F4 variant and seed (solid,
    thinner after the first seed), against the schedule's δ with one C, η/√b scaled to the first
    seed's first checkpoint (dashed); degenerate checkpoints (the mini-batch is the whole fixed
    sample) are drawn as crosses."""
    for i, (variant, trace) in enumerate(check.trace.groupby("variant", sort=False)):
        for seed in check.seeds:
            of_seed = trace[trace.seed == seed]
            kept, gone = of_seed[~of_seed.degenerate], of_seed[of_seed.degenerate]
            is_first = seed == check.seeds[0]
            ax.plot(kept.epoch, kept.smoothing_delta, color=f"C{i}", linewidth=1.5 if is_first else 0.7,
                    label=f"{variant}: measured" if is_first else None)
            ax.plot(gone.epoch, gone.smoothing_delta, "x", color=f"C{i}", markersize=4)
        first = trace[trace.seed == check.seeds[0]]
        scheduled = first.lr / np.sqrt(first.batch_size)
        ax.plot(first.epoch, scheduled / scheduled.iloc[0] * first.smoothing_delta.iloc[0], "--", color=f"C{i}",
                linewidth=1, label=f"{variant}: schedule, one C")
    ax.set(yscale="log", xlabel="epochs", ylabel="δ = η E‖ω_B‖")
    ax.legend(fontsize="x-small", ncol=2)
