"""Sato & Iiduka (papers/graduated): the closed forms against quadrature and Monte Carlo, the
four variants' schedules against the step counts of the paper's code, the polynomial noise
schedule, explicit graduated optimisation, and the configurations of the trained figures."""

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from critbatch import models, schedules
from critbatch.analysis.verdicts import DERIVED, INCONCLUSIVE, NOT_REPRODUCED, PAPER, QUESTION, REPRODUCED
from critbatch.chapters import configs_in
from critbatch.papers.graduated import claims as claims_of
from critbatch.papers.graduated import quoted, study, theory, trained
from critbatch.papers.graduated.chapter import CHAPTER
from critbatch.store import config_key


def test_gaussian_smoothing_closed_form_matches_quadrature_and_derivatives():
    x = np.linspace(-3, 3, 61)
    for delta in (0.05, 0.3, 0.52, 1.0):
        assert np.allclose(theory.quadrature(theory.rastrigin, x, delta), theory.rastrigin_smoothed(x, delta), atol=1e-9)
        h = 1e-4
        numeric = (theory.rastrigin_smoothed(x + h, delta) - theory.rastrigin_smoothed(x - h, delta)) / (2 * h)
        assert np.allclose(numeric, theory.rastrigin_smoothed_grad(x, delta), atol=1e-5)
        second = (theory.rastrigin_smoothed_grad(x + h, delta) - theory.rastrigin_smoothed_grad(x - h, delta)) / (2 * h)
        assert np.allclose(second, theory.rastrigin_smoothed_second(x, delta), atol=1e-4)
    assert np.allclose(theory.rastrigin_smoothed(x, 0.0), theory.rastrigin(x))


def test_monte_carlo_agrees_with_the_closed_form_within_its_standard_error():
    rng = np.random.default_rng(0)
    x = np.linspace(-2, 2, 21)
    estimate, error = theory.monte_carlo(theory.rastrigin, x, 0.4, "Gaussian", 20_000, rng)
    assert np.all(np.abs(estimate - theory.rastrigin_smoothed(x, 0.4)) <= 4.5 * error)


def test_convexity_threshold_numeric_equals_the_closed_form_and_the_notes():
    closed = theory.convexity_threshold()
    assert abs(theory.convexity_threshold_numeric() - closed) < 1e-5
    assert round(closed, 3) == quoted.CONVEXITY_THRESHOLD
    assert theory.rastrigin_smoothed_second(0.5, closed - 1e-3) < 0 < theory.rastrigin_smoothed_second(0.5, closed + 1e-3)
    assert abs(theory.rastrigin_smoothed_second(0.5, closed)) < 1e-9  # the minimum of f'' sits at x = 1/2


def test_noise_laws_and_their_means():
    rng = np.random.default_rng(1)
    means = {law: theory.sample_noise(law, 200_000, rng).mean() for law in ("Gaussian", "uniform", "exponential", "Rayleigh")}
    assert abs(means["Gaussian"]) < 0.01 and abs(means["uniform"]) < 0.01
    assert abs(means["exponential"] - 1.5) < 0.02 and abs(means["Rayleigh"] - math.sqrt(math.pi / 2)) < 0.01
    assert theory.sample_noise("Pareto", 1000, rng).min() >= 1 and theory.sample_noise("Lévy", 1000, rng).min() >= 1
    with pytest.raises(ValueError, match="unknown noise law"):
        theory.sample_noise("Student", 3, rng)


def test_polynomial_schedule_ratios_and_the_p_le_1_condition():
    for p in (0.5, 1.0, 2.0, 4.0):
        delta, gamma = theory.polynomial_noise(200, p), theory.polynomial_ratios(200, p)
        assert delta[0] == 1.0 and np.all(np.diff(delta) < 0)
        assert np.isclose(gamma.min(), 0.5**p) and (gamma.min() >= 0.5 - 1e-12) == (p <= 1)
        assert np.allclose(gamma, (np.arange(199, 0, -1) / np.arange(200, 1, -1)) ** p)


