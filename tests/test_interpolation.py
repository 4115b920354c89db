"""The runs of Ma et al.'s Figures 3-6 per scale, and each claim family decided on hand-made
runs: per seed, a tie and a censored value inconclusive, one seed against inconclusive."""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from critbatch import sweep
from critbatch.analysis.verdicts import INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED
from critbatch.papers.interpolation import claims, measures, study
from critbatch.papers.interpolation.chapter import CHAPTER
from critbatch.papers.interpolation.kernel_sgd import KernelProblem
from critbatch.papers.interpolation.variance_reduction import VarianceRun
from critbatch.store import Result, Store

PROBLEM = KernelProblem("mnist", 1000, 500, "gaussian", 5.0)
PANELS = ("MNIST", "HINT-S", "TIMIT")


def result(log: dict, config=None, **summary) -> Result:
    return Result("key", config, pd.DataFrame(log), summary)


def curve(rate: float, steps: int = 500) -> dict:
    t = np.arange(steps + 1)
    return {"step": t, "epoch": t / 10, "train_loss": 1 / (1 + rate * t)}


def kernel(by_panel: dict) -> dict:
    """A kernel figure's loaded runs at the paper scale (no substitutes, so no searches)."""
    return {"searches": {}, "panels": by_panel}


def verdicts(claims_) -> dict:
    return {(d.setting, d.claim.name): d.verdict for d in claims_}


def test_runs_per_scale_and_seed():
    panel = study.Panel("MNIST", PROBLEM)
    runs = study.figure4_runs(panel, "reduced", seed=5)
    assert [r.seed for r in runs["m = m*"]] == list(range(5, 15)) and len(runs["GD"]) == 1
    assert runs["GD"][0].batch_size == PROBLEM.n and runs["m = 16 m*"][0].batch_factor == 16
    assert study.figure4_runs(panel, "smoke")["m = m*"][0].steps == 60
    run_on = runs["m = m*, run on"]  # the same seeds, four times GD's steps
    assert [r.seed for r in run_on] == list(range(5, 15)) and {r.steps for r in run_on} == {2000}
    five = study.figure5_runs(panel, "reduced")
    assert set(five) == {"m = 1", "m = 2", "m = m*", "m = 4 m*", "m = 16 m*", "GD"}
    assert all(r.test and r.epochs == 10 for runs in five.values() for r in runs)
    assert [r.seed for r in five["m = 1"]] == list(range(study.FIGURE5_SEEDS))
    speed = study.speedup_runs(panel, "reduced")
    assert speed[1][0].steps == 2 * PROBLEM.n and speed[512][0].steps == 600
    assert len(speed[1]) == study.SPEEDUP_SEEDS and len(speed[PROBLEM.n]) == 1  # GD: deterministic, one run
    with pytest.raises(ValueError, match="scale must be one of"):
        study.figure4_runs(panel, "huge")


def test_paper_scale_uses_the_original_data_without_a_search():
    panels = study.panels("paper", store=None)
    assert [(p.name, p.problem.dataset, p.problem.bandwidth, p.substitute) for p in panels] == [
        ("MNIST", "mnist", 5.0, None), ("HINT-S", "hint-s", 16.0, None), ("TIMIT", "timit", 11.0, None)]
    assert study.kernel_figure_runs(study.figure4_runs, "paper")["searches"] == {}
    assert [p.problem.n for p in study.figure3_panels("paper")] == [60_000, 50_000]
    assert study.figure3_panels("reduced")[1].substitute == "Fashion-MNIST"


def test_a_missing_bandwidth_search_is_the_sweeps_prerequisite(tmp_path, monkeypatch):
    monkeypatch.setenv("CRITBATCH_RESULTS", str(tmp_path))
    planned, prerequisites = sweep.plan("reduced", Store(tmp_path, cache_only=True), paper="interpolation",
                                        figure_name="fig4-iterations")
    assert planned == [] and [type(p.config).__name__ for p in prerequisites] == ["BandwidthSearch"]


