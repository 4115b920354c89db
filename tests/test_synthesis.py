"""The synthesis: the four critical-batch predictions, the exact kernel scales, and the
chapter's claims decided per seed (the front page's scoreboard is tested in test_scoreboard)."""

import numpy as np
import pandas as pd
import pytest

from critbatch.analysis.verdicts import INCONCLUSIVE, NOT_REPRODUCED, QUESTION, REPRODUCED
from critbatch.papers.synthesis import claims, kernel_scales, predictions, study
from critbatch.papers.synthesis.claims import closest, doublings, problem_claims
from critbatch.paths import project_root

ROOT = project_root()


# The four critical-batch predictions ------------------------------------------------------------


def test_exact_kernel_scales_match_explicit_per_example_gradients():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    features = torch.randn(12, 5, dtype=torch.float64)  # an explicit feature map: K = Phi Phi^T
    k = features @ features.T
    residuals = torch.randn(12, 3, dtype=torch.float64)
    per_example = torch.einsum("ic,id->icd", residuals, features).flatten(1)  # g_i = R_i (x) phi_i
    full = per_example.mean(0)
    trace = float(((per_example - full) ** 2).sum(1).mean())
    exact = kernel_scales.exact_scales(k, residuals)
    assert exact["grad_norm"] == pytest.approx(float(full.norm()))
    assert exact["noise_trace"] == pytest.approx(trace)
    assert exact["noise_scale"] == pytest.approx(trace / float(full.norm() ** 2))


def test_the_predictions_of_runs_that_follow_mccandlish_model():
    """Steps S(b) = 100 + 800/b exactly: B_crit = 8, McCandlish's model fits with no error, the SFO
    grows with b (smallest at the smallest b), and its knee is where E(b) = 800 + 100 b passes 1.25 E(1)."""
    sizes = [1, 2, 4, 8, 16, 32, 64]
    frame = pd.DataFrame([{"target": 0.1, "b": b, "seed": s, "steps": 100 + 800 / b, "sfo": b * (100 + 800 / b)}
                          for b in sizes for s in range(2)])
    scales_at = pd.DataFrame({"m*": [2.0], "tr H/λ1": [3.0], "B_simple": [30.0]}, index=[0.1])
    table, errors = predictions.critical_table(frame, scales_at)
    row = table.loc[0.1]
    assert row["McCandlish B_crit"] == pytest.approx(8.0)
    assert row["measured"] == 1 and row["measured knee"] == 2  # E: 900, 1000, 1200 > 1.25 * 900
    assert errors.loc[0.1, "McCandlish"] == pytest.approx(0, abs=1e-9)
    assert closest(table, "measured knee")[0.1] == "m*" and closest(table, "measured")[0.1] != "B_simple"
    assert float(doublings(row["B_simple"], row["measured knee"])) == pytest.approx(np.log2(15))


def test_a_seed_that_misses_the_target_removes_its_batch_size():
    frame = pd.DataFrame([{"target": 0.5, "b": b, "seed": s, "steps": np.nan if (b, s) == (4, 1) else 10.0 / b + 5,
                           "sfo": np.nan} for b in (1, 2, 4, 8) for s in range(2)])
    frame["sfo"] = frame.b * frame.steps
    means = predictions.mean_steps(frame)
    assert np.isnan(means.loc[(0.5, 4), "steps"]) and means.loc[(0.5, 2), "steps"] == 10.0


def table_of(targets: dict, prediction: float = 8.0) -> pd.DataFrame:
    """A predictions table with the given measured knees (and smallest-SFO b) per target, every
    prediction ``prediction``."""
    return pd.DataFrame({t: {"measured": knee, "measured knee": knee, "fitted b*": prediction, "m*": prediction,
                             "tr H/λ1": prediction, "B_simple": prediction, "B_simple, first row": prediction,
                             "McCandlish B_crit": prediction} for t, knee in targets.items()}).T


def errors_of(targets, paper1: float, mccandlish: float, missed) -> pd.DataFrame:
    return pd.DataFrame({t: {"Paper 1 K(b)": paper1, "McCandlish": mccandlish, "Paper 1: b with no finite K": missed}
                         for t in targets}).T