def test_explicit_go_converges_from_a_convex_start_and_gd_without_smoothing_does_not():
    start = np.full((1, 3), 3.2)  # near the local minimum at 3
    assert np.allclose(theory.explicit_go(start, [1.0] * 30 + [0.01], 20, 0.01), 0, atol=1e-3)
    stuck = theory.explicit_go(start, [0.0] * 31, 20, study.GD_STEP, scale_lr=False)
    assert np.allclose(stuck, 2.985, atol=0.002)  # the local minimum near 3
    assert np.allclose(theory.rastrigin_smoothed_grad(stuck, 0.0), 0, atol=1e-6)


def test_variant_schedules_reproduce_the_codes_step_counts_and_offset():
    paper = quoted.VARIANTS_PAPER
    for variant, steps in quoted.VARIANT_STEPS.items():
        lr, b = study.variant_schedules(variant, lr0=0.1, b0=32, epochs=200, every=40, offset=True)
        table = study.per_epoch(lr, b, 200, 50_000)
        assert table["steps so far"].iloc[-1] == steps
        assert table.lr.iloc[0] == paper["lr0"] and table.batch_size.iloc[0] == paper["b0"]
    lr, b = study.variant_schedules("batch", lr0=0.1, b0=32, epochs=200, every=40, offset=True)
    table = study.per_epoch(lr, b, 200, 50_000)
    assert table.batch_size.loc[[40, 41, 80, 81, 161]].tolist() == [32, 64, 64, 128, 512]
    lr, b = study.variant_schedules("hybrid", lr0=0.1, b0=32, epochs=200, every=40)
    fixed = study.per_epoch(lr, b, 200, 50_000)
    assert fixed.batch_size.loc[[39, 40]].tolist() == [32, 48]
    assert np.allclose(fixed["delta/C"].loc[[0, 40, 80, 120, 160]], 0.1 / math.sqrt(32) * 2 ** (-np.arange(5) / 2))


def test_the_training_loop_reads_the_variant_specs_as_per_epoch_steps():
    """The specs the F4 configs train with change value exactly at whole epochs."""
    lr, b = study.variant_schedules("hybrid", lr0=0.1, b0=32, epochs=40, every=8)
    lr_at, b_at = schedules.from_spec(lr), schedules.from_spec(b)
    at = [schedules.Progress(step=0, epoch=e, examples=0) for e in (7.99, 8.0, 39.5)]
    assert [lr_at(p) for p in at] == [0.1, 0.0866025403784, 0.05625]
    assert [schedules.as_batch_size(b_at(p)) for p in at] == [32, 48, 162]
    with pytest.raises(ValueError, match="unknown variant"):
        study.variant_schedules("warmup", lr0=0.1, b0=32, epochs=40, every=8)


def test_lr_schedule_specs_match_pytorch_schedulers():
    specs = study.lr_schedule_specs(0.1, 200)
    table = study.per_epoch(specs["polynomial p = 2"], {"kind": "constant", "value": 32}, 200, 50_000)
    assert np.isclose(table.lr.iloc[-1], 0.1 * (1 / 200) ** 2)
    cosine = study.per_epoch(specs["cosine"], {"kind": "constant", "value": 32}, 200, 50_000).lr
    assert np.isclose(cosine.iloc[100], 0.05)
    exponential = study.per_epoch(specs["exponential"], {"kind": "constant", "value": 32}, 3, 50_000).lr
    assert np.allclose(exponential, [0.1, 0.09, 0.081])


@pytest.mark.parametrize("figure", ["fig1-smoothing", "fig2-heavy-tails", "fig3-schedules", "theory",
                                    "fig8-explicit-go"])
def test_every_derived_claim_of_the_closed_forms_and_toys_holds_at_smoke_scale(figure):
    claims = CHAPTER[figure]("smoke").claims
    derived = claims.of_kind(DERIVED)
    assert len(derived) and all(d.verdict == REPRODUCED for d in derived)
    assert {d.data for d in claims} <= {"none: the paper's test functions", "none: closed form"}


def test_heavy_tails_do_not_settle_on_rastrigin():
    settle = study.heavy_tails("smoke").settle.set_index(["function", "law"])["relative spread"]
    assert settle["Rastrigin", "Cauchy"] > 0.01 and settle["Drop-Wave", "Cauchy"] < 0.01
    assert settle["Rastrigin", "Gaussian"] < 0.01