def test_gd_multiples_and_censoring():
    gd = pd.DataFrame(curve(1.0))
    assert claims.gd_multiples(gd, pd.DataFrame(curve(0.5)), [25, 50, 100]) == [2.0, 2.0, 2.0]
    assert math.isnan(claims.gd_multiples(gd, pd.DataFrame(curve(0.125)), [100])[0])  # 800 > 500 steps: censored
    # never there in 500 steps = more than 5 T: decided (∞) against a test whose edge is below 5, unknown above
    assert claims.gd_multiples(gd, pd.DataFrame(curve(0.01)), [100], beyond=4.04) == [math.inf]
    assert math.isnan(claims.gd_multiples(gd, pd.DataFrame(curve(0.01)), [100], beyond=8.04)[0])
    assert claims.upper_edge(claims.M_STAR_WITHIN[8]) == pytest.approx(8.04)
    assert claims.upper_edge(claims.NEAR_GD) == pytest.approx(1.29)
    assert math.isnan(claims.largest([2.0, math.nan])) and claims.largest([2.0, 3.0]) == 3.0
    assert claims.furthest_from_one([0.9, 1.2, 0.7]) == 0.7


def _figure4(m_star: dict, sixteen: dict, run_on: int = 500) -> dict:
    """Per panel, the SGD rates of three seeds at m* (run on to ``run_on`` steps) and at 16 m*
    against GD at rate 1 for 500 steps."""
    return verdicts(measures.figure4(kernel({name: {
        "GD": [result(curve(1.0))], "m = m*": [result(curve(r)) for r in m_star[name]],
        "m = m*, run on": [result(curve(r, run_on)) for r in m_star[name]],
        "m = 16 m*": [result(curve(r)) for r in sixteen[name]]} for name in PANELS}), "paper").claims)


def test_figure4_decided_per_seed_with_ties_and_censored_runs():
    near, fast = [1.0, 1.0, 1.0], [1 / 0.6] * 3
    decided = _figure4({"MNIST": [0.5, 0.5, 0.5], "HINT-S": [0.125] * 3, "TIMIT": [0.5, 0.5, 0.2]},
                       {"MNIST": fast, "HINT-S": near, "TIMIT": [1.0, 1.0, 0.5]})
    assert decided[("MNIST", "m* within 4x GD")] == REPRODUCED  # 2x on every seed
    assert decided[("HINT-S", "m* within 8x GD")] == INCONCLUSIVE  # 8x T = 100 is past the 500 steps: censored
    assert decided[("TIMIT", "m* within 4x GD")] == INCONCLUSIVE  # one seed at 5x
    assert decided[("MNIST", "16 m* ≈ GD")] == NOT_REPRODUCED  # 0.6: faster than GD, not "nearly identical"
    assert decided[("HINT-S", "16 m* ≈ GD")] == REPRODUCED
    assert decided[("TIMIT", "16 m* ≈ GD")] == INCONCLUSIVE  # one seed at 2x
    tie = _figure4({name: [0.25] * 3 for name in PANELS}, {name: near for name in PANELS})
    assert tie[("MNIST", "m* within 4x GD")] == INCONCLUSIVE  # exactly 4x: a tie
    assert tie[("HINT-S", "m* within 8x GD")] == REPRODUCED  # 4x: 400 steps at T = 100, within the run
    slow = _figure4({name: [1 / 4.5] * 3 for name in PANELS}, {name: near for name in PANELS})
    assert slow[("MNIST", "m* within 4x GD")] == NOT_REPRODUCED  # 4.5x on every seed
    run_on = _figure4({"MNIST": [0.01] * 3, "HINT-S": [0.125, 0.125, 0.2], "TIMIT": [0.5] * 3},
                      {name: near for name in PANELS}, run_on=2000)
    assert run_on[("HINT-S", "m* within 8x GD")] == INCONCLUSIVE  # 8x at T = 100 reached in 2000 steps: a tie
    assert run_on[("MNIST", "m* within 4x GD")] == NOT_REPRODUCED  # not there in 2000 steps = 20 T: ∞, decided


