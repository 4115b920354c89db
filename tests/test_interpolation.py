"""The experiment definitions of Ma et al.'s Figures 3-6 and the claims measured on them."""

import numpy as np
import pandas as pd
import pytest

from critbatch.papers.interpolation import claims as interpolation_claims, study as interpolation
from critbatch.papers.interpolation.kernel_sgd import KernelProblem
from critbatch.store import Result

PROBLEM = KernelProblem("mnist", 1000, 500, "gaussian", 5.0)


def result(log: dict, **summary) -> Result:
    return Result("key", {}, pd.DataFrame(log), summary)


def curve(rate: float, steps: int = 200) -> dict:
    t = np.arange(steps + 1)
    return {"step": t, "epoch": t / 10, "train_loss": 1 / (1 + rate * t), "test_loss": 1.2 / (1 + rate * t)}


def test_runs_per_scale_and_seed():
    panel = interpolation.Panel("MNIST", PROBLEM)
    runs = interpolation.figure4_runs(panel, "reduced", seed=5)
    assert [r.seed for r in runs["m = m*"]] == [5, 6, 7] and len(runs["GD"]) == 1
    assert runs["GD"][0].batch_size == PROBLEM.n and runs["m = 16 m*"][0].batch_factor == 16
    assert interpolation.figure4_runs(panel, "smoke")["m = m*"][0].steps == 60
    five = interpolation.figure5_runs(panel, "reduced")
    assert set(five) == {"m = 1", "m = 2", "m = m*", "m = 4 m*", "m = 16 m*", "GD"}
    assert all(r.test and r.epochs == 10 for runs in five.values() for r in runs)
    speed = interpolation.speedup_runs(panel, "reduced")
    assert speed[1][0].steps == 2 * PROBLEM.n and speed[512][0].steps == 600
    with pytest.raises(ValueError, match="scale must be one of"):
        interpolation.figure4_runs(panel, "huge")


def test_paper_scale_uses_the_original_data_without_a_search():
    panels = interpolation.panels("paper", store=None)
    assert [(p.name, p.problem.dataset, p.problem.bandwidth, p.substitute) for p in panels] == [
        ("MNIST", "mnist", 5.0, None), ("HINT-S", "hint-s", 16.0, None), ("TIMIT", "timit", 11.0, None)]
    assert [p.problem.n for p in interpolation.figure3_panels("paper")] == [60_000, 50_000]
    assert interpolation.figure3_panels("reduced")[1].substitute == "Fashion-MNIST"


def test_iterations_relative_to_gd():
    gd = pd.DataFrame(curve(1.0))
    sgd = [pd.DataFrame(curve(0.5)), pd.DataFrame(curve(0.25))]  # need 2x and 4x the iterations
    assert interpolation_claims.iterations_relative_to_gd(gd, sgd, 20) == pytest.approx(3.0)
    assert np.isnan(interpolation_claims.iterations_relative_to_gd(gd, [pd.DataFrame(curve(0.01))], 100))


def test_figure4_claims():
    runs = {"MNIST": {"GD": [result(curve(1.0))], "m = m*": [result(curve(0.4))],
                      "m = 16 m*": [result(curve(0.9))]},
            "HINT-S": {"GD": [result(curve(1.0))], "m = m*": [result(curve(0.1))],
                       "m = 16 m*": [result(curve(0.5))]}}
    claims = interpolation_claims.figure4(runs).set_index(["data", "paper"])
    assert claims.loc[("MNIST", "< 4"), "ours"] == "2.50, 2.50, 2.50"
    assert claims.loc[("MNIST", "< 4"), "verdict"] == "reproduced"
    assert claims.loc[("HINT-S", "< 8"), "verdict"] == "not reproduced"  # 10x
    assert claims.loc[("HINT-S", "nearly identical"), "verdict"] == "not reproduced"  # 2x


def test_figure5_and_6_claims():
    epochs = {"epoch": [0, 1, 2], "test_loss": [1.0, 0.5, 0.4]}
    runs = {"MNIST": {label: [result({**epochs, "train_loss": values, "test_loss": test})]
                      for label, values, test in [
                          ("m = 1", [1, 0.10, 0.05], [1, 0.3, 0.2]), ("m = m*", [1, 0.12, 0.06], [1, 0.31, 0.21]),
                          ("m = 16 m*", [1, 0.5, 0.4], [1, 0.6, 0.5]), ("GD", [1, 0.9, 0.8], [1, 0.9, 0.85])]}}
    five = interpolation_claims.figure5(runs)
    assert five.verdict.tolist() == ["reproduced", "reproduced", "reproduced"]
    assert five.ours.tolist() == ["100%; 0.0%", "1.20", "6.7"]
    six = interpolation_claims.figure6(runs)
    assert six.ours.tolist() == ["1.00"] and six.verdict.tolist() == ["reproduced"]


def test_figure3_claims():
    losses = [np.full(10, 1.0), np.r_[np.full(5, 1e-3), np.full(5, 0.5)], np.r_[np.full(10, 1e-4)]]
    run = result({"epoch": [0, 1, 2], "test_loss": [1.0, 0.3, 0.2], "point_losses": [None, losses[1], losses[2]]})
    claims = interpolation_claims.figure3({"MNIST": run})
    assert claims.ours.tolist() == ["50%, 100%", "0.300, 0.200"]
    assert claims.verdict.tolist() == ["reproduced", "reproduced"]


def test_speedup_claims_use_the_lowest_common_level():
    def summary(reached):
        return {"beta": 1.0, "lambda_1": 0.25, "steps_to": reached}

    runs = {"X": {1: [result({}, **summary({"0.5": 40, "0.1": 400}))],
                  2: [result({}, **summary({"0.5": 20, "0.1": 200}))],
                  100: [result({}, **summary({"0.5": 4, "0.1": None}))]}}
    claims, tables = interpolation_claims.speedups(runs)
    table = tables["X"]
    assert table.attrs["level"] == 0.5 and table["measured t(1)/t(m)"].tolist() == [1.0, 2.0, 10.0]
    assert claims.verdict.tolist() == ["reproduced", "reproduced"]  # 2/2 = 1 below m* = 5; 10 vs 16