def test_substitute_configs_build_and_have_distinct_keys():
    configs = trained.substitute_configs("smoke")
    flat = [c for by_label in configs.values() for cs in by_label.values() for c in cs]
    assert len({config_key(c) for c in flat}) == len(flat)
    assert set(configs) == {"F4 four variants", "F5 LR schedules", "F6 (η, b) sweep", "F7 gradient noise"}
    reduced = trained.substitute_configs("reduced")
    assert all(len(cs) == 3 for figure in ("F4 four variants", "F6 (η, b) sweep", "F7 gradient noise")
               for cs in reduced[figure].values())
    assert all([c.seed for c in cs] == [0, 1, 2] for cs in reduced["F5 LR schedules"].values())
    hybrid = reduced["F4 four variants"]["hybrid"]
    assert (hybrid[0].lr, hybrid[0].batch_size) == study.variant_schedules("hybrid", lr0=0.1, b0=32, epochs=40, every=8)
    assert all(set(trained.SMOOTHING) <= set(c.metrics) for c in hybrid)  # the smoothing check on every seed
    with pytest.raises(ValueError, match="paper_configs"):
        trained.substitute_configs("paper")


def test_paper_configs_keep_the_papers_settings():
    configs = trained.paper_configs()
    resnet = configs["F4 four variants"]["batch"][0]
    assert (resnet.dataset, resnet.epochs, resnet.optimizer) == ("cifar100", 200, {"kind": "sgd"})
    net = models.build(resnet.model, (3, 32, 32), 100)
    assert round(sum(p.numel() for p in net.parameters()) / 1e6, 2) == 11.22  # the paper's ResNet-18
    assert len(configs["F6 (η, b) sweep"]) * 3 == 156
    assert configs["ImageNet four variants (not run here)"]["constant"][0].dataset == "imagenet"


@pytest.mark.parametrize("variant", study.VARIANTS)
def test_the_training_loop_takes_the_steps_and_batch_sizes_the_schedules_say(variant, tiny_mnist, tmp_path):
    """The F4 specs, trained: per epoch, the loop's lr, batch size and step count are those of
    :func:`study.per_epoch` (256 training images; a stage every epoch)."""
    from critbatch.train import TrainConfig, train

    lr, b = study.variant_schedules(variant, lr0=0.1, b0=24, epochs=4, every=1)
    config = TrainConfig(dataset="mnist", model={"kind": "mlp", "hidden": [16]}, optimizer={"kind": "sgd"}, lr=lr,
                         batch_size=b, epochs=4,
                         metrics=("train_loss", "noise_norm_b8") if variant == "hybrid" else ("train_loss",))
    log, summary = train(config, data_root=tmp_path, mirror=tiny_mnist, progress=False)
    expected = study.per_epoch(lr, b, 4, 256)
    assert summary["steps"] == expected["steps so far"].iloc[-1]
    assert log.step.tolist() == [0, *expected["steps so far"]]
    rows = log.iloc[:-1]  # a row at the start of every epoch reads that epoch's schedules
    assert np.allclose(rows.lr, expected.lr) and rows.batch_size.tolist() == expected.batch_size.tolist()
    if variant == "hybrid":  # a core measurement, named in a config, is logged at every row
        assert log.noise_norm_b8.notna().all() and (log.noise_norm_b8 > 0).all()




def keys(configs) -> set:
    return {config_key(c) for c in configs}


def test_the_chapter_lists_every_notebook_and_the_runs_of_each_scale():
    assert sorted(f.name for f in CHAPTER.figures) == sorted(
        p.stem for p in (Path(__file__).resolve().parents[1] / "notebooks" / "graduated").glob("*.ipynb"))
    for scale, figures in (("reduced", trained.substitute_configs("reduced")), ("paper", trained.paper_configs())):
        assert keys(CHAPTER["fig4-variants"].configs(scale)) == keys(configs_in(figures["F4 four variants"]))
        assert keys(CHAPTER["fig6-sharpness"].configs(scale)) == keys(configs_in(figures["F6 (η, b) sweep"]))
        # the smoothing check is measured along every seed of every F4 variant (three seeds)
        assert keys(CHAPTER["beyond-smoothing"].configs(scale)) == keys(configs_in(figures["F4 four variants"]))
        assert all(len(cs) == 3 and all("smoothing_delta" in c.metrics for c in cs)
                   for cs in figures["F4 four variants"].values())
    assert CHAPTER["fig5-lr-schedules"].configs("paper")[0].dataset == "cifar100"
    assert CHAPTER["theory"].configs("reduced") == [] and CHAPTER["fig1-smoothing"].data.startswith("none:")