def epochs(train: list, test: list | None = None) -> Result:
    test = test if test is not None else [2 * v for v in train]
    return result({"step": range(len(train)), "epoch": [float(k) for k in range(len(train))], "train_loss": train,
                   "test_loss": test, "test_error": test}, batch_size=1)


def _figure5_runs(one_seeds: list) -> dict:
    """m = 1 from ``one_seeds`` (per seed); m* a bit above it; 16 m* 5x above m*; GD far above."""
    base = [1.0, 0.2, 0.1, 0.05]
    return {"GD": [epochs([1.0, 0.9, 0.8, 0.7])],
            "m = 1": [epochs(values) for values in one_seeds],
            "m = 2": [epochs([v * 1.05 for v in base])] * 3,
            "m = m*": [epochs([v * 1.2 for v in base])] * 3,
            "m = 16 m*": [epochs([min(1.0, v * 6) for v in base])] * 3}


def test_figure5_decided_per_seed(monkeypatch):
    base = [1.0, 0.2, 0.1, 0.05]
    lowest, second_epoch_lost = [base] * 3, [base, base, [1.0, 0.3, 0.1, 0.05]]
    runs = {"MNIST": _figure5_runs(lowest), "HINT-S": _figure5_runs(second_epoch_lost),
            "TIMIT": _figure5_runs(lowest)}
    gd_summary = {"beta": 1.0, "lambda_1": 0.15}
    for name in PANELS:
        runs[name]["GD"][0].summary.update(gd_summary)
    decided = verdicts(measures.figure5(kernel(runs), "paper").claims)
    assert decided[("MNIST", "m = 1 lowest")] == REPRODUCED
    assert decided[("HINT-S", "m = 1 lowest")] == INCONCLUSIVE  # one seed lowest at 2 of 3 epochs
    assert decided[("MNIST", "m* close to m = 1")] == REPRODUCED  # 1.2
    assert decided[("MNIST", "saturation")] == REPRODUCED  # 5x
    assert decided[("MNIST", "λ1 as quoted")] == REPRODUCED and decided[("MNIST", "m* as quoted")] == REPRODUCED
    assert decided[("HINT-S", "λ1 as quoted")] == NOT_REPRODUCED  # 0.15 against the quoted 0.3


def test_figure6_is_decided_per_seed():
    base = [1.0, 0.2, 0.1, 0.05]
    consistent = _figure5_runs([base] * 3)
    one_seed_reversed = _figure5_runs([base] * 3)
    one_seed_reversed["m = 1"][2] = epochs(base, test=[1.0, 1.0, 1.0, 1.0])  # worst on test, best on training
    decided = verdicts(measures.figure6(kernel({"MNIST": consistent, "HINT-S": one_seed_reversed,
                                                "TIMIT": consistent}), "paper").claims)
    assert decided[("MNIST", "test consistent with training")] == REPRODUCED
    assert decided[("HINT-S", "test consistent with training")] == INCONCLUSIVE
    assert claims.rank_agreement(pd.Series([1, 2, 3]), pd.Series([3, 2, 1])) == pytest.approx(-1.0)


