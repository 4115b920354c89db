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
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import LogFormatter

__all__ = ["band", "label_substitute", "label_substitute_above", "mark_critical", "plain_log_ticks", "use_house_style"]


def use_house_style() -> None:
    """Seaborn's white-grid theme, a colour-blind-safe palette and a fixed figure size and dpi,
    so that every figure of the book looks alike and renders the same on every machine."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
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


def band(ax: Axes, logs: list, x: str, y: str, **style) -> None:
    """The mean of column ``y`` over runs that differ only in their seed, against ``x``, with
    the range over the runs shaded (no shading for a single run)."""
    table = pd.concat([log.set_index(x)[y] for log in logs], axis=1)
    line, = ax.plot(table.index, table.mean(axis=1), **style)
    if len(logs) > 1:
        ax.fill_between(table.index, table.min(axis=1), table.max(axis=1), color=line.get_color(),
                        alpha=0.2, linewidth=0)


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