# Each claim family decided on hand-made cases: a clear case, a tie, one seed against ----------------


def _variants(acc: dict, loss: dict | None = None, steps: dict | None = None) -> SimpleNamespace:
    """An F4 result: ``acc`` maps each seed to the four variants' accuracies."""
    steps = steps or {"constant": 5120, "lr": 5120, "batch": 2112, "hybrid": 2800}
    loss = loss or {"constant": 0.5, "lr": 0.1, "batch": 0.12, "hybrid": 0.11}
    tables = {seed: pd.DataFrame({"test acc (%)": a, "train loss": loss, "steps": steps}).loc[list(study.VARIANTS)]
              for seed, a in acc.items()}
    mean = sum(tables.values()) / len(tables)
    return SimpleNamespace(seeds=tables, finals=mean, substitute="a substitute")


def _verdicts(claims) -> dict:
    return {d.claim.name: d.verdict for d in claims}


def test_four_variant_claims_per_seed_ties_and_one_seed_against():
    good = {"constant": 80.0, "lr": 85.0, "batch": 85.5, "hybrid": 86.0}
    verdicts = _verdicts(claims_of.four_variants(_variants({0: good, 1: good})))
    assert set(verdicts.values()) == {REPRODUCED}
    against = {**good, "batch": 79.0}  # below constant, more than a point below lr, below lr
    verdicts = _verdicts(claims_of.four_variants(_variants({0: good, 1: against})))
    assert verdicts["F4 decay accuracy"] == verdicts["F4 batch accuracy"] == INCONCLUSIVE
    assert verdicts["F4 ImageNet order"] == INCONCLUSIVE and verdicts["F4 batch steps"] == REPRODUCED
    tie = {**good, "lr": 80.0, "batch": 85.0, "hybrid": 85.0}  # lr ties constant, hybrid ties batch
    verdicts = _verdicts(claims_of.four_variants(_variants({0: tie, 1: tie})))
    assert verdicts["F4 decay accuracy"] == verdicts["F4 ImageNet order"] == INCONCLUSIVE
    verdicts = _verdicts(claims_of.four_variants(_variants({0: against, 1: against})))
    assert verdicts["F4 decay accuracy"] == NOT_REPRODUCED
    decision = claims_of.four_variants(_variants({0: good}))
    assert {d.data for d in decision} == {"substitute: a substitute"}
    assert {d.claim.kind for d in decision} == {PAPER, DERIVED}


def _schedules(acc: dict) -> SimpleNamespace:
    paper = pd.DataFrame(quoted.LR_SCHEDULES, index=["paper test acc (%)", "paper train loss"]).T
    loss = paper["paper train loss"]
    tables = {seed: pd.DataFrame({"test acc (%)": a, "train loss": loss}).join(paper["paper test acc (%)"])
              for seed, a in acc.items()}
    return SimpleNamespace(seeds=tables, finals=sum(tables.values()) / len(tables), substitute=None)


def test_lr_schedule_claims_and_the_rank_correlations_p_value():
    paper = pd.Series({k: v[0] for k, v in quoted.LR_SCHEDULES.items()})
    verdicts = _verdicts(claims_of.lr_schedules(_schedules({0: paper + 10, 1: paper + 11})))
    assert set(verdicts.values()) == {REPRODUCED}  # the paper's own numbers, shifted
    reversed_ = pd.Series(paper.to_numpy()[::-1], index=paper.index)
    verdicts = _verdicts(claims_of.lr_schedules(_schedules({0: paper, 1: reversed_})))
    assert verdicts["F5 ranking"] == INCONCLUSIVE
    assert _verdicts(claims_of.lr_schedules(_schedules({0: reversed_})))["F5 ranking"] == NOT_REPRODUCED
    # equal groups: a tie, not a win
    flat = pd.Series(70.0, index=paper.index) + 1e-9 * np.arange(len(paper))
    assert _verdicts(claims_of.lr_schedules(_schedules({0: flat})))["F5 groups"] == INCONCLUSIVE


