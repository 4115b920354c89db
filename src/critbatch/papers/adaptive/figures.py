"""The figures of Umeda & Iiduka's chapter, drawn from what :mod:`.study` returns.

Each function draws into axes it is given and returns nothing; notebooks own the figure, its
caption and ``plt.show()``. Runs that differ only in their seed are drawn as their mean with the
range shaded against steps (checks fall on the same steps for every seed), and as one thin line
per seed against SFO and wall-clock (where the seeds' checks fall at different places).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, NullFormatter

from critbatch.plotting import band, label_substitute, label_substitute_above, mark_early_ends, mark_unfinished

from . import claims as measured
from .study import OFFICIAL

__all__ = ["bound_curves", "critical_line", "four_panels", "label", "label_figure", "norm_curves", "norm_traces",
           "official_traces", "proxy_traces",
           "reach_curves", "sfo_curves", "stage_ladder", "u_curves"]

X_LABELS = {"step": "steps", "sfo": "SFO (examples whose gradient was computed)",
            "wall": "wall-clock seconds (checks included)", "epoch": "epochs"}
ORIGINAL = "the paper's CIFAR-10 / CIFAR-100 and ResNet-18 / DenseNet"


def label(ax: Axes, substitute: str | None, original: str = ORIGINAL, how: str = "", loc: str = "upper right") -> None:
    """The substitute label on ``ax`` (nothing at the paper's own settings)."""
    if substitute:
        label_substitute(ax, substitute, original, how, loc=loc)


def label_figure(fig, substitute: str | None, original: str = ORIGINAL, how: str = "") -> None:
    """The substitute label in a strip above all of ``fig``'s panels."""
    if substitute:
        label_substitute_above(fig, substitute, original, how)


def _with_wall(result) -> pd.DataFrame:
    return result.log.assign(wall=measured.wall_clock(result))


def _draw(ax: Axes, results: list, x: str, y: str, color, name: str, **style) -> None:
    logs = [_with_wall(r) for r in results]
    if x == "step":
        band(ax, logs, x, y, color=color, label=name, **style)
    else:
        for i, log in enumerate(logs):
            finite = log[np.isfinite(log[y].astype(float))]
            ax.plot(finite[x], finite[y], color=color, label=name if i == 0 else "_nolegend_",
                    linewidth=1.2, alpha=0.85, **style)
    if y != "lr" and y != "batch_size":
        mark_early_ends(ax, results, x, y, name, color=color)


def four_panels(axes, runs: dict, x: str = "step", *, colors: dict | None = None, substitute: str | None = None) -> None:
    """The lab's four panels against ``x`` ("step", "sfo" or "wall"): (a) learning rate (solid) and
    batch size (dashed, right axis), (b) full-gradient norm, (c) training loss, (d) test accuracy."""
    palette = colors or dict(zip(runs, [f"C{i}" for i in range(len(runs))]))
    (a, b, c, d) = np.ravel(axes)
    twin = a.twinx()
    for name, results in runs.items():
        color = palette[name]
        for r in results[:1] if x != "step" else results[:1]:
            log = _with_wall(r)
            a.plot(log[x], log.lr, color=color, drawstyle="steps-post", label=name)
            twin.plot(log[x], log.batch_size, color=color, linestyle="--", drawstyle="steps-post")
        _draw(b, results, x, "grad_norm", color, name)
        _draw(c, results, x, "train_loss", color, name)
        _draw(d, results, x, "test_acc", color, name)
    a.set(ylabel="learning rate (solid)", yscale="log", title="(a) learning rate and batch size (first seed)")
    twin.set(ylabel="batch size (dashed)", yscale="log")
    twin.grid(False)
    b.set(ylabel=r"$\|\nabla f(\theta)\|$", yscale="log", title="(b) full-gradient norm")
    c.set(ylabel="training loss", yscale="log", title="(c) training loss (whole training set)")
    d.set(ylabel="test accuracy", title="(d) test accuracy")
    for ax in (a, b, c, d):
        ax.set_xlabel(X_LABELS[x])
        if x == "sfo":
            ax.set_xscale("log")
    a.legend(loc="upper left")


def norm_curves(ax: Axes, runs: dict, x: str = "step", *, colors: dict | None = None, levels=(),
                title: str | None = None) -> None:
    """Only panel (b): the full-gradient norm of each schedule against ``x``, with the thresholds ``levels``."""
    palette = colors or dict(zip(runs, [f"C{i}" for i in range(len(runs))]))
    for name, results in runs.items():
        _draw(ax, results, x, "grad_norm", palette[name], name)
    for level in levels:
        ax.axhline(level, color="0.6", linewidth=0.6, linestyle=":")
    ax.set(xlabel=X_LABELS[x], ylabel=r"$\|\nabla f(\theta)\|$", yscale="log", title=title)
    if x == "sfo":
        ax.set_xscale("log")


def sfo_curves(ax: Axes, sweep, *, fit: bool = True) -> None:
    """F1: N_eps(b) against b per eps (mean over seeds, range as error bars), batch sizes that
    never reached eps as triangles at the top edge, the critical batch size circled, the fitted
    N(b) of the 1/T-on-1/b fit dashed."""
    for i, eps in enumerate(sweep.epsilons):
        color = f"C{i}"
        table = sweep.table.loc[eps]
        paper = sweep.paper_epsilons.get(eps, eps)
        name = f"eps = {eps:g}" + (f" (paper's {paper:g})" if paper != eps else "")
        ok = table.sfo.notna()
        ax.errorbar(table.index[ok], table.sfo[ok], yerr=[table.sfo[ok] - table.sfo_min[ok], table.sfo_max[ok] - table.sfo[ok]],
                    color=color, marker="o", ms=4, capsize=2, label=name)
        missed = table.index[~ok]
        if len(missed):
            partly = [b for b in missed if np.isfinite(table.loc[b, "sfo_min"])]
            budget = sweep.budgets
            note = (f"{name}: censored, not reached within the step budget at b = "
                    + ", ".join(f"{b:g} ({budget.steps[b]:,} steps = {budget.epochs[b]:.3g} epochs)" for b in missed))
            if partly:
                note += f" (some seeds did at b = {', '.join(f'{b:g}' for b in partly)})"
            longer = budget.epochs[budget.index > max(missed)]
            if len(longer):
                note += f"; b > {max(missed):g} ran {longer.min():.3g}-{longer.max():.4g} epochs"
            mark_unfinished(ax, list(missed), note=note, color=color)
        b_star = sweep.critical.get(eps, np.nan)
        if np.isfinite(b_star):
            ax.plot([b_star], [table.sfo[b_star]], "o", ms=16, mfc="none", mec=color, mew=2,
                    label=f"critical batch size, eps = {eps:g}: b = {b_star:g}")
        f = sweep.fits.get(eps)
        if fit and f is not None and np.isfinite(f.critical):
            grid = np.logspace(np.log2(max(f.c2 / eps**2 * 1.05, 1)), 12, 200, base=2)
            ax.plot(grid, f.sfo(grid), color=color, linestyle="--", linewidth=1,
                    label=f"fit of 1/T on 1/b: b* = 2 C2/eps^2 = {f.critical:.3g}")
    ax.set(xscale="log", yscale="log", xlabel="batch size b", ylabel=r"SFO $N_\varepsilon(b) = b\,T_\varepsilon(b)$")
    ax.set_xscale("log", base=2)
    loose, tight = sweep.epsilons[0], sweep.epsilons[1]
    fits = [sweep.fits.get(e) for e in (loose, tight)]
    fitted = fits[1].critical / fits[0].critical if all(fits) else float("nan")
    ax.text(0.98, 0.03, f"b*({tight:g}) / b*({loose:g}): {sweep.ratio:.3g} from the minima, {fitted:.3g} from the fits; "
            f"theory {(loose / tight) ** 2:g}", transform=ax.transAxes, ha="right", va="bottom", fontsize="x-small",
            bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "0.6"})


