"""critbatch.analysis: first-reach and seed averages, checked against values computed by hand
(the claim records are tested in test_chapters)."""

import math

import numpy as np
import pandas as pd
import pytest

from critbatch.analysis.reach import first_reach, how_ended
from critbatch.analysis.seeds import mean_and_range


LOG = pd.DataFrame({"step": [0, 5, 10, 15], "sfo": [0, 40, 80, 120],
                    "train_acc": [0.2, 0.96, 0.97, 0.99], "train_loss": [2.0, 0.5, 0.5, 0.1]})


def test_first_reach_an_accuracy_from_below():
    hit = first_reach(LOG, "train_acc", at_least=0.97)
    assert (hit.step, hit.sfo) == (10, 80)  # 0.97 itself counts
    assert first_reach(LOG, "train_acc", at_least=0.995) is None


def test_first_reach_a_loss_from_above():
    assert first_reach(LOG, "train_loss", at_most=0.5).step == 5  # the first of two rows at 0.5
    assert first_reach(LOG, "train_loss", at_most=2.0).step == 0
    assert first_reach(LOG, "train_loss", at_most=0.01) is None


def test_first_reach_needs_exactly_one_direction():
    with pytest.raises(ValueError, match="exactly one"):
        first_reach(LOG, "train_acc")
    with pytest.raises(ValueError, match="exactly one"):
        first_reach(LOG, "train_acc", at_least=0.5, at_most=0.9)


def test_how_ended():
    assert how_ended([("stalled", 12345)]) == "stalled at step 12,345"
    assert how_ended([("diverged", 800), ("diverged", 950)]) == "diverged at steps 800–950"
    assert how_ended([("reached", 10), ("budget", 500)]) == "1 of 2 seeds ran out of budget at step 500"


def test_mean_and_range_over_seeds():
    runs = pd.DataFrame({"optimizer": ["A", "A", "A", "B", "B"], "b": [4, 4, 4, 4, 4],
                         "steps": [10.0, 20.0, 60.0, 7.0, math.nan]})
    table = mean_and_range(runs, ["optimizer", "b"], ["steps"])
    assert table.loc[("A", 4)].tolist() == [30.0, 10.0, 60.0]  # (10 + 20 + 60) / 3
    assert table.loc[("B", 4)].tolist() == [7.0, 7.0, 7.0]  # the missing seed left out
    strict = mean_and_range(runs, ["optimizer", "b"], ["steps"], strict=True)
    assert strict.loc[("A", 4), "steps"] == 30.0 and math.isnan(strict.loc[("B", 4), "steps"])
    assert strict.loc[("B", 4), "steps_min"] == 7.0  # the range still shows the seeds that got there


def test_mean_and_range_order():
    runs = pd.DataFrame({"x": [2, 1, 2, 1], "y": [1.0, 3.0, 5.0, 7.0]})
    assert mean_and_range(runs, "x", ["y"]).index.tolist() == [2, 1]  # order of appearance
    sorted_ = mean_and_range(runs, "x", ["y"], sort=True)
    assert sorted_.index.tolist() == [1, 2] and np.allclose(sorted_.y, [5.0, 3.0])
