"""One house style for every figure of the book, and the labels that keep figures honest.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> use_house_style()
>>> fig, ax = matplotlib.pyplot.subplots()
>>> label_substitute(ax, "Fashion-MNIST", "TIMIT").get_text()
'SUBSTITUTE DATA: Fashion-MNIST stands in for TIMIT'
>>> label_substitute_above(fig, "Fashion-MNIST", "CIFAR-10", "and a narrow ResNet").get_text()
'SUBSTITUTE DATA: Fashion-MNIST stands in for CIFAR-10\\nand a narrow ResNet'
>>> len(fig.axes)  # the label's strip, above the plot
2

A run a figure cannot show in full (it stalled, diverged, or never reached the target a point
needs) is marked, never just left out:

>>> fig, ax = matplotlib.pyplot.subplots()
>>> marker = mark_unfinished(ax, [4, 8], note="Momentum, b = 4, 8: stalled at step 31,875")
>>> ax.legend().get_texts()[0].get_text()
'Momentum, b = 4, 8: stalled at step 31,875'
"""

from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import LogFormatter

from .analysis.reach import how_ended
from .analysis.seeds import mean_and_range

__all__ = ["band", "label_substitute", "label_substitute_above", "legend_with_notes", "mark_critical",
           "mark_early_ends", "mark_unfinished", "plain_log_ticks", "use_house_style"]

EDGE, END = "unfinished-edge", "unfinished-end"  # the gids of the two kinds of marks


#: Seaborn 0.13's theme ``set_theme(context="notebook", style="whitegrid", palette="colorblind")``
#: as matplotlib settings: every setting of its ``axes_style("whitegrid")`` and
#: ``plotting_context("notebook")`` (those equal to matplotlib's defaults too, so that a user's
#: matplotlibrc changes the book's figures no more than it did) and the palette, written out so
#: that no notebook pays for importing seaborn and SciPy (0.6 to 0.9 s of every kernel's start,
#: measured); ``tests/test_plotting.py`` checks it against seaborn's own. Only its default colormap
#: is left out: seaborn's "rocket" exists only once seaborn is imported, and no figure of the book
#: draws an image.
COLORBLIND = ["#0173B2", "#DE8F05", "#029E73", "#D55E00", "#CC78BC", "#CA9161", "#FBAFE4", "#949494", "#ECE133",
              "#56B4E9"]
WHITEGRID = {
    "figure.facecolor": "white", "axes.facecolor": "white", "axes.edgecolor": ".8", "axes.grid": True,
    "axes.axisbelow": True, "axes.labelcolor": ".15", "axes.prop_cycle": cycler(color=COLORBLIND),
    "axes.spines.left": True, "axes.spines.bottom": True, "axes.spines.right": True, "axes.spines.top": True,
    "grid.color": ".8", "grid.linestyle": "-", "text.color": ".15",
    "font.family": ["sans-serif"],
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans", "sans-serif"],
    "lines.solid_capstyle": "round", "patch.edgecolor": "w", "patch.force_edgecolor": True,
    "xtick.direction": "out", "ytick.direction": "out", "xtick.color": ".15", "ytick.color": ".15",
    "xtick.top": False, "ytick.right": False, "xtick.bottom": False, "ytick.left": False,
    # the "notebook" context
    "font.size": 12.0, "axes.labelsize": 12.0, "axes.titlesize": 12.0, "xtick.labelsize": 11.0,
    "ytick.labelsize": 11.0, "legend.fontsize": 11.0, "legend.title_fontsize": 12.0, "axes.linewidth": 1.25,
    "grid.linewidth": 1.0, "lines.linewidth": 1.5, "lines.markersize": 6.0, "patch.linewidth": 1.0,
    "xtick.major.size": 6.0, "ytick.major.size": 6.0, "xtick.minor.size": 4.0, "ytick.minor.size": 4.0,
    "xtick.major.width": 1.25, "ytick.major.width": 1.25, "xtick.minor.width": 1.0, "ytick.minor.width": 1.0,
}
#: The one-letter colours as seaborn's ``set_color_codes("colorblind")`` sets them.
COLOR_CODES = dict(zip("bgrmyck", ["#0173B2", "#029E73", "#D55E00", "#CC78BC", "#ECE133", "#56B4E9", (0.1, 0.1, 0.1)]))


def use_house_style() -> None:
    """Seaborn's white-grid theme (:data:`WHITEGRID`), a colour-blind-safe palette and a fixed
    figure size and dpi, so that every figure of the book looks alike and renders the same on
    every machine."""
    plt.rcParams.update(WHITEGRID)
    for code, color in COLOR_CODES.items():
        matplotlib.colors.colorConverter.colors[code] = matplotlib.colors.to_rgb(color)
    plt.rcParams.update({
        "figure.figsize": (6.4, 4.0),
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "axes.titlesize": "medium",
        "legend.fontsize": "small",
        "legend.frameon": False,
    })


def label_substitute(ax: Axes, used: str, original: str, how: str = "", loc: str = "upper right") -> Text:
    """Print on the axes, where nobody can miss it, that ``used`` data stands in for the
    paper's ``original`` data (and, in ``how``, how it was matched), in the corner ``loc``
    ("upper right", "upper left", "lower right" or "lower left")."""
    text = f"SUBSTITUTE DATA: {used} stands in for {original}" + (f"\n{how}" if how else "")
    vertical, horizontal = loc.split()
    return ax.text(
        0.98 if horizontal == "right" else 0.02, 0.97 if vertical == "upper" else 0.03, text,
        transform=ax.transAxes, ha=horizontal, va="top" if vertical == "upper" else "bottom",
        fontsize="x-small", color="#8b0000", fontweight="bold", zorder=10,
        bbox={"boxstyle": "round", "facecolor": "#fff3cd", "edgecolor": "#8b0000", "alpha": 0.95},
    )