def problem_of(kind: str, seeds: dict, errors: pd.DataFrame, mean: pd.DataFrame | None = None) -> study.Problem:
    """A problem with one kind of target: ``seeds`` maps each seed to its table (the seed mean's
    is ``mean``, by default seed 0's), every seed with the same ``errors``."""
    mean = next(iter(seeds.values())) if mean is None else mean
    return study.Problem("toy", "toy", {kind: None}, {kind: mean}, {kind: errors},
                         {kind: {s: (t, errors) for s, t in seeds.items()}}, {kind: mean}, pd.DataFrame(), (kind,))


def verdicts_of(decided) -> dict:
    return {d.claim.name: d.verdict for d in decided}


def test_the_problem_claims_test_what_they_say():
    table = table_of({0.5: 4.0, 0.1: 32.0})
    decided = problem_claims(problem_of("training error", {0: table, 1: table}, errors_of([0.5, 0.1], 0.2, 0.3, 1)))
    assert all(d.claim.kind == QUESTION and d.claim.source.startswith("our question") for d in decided)
    assert verdicts_of(decided) == {
        claims.B_STAR.name: NOT_REPRODUCED,  # 8 against 32: two doublings
        claims.M_STAR.name: NOT_REPRODUCED,
        claims.M_TRACE.name: NOT_REPRODUCED,
        claims.B_SIMPLE.name: REPRODUCED,
        claims.MODELS.name: NOT_REPRODUCED,  # 0.2 against 0.3, whatever Paper 1 predicts elsewhere
        claims.EARLY_LATE.name: NOT_REPRODUCED}
    early_late, = decided.named(claims.EARLY_LATE.name)
    assert early_late.note == "knee 4 against 32" and early_late.setting == "toy; training error 0.5 → 0.1"
    assert early_late.spread == "seed 0: 3; seed 1: 3"


def test_a_prediction_one_doubling_off_the_grid_is_a_tie():
    """m* = 8 against a knee of 16 (one doubling, the factor 2 itself, read on a doubling grid):
    inconclusive, as is the knee that moves by one grid point from the loosest target."""
    table = table_of({0.5: 8.0, 0.1: 16.0})
    decided = problem_claims(problem_of("training error", {0: table, 1: table}, errors_of([0.5, 0.1], 0.5, 0.1, 0)))
    verdicts = verdicts_of(decided)
    assert verdicts[claims.M_STAR.name] == verdicts[claims.EARLY_LATE.name] == INCONCLUSIVE
    assert verdicts[claims.MODELS.name] == REPRODUCED


def test_one_seed_against_makes_a_prediction_inconclusive():
    agree, against = table_of({0.1: 8.0}), table_of({0.1: 64.0})
    decided = problem_claims(problem_of("training error", {0: agree, 1: agree, 2: against},
                                        errors_of([0.1], 0.5, 0.1, 0), mean=agree))
    assert verdicts_of(decided)[claims.M_STAR.name] == INCONCLUSIVE
    assert verdicts_of(problem_claims(problem_of("training error", {0: agree, 1: agree}, errors_of(
        [0.1], 0.5, 0.1, 0))))[claims.M_STAR.name] == REPRODUCED


def test_models_within_ten_percent_tie_and_no_fit_of_paper_1_is_said():
    tie = problem_claims(problem_of("gradient norm", {0: table_of({0.2: 8.0})}, errors_of([0.2], 0.52, 0.5, 1)))
    assert verdicts_of(tie)[claims.MODELS.name] == INCONCLUSIVE
    no_fit = problem_claims(problem_of("gradient norm", {0: table_of({0.2: 8.0})},
                                       errors_of([0.2], np.nan, 0.3, np.nan)))
    assert claims.EARLY_LATE.name not in verdicts_of(no_fit)  # one target: nothing to compare
    models, = no_fit.named(claims.MODELS.name)
    assert models.note.startswith("no fit") and models.verdict == REPRODUCED


def test_a_missing_target_on_one_seed_is_never_a_verdict():
    decided = problem_claims(problem_of("training error", {0: table_of({0.1: 8.0}), 1: table_of({0.2: 8.0})},
                                        errors_of([0.1, 0.2], 0.5, 0.1, 0), mean=table_of({0.1: 8.0})))
    assert set(verdicts_of(decided).values()) == {INCONCLUSIVE}


