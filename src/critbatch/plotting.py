"""One house style for every figure of the book, and the labels that keep figures honest.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> use_house_style()
>>> fig, ax = matplotlib.pyplot.subplots()
>>> label_substitute(ax, "Fashion-MNIST", "TIMIT").get_text()
'SUBSTITUTE DATA: Fashion-MNIST stands in for TIMIT'
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.text import Text

__all__ = ["label_substitute", "mark_critical", "use_house_style"]


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


def label_substitute(ax: Axes, used: str, original: str, how: str = "") -> Text:
    """Print on the axes, where nobody can miss it, that ``used`` data stands in for the
    paper's ``original`` data (and, in ``how``, how it was matched)."""
    text = f"SUBSTITUTE DATA: {used} stands in for {original}" + (f"\n{how}" if how else "")
    return ax.text(
        0.5, 0.98, text, transform=ax.transAxes, ha="center", va="top", fontsize="small",
        color="#8b0000", fontweight="bold",
        bbox={"boxstyle": "round", "facecolor": "#fff3cd", "edgecolor": "#8b0000", "alpha": 0.9},
    )


def mark_critical(ax: Axes, value: float, label: str, color: str = "0.3") -> None:
    """A dashed vertical line at a critical batch size, labelled in the legend."""
    ax.axvline(value, color=color, linestyle="--", linewidth=1, label=label)
