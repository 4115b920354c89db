"""critbatch.plotting: the house style is seaborn's theme; runs a figure would leave out are marked,
with a legend note."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from critbatch.plotting import WHITEGRID, band, legend_with_notes, mark_early_ends, mark_unfinished, use_house_style
from critbatch.store import Result


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def styled(apply) -> tuple[dict, dict]:
    """The rcParams and one-letter colours after ``apply()`` from matplotlib's defaults, colours as RGB."""
    with matplotlib.rc_context():
        plt.rcdefaults()
        codes = dict(matplotlib.colors.colorConverter.colors)
        try:
            apply()
            rc = dict(matplotlib.rcParams)
            rc["axes.prop_cycle"] = [matplotlib.colors.to_rgb(c) for c in rc["axes.prop_cycle"].by_key()["color"]]
            return rc, {c: matplotlib.colors.to_rgb(matplotlib.colors.colorConverter.colors[c]) for c in "bgrmyck"}
        finally:
            matplotlib.colors.colorConverter.colors.clear()
            matplotlib.colors.colorConverter.colors.update(codes)
            matplotlib.colors.colorConverter.colors.cache.clear()


def test_the_house_style_is_seaborns_theme_without_importing_seaborn():
    import seaborn as sns

    ours, our_codes = styled(use_house_style)
    theirs, their_codes = styled(lambda: (sns.set_theme(context="notebook", style="whitegrid", palette="colorblind"),
                                          plt.rcParams.update({k: ours[k] for k in HOUSE_EXTRAS})))
    differ = {k for k in ours if ours[k] != theirs[k]}
    assert differ == {"image.cmap"}, differ  # seaborn's "rocket" colormap; no figure draws an image
    assert our_codes == their_codes
    seaborns = {**sns.axes_style("whitegrid"), **sns.plotting_context("notebook")}
    assert set(seaborns) - set(WHITEGRID) == {"image.cmap"}, "every setting of seaborn's, not only those off the defaults"
    code = "import critbatch.plotting, sys; print('seaborn' in sys.modules, 'scipy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split() == [
        "False", "False"]


#: What the house style sets on top of seaborn's theme.
HOUSE_EXTRAS = ("figure.figsize", "figure.dpi", "savefig.dpi", "axes.titlesize", "legend.fontsize", "legend.frameon")


def legend_texts(legend) -> list[str]:
    return [t.get_text() for t in legend.get_texts()]


def test_a_point_never_reached_is_marked_on_the_top_edge(ax):
    ax.plot([8, 16], [3.0, 2.0], label="K(b)")
    mark = mark_unfinished(ax, 4, note="b = 4: stalled at step 12,345")
    again = mark_unfinished(ax, [4, 32])  # a second mark at b = 4 sits below the first
    assert mark in ax.lines and mark.get_marker() == "^" and mark.get_xdata().tolist() == [4]
    assert again.get_ydata()[0] < mark.get_ydata()[0] and again.get_label() == "_nolegend_"
    legend_with_notes(ax, "target not reached")
    assert legend_texts(ax.get_legend()) == ["K(b)"]  # the main legend keeps its lines
    below = [a for a in ax.artists if isinstance(a, matplotlib.legend.Legend)]
    assert len(below) == 1 and legend_texts(below[0]) == ["b = 4: stalled at step 12,345"]
    assert below[0].get_title().get_text() == "target not reached"


def test_a_run_that_ended_early_is_marked_at_its_last_finite_value(ax):
    def result(seed, losses, status):
        return Result("key", type("Config", (), {"seed": seed})(), pd.DataFrame(
            {"step": np.arange(len(losses)) * 10, "epoch": np.arange(len(losses)), "train_loss": losses}),
            {"status": status})

    runs = [result(0, [1.0, 0.5, 0.25, 0.1], "budget"), result(1, [1.0, 0.7, np.inf], "diverged")]
    line = band(ax, [r.log for r in runs], "epoch", "train_loss", label="m = 4")
    assert np.allclose(line.get_ydata(), [1.0, 0.6, 0.25, 0.1])  # the mean over the seeds that have a value
    marks = mark_early_ends(ax, runs, "epoch", "train_loss", "m = 4", color=line.get_color())
    assert len(marks) == 1 and (marks[0].get_xdata()[0], marks[0].get_ydata()[0]) == (1, 0.7)
    assert marks[0].get_label() == "m = 4, seed 1: diverged at step 20"
    legend_with_notes(ax, main=False)
    assert legend_texts(ax.get_legend()) == ["m = 4, seed 1: diverged at step 20"]