def _sweep(accuracy) -> SimpleNamespace:
    rows = [{"η": e, "b": b, "seed": seed, "δ": e / b**0.5 * (1 + 0.01 * seed), "η/√b": e / b**0.5,
             "sharpness": b**0.5 / e, "test acc (%)": accuracy(e / b**0.5, seed), "train loss": e * b}
            for seed in (0, 1) for e in (0.01, 0.05, 0.1, 0.5) for b in (32, 128, 512)]
    return SimpleNamespace(points=pd.DataFrame(rows), substitute="a substitute")


def test_sweep_claims_decide_concavity_by_a_permutation_test():
    def concave(delta, seed):
        return 90 - 10 * np.log10(delta / 0.01) ** 2

    verdicts = _verdicts(claims_of.sharpness_sweep(_sweep(concave)))
    assert verdicts["F6 concave"] == verdicts["F6 peak"] == verdicts["F6 δ sharpness"] == REPRODUCED
    assert claims_of.concavity(_sweep(concave).points[lambda p: p.seed == 0]) < 0.01

    def monotone(delta, seed):
        return np.log10(delta)

    verdicts = _verdicts(claims_of.sharpness_sweep(_sweep(monotone)))
    assert verdicts["F6 concave"] == verdicts["F6 peak"] == NOT_REPRODUCED

    def one_seed_concave(delta, seed):
        return concave(delta, seed) if seed == 0 else np.log10(delta)

    assert _verdicts(claims_of.sharpness_sweep(_sweep(one_seed_concave)))["F6 concave"] == INCONCLUSIVE


def test_sharpness_against_accuracy_at_equal_training_loss():
    rng = np.random.default_rng(0)
    loss = rng.uniform(0.1, 1.0, 24)
    through_loss = pd.DataFrame({"seed": np.repeat([0, 1], 12), "η": np.tile(np.repeat([0.01, 0.1, 0.5, 1.0], 3), 2),
                                 "b": np.tile([32, 128, 512], 8), "train loss": loss, "sharpness": loss,
                                 "test acc (%)": 90 - 10 * loss})
    through_loss["η/√b"] = through_loss["δ"] = through_loss["η"] / np.sqrt(through_loss["b"])
    through_loss["sharpness"] += rng.normal(0, 0.01, 24)  # tracks the loss, nothing else
    verdicts = _verdicts(claims_of.sharpness_sweep(SimpleNamespace(points=through_loss, substitute=None)))
    assert verdicts["F6 sharpness accuracy"] == NOT_REPRODUCED  # |ρ| near 1, through the loss
    assert verdicts["F6 sharpness accuracy at equal loss"] == REPRODUCED
    direct = through_loss.assign(sharpness=rng.uniform(0, 1, 24))
    direct["test acc (%)"] = 90 - 10 * direct.sharpness  # sharpness predicts accuracy, the loss does not
    verdicts = _verdicts(claims_of.sharpness_sweep(SimpleNamespace(points=direct, substitute=None)))
    assert verdicts["F6 sharpness accuracy at equal loss"] == NOT_REPRODUCED
    assert abs(claims_of.partial_spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5], [5, 4, 3, 2, 1])) < 1


def test_lr_schedule_claim_within_the_polynomial_family():
    paper = pd.Series({k: v[0] for k, v in quoted.LR_SCHEDULES.items()})
    assert _verdicts(claims_of.lr_schedules(_schedules({0: paper})))["F5 polynomial groups"] == REPRODUCED
    high_wins = paper.copy()
    high_wins[["polynomial p = 2", "polynomial p = 4", "polynomial p = 8"]] = 75.0
    verdicts = _verdicts(claims_of.lr_schedules(_schedules({0: high_wins, 1: high_wins})))
    assert verdicts["F5 polynomial groups"] == NOT_REPRODUCED