def reach_curves(axes, comparison, *, colors: dict | None = None) -> None:
    """Work to reach each threshold eps_m against eps_m (the x-axis inverted: deeper to the
    right), one line per schedule (seed mean; a gap where a seed never got there): steps, SFO,
    and SFO with the examples of the full-gradient checks."""
    table = comparison.by_level
    names = list(comparison.runs)
    palette = colors or dict(zip(names, [f"C{i}" for i in range(len(names))]))
    titles = {"step": "steps", "sfo": "SFO", "work": "SFO + the checks' examples"}
    for ax, (column, title) in zip(np.ravel(axes), titles.items()):
        for name in names:
            rows = table.xs(name, level="schedule")[column].sort_index()
            ax.plot(rows.index, rows.values, "o-", ms=3, color=palette[name], label=name)
        ax.set(xscale="log", yscale="log", xlabel=r"threshold $\varepsilon_m$", ylabel=title,
               title=f"{title} to first reach eps")
        ax.invert_xaxis()
    np.ravel(axes)[0].legend(fontsize="x-small")


def inverse_fit(ax: Axes, sweep) -> None:
    """The linearisation behind the fit: 1/T_eps(b) against 1/b, with the fitted lines."""
    for i, eps in enumerate(sweep.epsilons):
        table = sweep.table.loc[eps].steps.dropna()
        table = table[table > 0]
        ax.plot(1 / table.index.values, 1 / table.values, "o", color=f"C{i}", label=f"eps = {eps:g}")
        f = sweep.fits.get(eps)
        if f is not None:
            grid = np.linspace(0, max(1 / table.index.values.min(), 1e-9), 50)
            ax.plot(grid, f.alpha + f.beta * grid, color=f"C{i}", linestyle="--", linewidth=1)
    ax.set(xlabel="1 / b", ylabel=r"$1 / T_\varepsilon(b)$", title="the fit: 1/T = eps^2/C1 - (C2/C1)(1/b)")
    ax.legend()


