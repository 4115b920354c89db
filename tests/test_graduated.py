"""Sato & Iiduka (papers/graduated): the closed forms against quadrature and Monte Carlo, the
four variants' schedules against the step counts of the paper's code, the polynomial noise
schedule, explicit graduated optimisation, and the configurations of the trained figures."""

import math

import numpy as np
import pandas as pd
import pytest

from critbatch import models, schedules
from critbatch.papers.graduated import claims as claims_of
from critbatch.papers.graduated import quoted, study, theory, trained
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


@pytest.mark.parametrize("figure", ["smoothing", "heavy_tails", "schedules", "ladder", "explicit_go"])
def test_every_closed_form_figure_holds_its_claims_at_smoke_scale(figure):
    result = getattr(study, figure)("smoke")
    assert set(result.claims.columns) == {"figure", "data", "claim", "paper", "ours", "verdict"}
    assert result.verdict.startswith(f"{len(result.claims)} of {len(result.claims)} claims hold")


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
    assert all(len(cs) == 2 for figure in ("F4 four variants", "F5 LR schedules", "F6 (η, b) sweep")
               for cs in reduced[figure].values())
    hybrid = reduced["F4 four variants"]["hybrid"]
    assert (hybrid[0].lr, hybrid[0].batch_size) == study.variant_schedules("hybrid", lr0=0.1, b0=32, epochs=40, every=8)
    assert set(trained.SMOOTHING) <= set(hybrid[0].metrics) and not set(trained.SMOOTHING) & set(hybrid[1].metrics)
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


def _verdicts(table: pd.DataFrame) -> list[bool]:
    return list(table.verdict.eq("reproduced"))


def test_four_variant_claims_follow_the_numbers():
    finals = pd.DataFrame({"test acc (%)": [80.0, 85.0, 85.5, 86.0], "train loss": [0.5, 0.1, 0.12, 0.11],
                           "steps": [5120, 5120, 2112, 2800]}, index=list(study.VARIANTS))
    assert _verdicts(claims_of.four_variants(finals)) == [True, True, True, True]
    finals.loc["batch", "test acc (%)"] = 79.0  # below constant, and more than a point below lr
    assert _verdicts(claims_of.four_variants(finals)) == [False, True, False, False]


def test_noise_claims_fit_a_finite_population_exactly():
    n, C = 4096, 3.0
    b = np.array([2**k for k in range(12)])
    norms = pd.DataFrame({"E‖ω‖": C / np.sqrt(b) * np.sqrt((n - b) / (n - 1))}, index=pd.Index(b, name="b"))
    norms["model / measured"] = 1.0
    slope = np.polyfit(np.log(b[b <= n // 16]), np.log(norms["E‖ω‖"][b <= n // 16]), 1)[0]
    table = claims_of.gradient_noise(norms, slope, slope, 8, {32: 0.2, 512: 12.0}, n)
    assert _verdicts(table) == [True, True, True, True, False]
    norms.loc[[1, 2], "E‖ω‖"] = norms.loc[[1, 2], "E‖ω‖"] / 4  # too few examples seen at b < 8
    slope = np.polyfit(np.log(b[b <= n // 16]), np.log(norms["E‖ω‖"][b <= n // 16]), 1)[0]
    assert _verdicts(claims_of.gradient_noise(norms, slope, -0.5, 8, {}, n)) == [False, True, True]


def test_sweep_claims_read_the_correlations_and_the_concave_fit():
    etas, sizes = [0.01, 0.1, 1.0], [16, 256]
    points = pd.DataFrame([{"η": e, "b": b, "δ": e / b**0.5, "sharpness": b**0.5 / e,
                            "test acc (%)": 90 - 10 * np.log10(e / b**0.5 / 0.03) ** 2} for e in etas for b in sizes])
    correlations = pd.DataFrame({"δ with each run's C": [-1.0, 0.1, 0.3], "δ ∝ η/√b (one C)": [-1.0, 0.1, 0.3]},
                                index=["δ, sharpness", "sharpness, test acc", "δ, test acc"])
    assert _verdicts(claims_of.sharpness_sweep(points, correlations)) == [True, True, True]
    points["test acc (%)"] = np.log10(points["δ"])  # monotone: no peak inside the range
    assert not _verdicts(claims_of.sharpness_sweep(points, correlations))[2]