def test_full_batch_runs_made_once_count_for_every_seed():
    frame = pd.DataFrame([{"target": 0.1, "b": b, "seed": s, "steps": 1.0, "sfo": float(b)}
                          for b, seeds in ((1, (0, 1)), (2, (0, 1)), (100, (0,))) for s in seeds])
    by_seed = study._by_seed(frame)
    assert {s: sorted(f.b) for s, f in by_seed.items()} == {0: [1, 2, 100], 1: [1, 2, 100]}


def test_paper_3s_headline_m_star_is_decided_on_its_own_column():
    """tr H/λ1 = 9 against a knee of 8 (0.17 doublings: within the factor 2, clear of the tie) while β/λ1 + 1 = 64
    is three doublings off: the two definitions of m* are decided apart."""
    table = table_of({0.1: 8.0}, prediction=64.0).assign(**{"tr H/λ1": 9.0})
    verdicts = verdicts_of(problem_claims(problem_of("training error", {0: table, 1: table},
                                                     errors_of([0.1], 0.5, 0.1, 0))))
    assert verdicts[claims.M_TRACE.name] == REPRODUCED and verdicts[claims.M_STAR.name] == NOT_REPRODUCED


def test_only_the_decided_kinds_of_target_are_decided():
    table = table_of({0.1: 8.0})
    problem = study.Problem("toy", "toy", {}, {"a": table, "b": table}, {k: errors_of([0.1], 0.5, 0.1, 0) for k in "ab"},
                            {k: {0: (table, errors_of([0.1], 0.5, 0.1, 0))} for k in "ab"}, {}, pd.DataFrame(), ("b",))
    assert {d.setting.split("; ")[1].split()[0] for d in problem_claims(problem)} == {"b"}


class Run:
    """A stored result as the synthesis reads it: a config with a seed and a log."""

    def __init__(self, seed: int, steps: list[int], accuracies: list[float]):
        self.config = type("Config", (), {"seed": seed})()
        self.log = pd.DataFrame({"step": [0, *steps], "sfo": [0, *steps], "train_acc": [0.1, *accuracies]})


def test_the_step_size_is_tuned_per_batch_size_by_the_mean_steps_to_the_target():
    """At b = 4 eta = 0.1 is fastest; at b = 64 eta = 1 would be, but one seed never reaches the
    target, so eta = 0.3 is chosen; a step size not run at a b is no candidate there."""
    runs = {4: {0.1: [Run(0, [10, 20], [0.5, 0.97]), Run(1, [10], [0.97])],
                0.3: [Run(0, [30], [0.97]), Run(1, [30], [0.97])]},
            64: {0.1: [Run(0, [10, 20, 30], [0.5, 0.6, 0.97]), Run(1, [30], [0.97])],
                 0.3: [Run(0, [20], [0.97]), Run(1, [20], [0.97])],
                 1.0: [Run(0, [10], [0.97]), Run(1, [10, 20], [0.2, 0.1])]}}
    chosen, table = study.tune(runs, 0.97)
    assert table["tuned η"].to_dict() == {4: 0.1, 64: 0.3}
    assert table["on the grid's edge"].to_dict() == {4: True, 64: False}  # 0.1 is b = 4's smallest
    assert chosen[4] is runs[4][0.1] and chosen[64] is runs[64][0.3]
    assert table.loc[4, 0.1] == 15 and np.isnan(table.loc[64, 1.0]) and np.isnan(table.loc[4, 1.0])


def test_the_norm_range_bounds_the_gradient_norm_targets():
    """The deepest target is the largest of the runs' smallest norms after step 0 (a rise above
    the start, as the MLP's norm does, sets no target); the table shows what bounds the span."""
    runs = {}
    for b, norms in {4: [0.2, 0.9, 0.05, 0.08], 64: [0.2, 2.0, 0.1, 0.12]}.items():
        run = Run(0, [10, 20, 30], [0.5, 0.9, 0.98])
        run.log["grad_norm"] = norms
        runs[b] = [run]
    table = study.norm_range(runs)
    assert table.loc[4].tolist() == [0.2, 0.9, 0.05, 30] and table.loc[64].tolist() == [0.2, 2.0, 0.1, 30]
    levels = study._norm_levels(runs)
    assert levels[-1] == pytest.approx(table["smallest after step 0"].max()) and levels[0] < 0.2