def test_noise_claims_fit_a_finite_population_exactly():
    n, C = 4096, 3.0
    b = np.array([2**k for k in range(12)])
    norms = pd.DataFrame({"E‖ω‖": C / np.sqrt(b) * np.sqrt((n - b) / (n - 1))}, index=pd.Index(b, name="b"))
    norms["model / measured"] = 1.0
    slope = np.polyfit(np.log(b[b <= n // 16]), np.log(norms["E‖ω‖"][b <= n // 16]), 1)[0]
    light = pd.DataFrame({"components": [8, 5000, 5000], "excess kurtosis": [90.0, 0.1, 0.5]})  # 8 numbers left out
    heavy = pd.DataFrame({"components": [5000, 5000, 5000], "excess kurtosis": [0.1, 0.5, 7.0]})
    fig = SimpleNamespace(norms=norms, slope=slope, slope_seen=slope, n=n, seed=0, kurtosis={32: 0.2, 512: 12.0},
                          intervals={"b ≤ n/16": (-0.55, -0.45), "8 ≤ b ≤ n/16": (-0.65, -0.5)},
                          layers={32: light, 512: heavy}, substitute="a substitute")
    fig.by_seed = {0: fig}
    assert [d.verdict for d in claims_of.gradient_noise(fig)] == (
        [REPRODUCED, INCONCLUSIVE, REPRODUCED, REPRODUCED, NOT_REPRODUCED, REPRODUCED, NOT_REPRODUCED])
    other = SimpleNamespace(**{**vars(fig), "kurtosis": {32: 5.0, 512: 12.0}})  # a second seed, heavy at b = 32
    two = SimpleNamespace(**{**vars(fig), "by_seed": {0: fig, 1: other}})
    tails = [d for d in claims_of.gradient_noise(two) if d.claim.name == "F7 light tails"]
    assert [d.seeds for d in tails] == [{0: 0.2, 1: 5.0}, {0: 12.0, 1: 12.0}]
    assert [d.verdict for d in tails] == [INCONCLUSIVE, NOT_REPRODUCED]  # the seeds disagree at b = 32
    fig.intervals = {"b ≤ n/16": (-0.75, -0.65), "8 ≤ b ≤ n/16": (math.nan, math.nan)}  # outside; unknown
    assert [v for k, v in _verdicts(claims_of.gradient_noise(fig)).items() if "slope" in k] == [
        NOT_REPRODUCED, INCONCLUSIVE]
    heavy.loc[0, "excess kurtosis"] = math.nan  # a constant tensor decides nothing, it is not skipped
    light.loc[1, "excess kurtosis"] = math.nan
    assert all(d.verdict == INCONCLUSIVE for d in claims_of.gradient_noise(fig) if d.claim.name == "F7 light tails per layer")
    assert claims_of.SLOPE_SEEN.chosen and claims_of.MODEL.chosen and not claims_of.SLOPE.chosen
    fig.intervals = {"b ≤ n/16": (-0.45, -0.3), "8 ≤ b ≤ n/16": (-0.55, -0.45)}  # b < 8 flattens the whole grid
    assert _verdicts(claims_of.gradient_noise(fig))["F7 slope"] == INCONCLUSIVE


def test_the_noise_slope_interval_widens_with_the_draws_spread_and_every_window_is_shown():
    b = [8, 16, 32, 64, 128, 256]
    rng = np.random.default_rng(1)
    tight = {k: 3 / np.sqrt(k) * (1 + 0.01 * rng.standard_normal(16)) for k in b}
    loose = {k: 3 / np.sqrt(k) * (1 + 0.3 * rng.standard_normal(16)) for k in b}
    low, high = trained._slope_interval(tight, b)
    assert low < -0.5 < high and high - low < 0.02
    low2, high2 = trained._slope_interval(loose, b)
    assert high2 - low2 > 5 * (high - low)
    assert all(np.isnan(trained._slope_interval({}, b)))  # a run that stored no draws
    windows = trained._windows(pd.Series([3 / np.sqrt(k) for k in b], index=b))
    assert windows.shape == (4, 4) and windows.count().sum() == 10 and np.allclose(windows.stack().dropna(), -0.5)


def test_gaussian_components_pooled_over_draws_of_unequal_scale_have_the_mixtures_kurtosis():
    from scipy import stats
    assert trained.pooled_gaussian_kurtosis([2.0] * 16) == pytest.approx(0.0)
    assert trained.pooled_gaussian_kurtosis([1.0, math.sqrt(3.0)]) == pytest.approx(0.75)  # 3 * 5 / 4 - 3
    rng = np.random.default_rng(0)
    norms = rng.uniform(0.5, 2.0, 16)
    pooled = np.concatenate([s * rng.standard_normal(200_000) for s in norms])
    assert stats.kurtosis(pooled) == pytest.approx(trained.pooled_gaussian_kurtosis(norms), abs=0.05)


def test_explicit_go_counts_a_tie_between_powers_as_no_win_and_decides_per_set_of_starts():
    success = pd.DataFrame({"p = 0.5": [1.0, 0.9], "p = 1": [1.0, 0.8], "p = 2": [1.0, 0.5], "p = 4": [1.0, 0.1],
                            "no smoothing": [0.0, 0.0]}, index=pd.Index([50, 10], name="rounds M"))
    fig = SimpleNamespace(success=success, budget=50, seeds={0: success.copy(), 1: success.copy()},
                          setting={"dimension": 50, "starts": 100})
    best = [d.verdict for d in claims_of.explicit_go(fig) if d.claim.name == "F8 p ≤ 1 best"]
    assert best == [INCONCLUSIVE, REPRODUCED]  # all succeed at M = 50: a tie; p ≤ 1 ahead at M = 10
    assert _verdicts(claims_of.explicit_go(fig))["F8 falls with p"] == REPRODUCED
    fig.success.loc[10, "p = 2"] = 0.8 + 1e-16  # a mean of shares may rise by round-off: no rise
    fig.success.loc[10, "p = 1"] = 0.8
    assert _verdicts(claims_of.explicit_go(fig))["F8 falls with p"] == REPRODUCED
    fig.success.loc[10, "p = 2"] = 0.5
    fig.seeds[1].loc[10, "p = 4"] = 0.95  # p = 4 beats p = 2 at M = 10 from one set of starts only
    assert _verdicts(claims_of.explicit_go(fig))["F8 falls with p"] == INCONCLUSIVE
    fig.seeds[0].loc[10, "p = 4"] = fig.success.loc[10, "p = 4"] = 0.95  # and from every set
    assert _verdicts(claims_of.explicit_go(fig))["F8 falls with p"] == NOT_REPRODUCED


def _smoothing_fig(trace: pd.DataFrame) -> SimpleNamespace:
    return SimpleNamespace(trace=trace, deltas=trained.measured_deltas(trace), substitute="a substitute")


def test_the_smoothing_check_is_the_books_question():
    trace = pd.DataFrame({"seed": 0, "variant": ["constant", "constant", "lr", "lr", "lr"], "epoch": [1, 2, 1, 2, 3],
                          "lr": [0.1, 0.1, 0.1, 0.05, 0.05], "batch_size": [32, 32, 32, 32, 512],
                          "ratio": [1.0, 1.5, 1.2, 300.0, 1e6], "smoothing_delta": [0.1, 0.2, 0.3, 0.4, 1e-6],
                          "SGD excess": [1.0, 3.0, 2.0, 5.0, 4.0], "smoothing_f": [1.0, 0.5, 0.4, 0.3, 0.2]})
    trace["degenerate"] = trace.batch_size >= 512  # left out of the claims on the trace
    trace = trace[~trace.degenerate | (trace.epoch < 3)].reset_index(drop=True)  # the lr run ends at b = 32
    fig = _smoothing_fig(trace)
    claims = claims_of.smoothing_check(fig)
    assert {d.claim.kind for d in claims} == {QUESTION}
    verdicts = [d.verdict for d in claims]
    assert verdicts[:2] == [REPRODUCED, REPRODUCED]
    # the constant run's δ doubles (a factor 2: kept); lr's grows (shrink 0.75) where the schedule halves it
    assert fig.deltas.loc[(0, "lr"), "scheduled shrink"] == pytest.approx(2.0)
    assert verdicts[3:] == [REPRODUCED, NOT_REPRODUCED]
    with_degenerate = pd.concat([trace, trace.iloc[[-1]].assign(batch_size=512, degenerate=True, ratio=1e9)])
    # the degenerate checkpoint's ratio of 1e9 is left out
    assert claims_of.smoothing_check(_smoothing_fig(with_degenerate)).decisions[0].mean == pytest.approx(1.35)
    # a second seed decided on its own checkpoints: where it disagrees, the claim is not reproduced on every seed
    second = trace.assign(seed=1, **{"SGD excess": trace["SGD excess"][::-1].to_numpy()})
    both = claims_of.smoothing_check(_smoothing_fig(pd.concat([trace, second], ignore_index=True)))
    order = both.decisions[1]
    assert set(order.seeds) == {0, 1} and order.seeds[0] > 0 > order.seeds[1]
    assert order.verdict != REPRODUCED and both.decisions[0].verdict == REPRODUCED