def u_curves(ax: Axes, theory) -> None:
    """N(b) of the closed form for each eps, the minimum b* = 2C2/eps^2 marked."""
    for i, eps in enumerate(theory.epsilons):
        curve = theory.curves[theory.curves.eps == eps]
        finite = curve[np.isfinite(curve.sfo)]
        ax.plot(finite.b, finite.sfo, color=f"C{i}", label=f"eps = {eps:g}")
        b = theory.critical[eps]
        ax.plot([b], [4 * theory.c1 * theory.c2 / eps**4], "o", ms=12, mfc="none", mec=f"C{i}", mew=2)
    ax.set(xscale="log", yscale="log", xlabel="batch size b", ylabel="N(b) = b T(b)",
           title=f"N(b) = C1 b^2 / (eps^2 b - C2), C1 = {theory.c1:g}, C2 = {theory.c2:g}")
    ax.set_xscale("log", base=2)
    ax.legend()


def critical_line(ax: Axes, theory) -> None:
    """b*(eps) on log-log axes through the code's first stage, (eps0, b0), with the code's ladder
    on it and the ladder of the rule that also follows the learning rate beside it."""
    ladder = theory.ladder
    const = float(ladder.b_eps2.iloc[0])
    eps = np.logspace(np.log10(ladder.eps_batch.min() * 0.7), np.log10(ladder.eps_batch.max() * 1.4), 100)
    ax.plot(eps, const / eps**2, color="0.4", label=r"$b^\star(\varepsilon) = 2C_2/\varepsilon^2$ through $(\varepsilon_0, b_0)$")
    ax.plot(ladder.eps_batch, ladder.batch_size, "o", color="C0", label=r"code's ladder: $\varepsilon_m = \varepsilon_0\sqrt{b_0/b_m}$")
    ax.plot(ladder.eps_batch_lr, ladder.batch_size, "s", color="C1", mfc="none",
            label=r"rule with the rate: $\varepsilon_m = \varepsilon_0(\gamma/\delta)^{m/2}$")
    ax.set(xscale="log", yscale="log", xlabel=r"$\varepsilon$", ylabel="batch size")
    ax.set_yscale("log", base=2)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.invert_xaxis()
    ax.legend()