def label_substitute_above(fig: Figure, used: str, original: str, how: str = "") -> Text:
    """:func:`label_substitute` in a strip added above all of ``fig``'s axes, for figures
    whose panels leave no free corner."""
    fig.subplots_adjust(top=0.8)
    strip = fig.add_axes((0, 0.87, 1, 0.13))
    strip.set_axis_off()
    return label_substitute(strip, used, original, how, loc="upper left")


def band(ax: Axes, logs: list, x: str, y: str, **style) -> Line2D:
    """The mean of column ``y`` over runs that differ only in their seed, against ``x``, with
    the range over the runs shaded (no shading for a single run); returns the mean's line.
    Non-finite values (a diverged run) are left out of the mean: mark that run with
    :func:`mark_early_ends`."""
    values = pd.concat([log[[x, y]] for log in logs])
    values[y] = values[y].where(np.isfinite(values[y].astype(float)))
    table = mean_and_range(values, x, [y], sort=True)
    line, = ax.plot(table.index, table[y], **style)
    if len(logs) > 1:
        ax.fill_between(table.index, table[f"{y}_min"], table[f"{y}_max"], color=line.get_color(),
                        alpha=0.2, linewidth=0)
    return line


def mark_unfinished(ax: Axes, x, y=None, note: str | None = None, *, color: str = "0.3") -> Line2D:
    """Mark what a figure would otherwise silently leave out: with ``y``, a cross at the last
    finite value (``x``, ``y``) of a run that ended early; without, an upward triangle near the
    top edge of the axes above each ``x`` (stacked downwards where several share an ``x``), for
    points whose runs never reached the figure's target. ``note`` (e.g. "b = 4: stalled at step
    12,345") is the marks' legend entry."""
    x = np.atleast_1d(x)
    style = {"color": color, "linestyle": "none", "label": note if note else "_nolegend_", "zorder": 5}
    if y is not None:
        return ax.plot(x, np.atleast_1d(y), "X", ms=9, mec="white", mew=0.8, gid=END, **style)[0]
    taken = [value for line in ax.lines if line.get_gid() == EDGE for value in line.get_xdata()]
    heights = [0.96 - 0.06 * taken.count(value) for value in x]
    line, = ax.plot(x, heights, "^", ms=7, transform=ax.get_xaxis_transform(), clip_on=False, gid=EDGE, **style)
    return line


def legend_with_notes(ax: Axes, title: str | None = None, *, main: bool = True, **style) -> None:
    """``ax``'s legend (with ``style``; none unless ``main``) without the marks of
    :func:`mark_unfinished`, whose notes get a legend of their own (titled ``title``) below the axes."""
    entries = list(zip(*ax.get_legend_handles_labels()))
    notes = [(h, label) for h, label in entries if getattr(h, "get_gid", lambda: None)() in (EDGE, END)]
    others = [entry for entry in entries if entry not in notes]
    if notes:
        below = ax.legend(*zip(*notes), title=title, loc="upper center", bbox_to_anchor=(0.5, -0.18),
                          fontsize="x-small", title_fontsize="x-small")
        if main and others:
            ax.add_artist(below).set_clip_on(False)  # add_artist clips to the axes; this one sits below them
    if main and others:
        ax.legend(*zip(*others), **style)


def mark_early_ends(ax: Axes, results: list, x: str, y: str, label: str, *, color: str = "0.3",
                    statuses: tuple[str, ...] = ("stalled", "diverged")) -> list[Line2D]:
    """:func:`mark_unfinished` at the last finite (``x``, ``y``) of each result (a
    :class:`critbatch.store.Result`) whose status is one of ``statuses``, noted
    "``label``: diverged at step k" (with the seed where there are several)."""
    marks = []
    for result in results:
        status = result.summary.get("status")
        if status not in statuses:
            continue
        finite = result.log[np.isfinite(result.log[y].astype(float))]
        if finite.empty:
            continue
        seed = getattr(result.config, "seed", None)
        who = f"{label}, seed {seed}" if len(results) > 1 and seed is not None else label
        last = finite.iloc[-1]
        step = int(result.log.step.iloc[-1]) if "step" in result.log else math.nan
        marks.append(mark_unfinished(ax, last[x], last[y], f"{who}: {how_ended([(status, step)])}", color=color))
    return marks


class _PlainLogFormatter(LogFormatter):
    """Matplotlib's choice of which log ticks to label, written as plain numbers (0.3, not 3e-01)."""

    def __call__(self, x, pos=None):
        return f"{x:g}" if super().__call__(x, pos) else ""


def plain_log_ticks(ax: Axes, axis: str = "y") -> None:
    """Label a log axis with plain numbers; minor ticks get labels when it spans under a decade."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(_PlainLogFormatter())
    target.set_minor_formatter(_PlainLogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.4)))


def mark_critical(ax: Axes, value: float, label: str, color: str = "0.3") -> None:
    """A dashed vertical line at a critical batch size, labelled in the legend."""
    ax.axvline(value, color=color, linestyle="--", linewidth=1, label=label)