def test_figure3_claims_are_decided_per_seed():
    losses = [np.full(10, 1.0), np.r_[np.full(5, 1e-3), np.full(5, 0.5)], np.full(10, 1e-4)]
    config = study.figure3_run(study.figure3_panels("smoke")[0], "smoke")

    def run(seed, test_loss, point_losses):
        return result({"epoch": [0, 1, 2], "test_loss": test_loss, "point_losses": [None, *point_losses]},
                      dataclasses.replace(config, seed=seed), kernel_lambda_1=1.0, lambda_1=0.1, beta=1.0,
                      batch_size=10, lr=1.0)

    falls, rises = run(0, [1.0, 0.3, 0.2], losses[1:]), run(0, [1.0, 0.2, 0.3], losses[:0:-1])
    decided = measures.figure3({"MNIST": [falls], "TIMIT": [rises]}, "smoke")
    assert verdicts(decided.claims) == {
        ("MNIST", "interpolation in a few epochs"): REPRODUCED, ("MNIST", "test error falls"): REPRODUCED,
        ("TIMIT", "interpolation in a few epochs"): NOT_REPRODUCED, ("TIMIT", "test error falls"): NOT_REPRODUCED}
    assert [d.spread for d in decided.claims][:1] == ["seed 0: 1"]
    assert decided.data.tables["fitted"]["TIMIT"].tolist() == [1.0, 0.5]
    # two seeds: both must agree; the fitted shares are their mean; the histograms' table is the first seed's
    decided = measures.figure3({"MNIST": [falls, run(1, [1.0, 0.3, 0.2], losses[1:])],
                                "TIMIT": [falls, run(1, [1.0, 0.2, 0.3], losses[1:])]}, "smoke")
    assert verdicts(decided.claims) == {
        ("MNIST", "interpolation in a few epochs"): REPRODUCED, ("MNIST", "test error falls"): REPRODUCED,
        ("TIMIT", "interpolation in a few epochs"): REPRODUCED, ("TIMIT", "test error falls"): INCONCLUSIVE}
    assert [d.spread for d in decided.claims][:1] == ["seed 0: 1; seed 1: 1"]
    assert decided.data.tables["fitted"]["MNIST"].tolist() == [0.5, 1.0]
    assert decided.data.tables["runs"]["seeds"].tolist() == [2, 2]


def test_speedups_use_the_lowest_common_level_and_decide_per_seed():
    def summary(reached):
        return {"beta": 1.0, "lambda_1": 0.25, "steps_to": reached}

    def runs(twos):
        return {1: [result({}, **summary({"0.5": 40, "0.1": 400}))] * 2,
                2: [result({}, **summary({"0.5": t, "0.1": 200})) for t in twos],
                100: [result({}, **summary({"0.5": 4, "0.1": None}))]}

    done = measures.speedups(kernel({"MNIST": runs([20, 20]), "HINT-S": runs([20, 40]), "TIMIT": runs([20, 20])}),
                             "paper")
    table = done.data.tables["MNIST"]
    assert table.attrs["level"] == 0.5 and table["measured t(1)/t(m)"].tolist() == [1.0, 2.0, 10.0]
    decided = verdicts(done.claims)
    assert decided[("MNIST, training error 0.5", "measured linear scaling")] == REPRODUCED  # 2/2 = 1 below m* = 5
    assert decided[("MNIST, training error 0.5", "measured saturation")] == REPRODUCED  # 10 against 16
    assert decided[("HINT-S, training error 0.5", "measured linear scaling")] == INCONCLUSIVE  # one seed at 0.5
    assert all(d.claim.kind == "question" for d in done.claims)


def test_variance_reduction_claims_per_seed_with_a_one_pass_tie():
    def runs(method, passes):
        config = VarianceRun(method, 8, 16, epochs=400, tol=1e-6)
        return [result({}, config, status="reached" if p else "budget", gradients=(p or 400) * 8) for p in passes]

    loaded = {"SGD (eq. 1)": runs("sgd", [10, 10]), "SAG": runs("sag", [None, None]),
              "SVRG": runs("svrg", [None, None]), "SAGA": runs("saga", [30, 10.5])}
    decided = measures.variance_reduction(loaded, "reduced").claims
    largest, fastest = decided
    assert (largest.claim.kind, largest.verdict) == ("derived", REPRODUCED)
    assert fastest.seeds == {0: -20.0, 1: -0.5} and fastest.verdict == INCONCLUSIVE  # half a pass: a tie


def test_closed_forms_are_derived_checks_on_no_data():
    for name in ("fig1-speedup", "fig2-regimes"):
        done = CHAPTER[name]("smoke")
        assert {d.claim.kind for d in done.claims} == {"derived"} and {d.data for d in done.claims} == {
            "none: closed form"}
        assert all(d.verdict == REPRODUCED for d in done.claims), done.claims