def bound_curves(axes, theory) -> None:
    """B_T + V_T against the number of stages for each (delta, gamma), and V_T / B_T."""
    left, right = axes
    for i, (pair, table) in enumerate(theory.bounds.items()):
        side = "<" if pair[1] < np.sqrt(pair[0]) else ">="
        name = f"(delta, gamma) = ({pair[0]:g}, {pair[1]:g}): gamma {side} sqrt(delta)"
        style = {"color": f"C{i}", "linestyle": "-" if side == "<" else "--", "marker": "o", "ms": 3}
        left.plot(table.stages, table.bound, label=name, **style)
        right.plot(table.stages, table.ratio, label=name, **style)
    left.set(yscale="log", xlabel="stages M", ylabel=r"$B_T + V_T$", title="the bound after M stages")
    right.set(yscale="log", xlabel="stages M", ylabel=r"$V_T / B_T$", title="variance against bias")
    left.legend(fontsize="x-small")


def stage_ladder(ax: Axes, tables: dict, periodic: dict | None = None) -> None:
    """T1 drawn: each adaptive run's batch size against the step of each switch (a staircase), the
    periodic twin's beside it."""
    for i, (seed, table) in enumerate(tables.items()):
        ax.step(list(table["switch step"]) + [table["switch step"].iloc[-1] + table.steps.iloc[-1]],
                list(table.b) + [table.b.iloc[-1]], where="post", color="C2", alpha=1 - 0.3 * i,
                label=f"adaptive, seed {seed}")
    for i, (seed, table) in enumerate((periodic or {}).items()):
        ax.step(list(table["switch step"]) + [table["switch step"].iloc[-1] + table.steps.iloc[-1]],
                list(table.b) + [table.b.iloc[-1]], where="post", color="C1", alpha=1 - 0.3 * i,
                linestyle="--", label=f"periodic, seed {seed}")
    ax.set(yscale="log", xlabel="steps", ylabel="batch size")
    ax.set_yscale("log", base=2)
    ax.legend()


def norm_traces(ax: Axes, run, norms: dict, switched: dict, threshold_label: str) -> None:
    """Several measurements of the norm at every check of ``run`` (``norms``: label -> log
    column), its thresholds eps_m (``threshold_label``), and vertical ticks where each run of
    ``switched`` (name -> run of the same seed) switched stages."""
    log = run.log
    for i, (name, column) in enumerate(norms.items()):
        ax.plot(log.step, log[column], color=f"C{i}", label=name)
    records = run.summary.get("stages") or []
    ax.step([r["step"] for r in records] + [int(log.step.iloc[-1])],
            [r["threshold"] or np.nan for r in records] + [np.nan], where="post", color="0.3", linestyle=":",
            label=threshold_label)
    for i, (name, other) in enumerate(switched.items()):
        steps = [s["step"] for s in (other.summary.get("stages") or [])[1:]]
        ax.plot(steps, np.full(len(steps), 1.0 - 0.04 * i), "|", ms=12, mew=2, color=f"C{i}",
                transform=ax.get_xaxis_transform(), label=f"switches of the run driven by: {name}")
    ax.set(yscale="log", xlabel="steps", ylabel="norm", title=f"seed {run.config.seed}")
    ax.legend(fontsize="x-small", loc="lower left")


def proxy_traces(ax: Axes, proxy, seed_index: int = 0) -> None:
    """(ii): in the run driven by the exact norm, the exact norm and both proxies at every check;
    vertical ticks where each proxy-driven run switched."""
    run = proxy.runs[next(iter(proxy.runs))][seed_index]
    norm_traces(ax, run, {"exact full-gradient norm": "grad_norm", "fixed sample of 512": "sample_grad_norm",
                          "fixed sample of 512, debiased": "sample_grad_norm_debiased"},
                {name: runs[seed_index] for name, runs in proxy.runs.items()},
                r"threshold $\varepsilon_m$ (exact-norm run)")


def official_traces(ax: Axes, official, seed_index: int = 0) -> None:
    """In the run driven by the official code's norm, both norms at every check and its
    thresholds; vertical ticks where it and the exact-norm run of the same seed switched."""
    run = official.runs[OFFICIAL][seed_index]
    norm_traces(ax, run, {"exact norm (eval mode, whole set)": "grad_norm",
                          "official code's norm (train mode, batches of 100)": "grad_norm_official"},
                {"exact norm": official.runs["adaptive"][seed_index], "official norm": run},
                r"threshold $\varepsilon_m$ (official-norm run)")
