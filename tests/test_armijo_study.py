"""The experiments of Tsukada & Iiduka and the claims measured on them, on synthetic logs."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from critbatch.papers.armijo import claims as armijo_claims, study as armijo_study, theory as sfo
from critbatch.store import Result


def test_sweep_definition():
    runs = armijo_study.sweep_runs("reduced", seed=4)
    assert len(runs) == 6 * 9 and all(len(r) == 3 for r in runs.values())
    armijo = runs["SGD+Armijo", 64][0]
    assert armijo.optimizer["c"] == 0.05 and armijo.optimizer["max_step_size"] == 10.0 and armijo.lr is None
    assert armijo.stop == {"metric": "train_acc", "target": 0.97} and armijo.seed == 4 and armijo.patience == 3
    sgd = runs["SGD", 64][0]
    assert sgd.stop["target"] == 0.97 and sgd.eval_every == 235 and sgd.eval_unit == "step"  # 60000/64/4
    assert armijo_study.targets("reduced") == (0.97, 0.95) and armijo_study.targets("smoke") == (0.9, 0.85)


def test_cifar_settings_paper_and_substitute():
    paper = armijo_study.sweep_runs("paper", setting="cifar100")
    run = paper["SGD", 16][0]
    assert run.dataset == "cifar100" and run.model == {"kind": "resnet", "depth": 34} and run.train_subset is None
    assert run.stop == {"metric": "train_acc", "target": 0.99} and run.eval_every == 1563  # 50000/16/2
    assert not run.augment and not run.normalize and armijo_study.substitute("paper", "cifar10") is None
    reduced = armijo_study.sweep_runs("reduced", setting="cifar10")
    assert reduced == armijo_study.sweep_runs("reduced", setting="cifar100")  # one substitute for both
    sub = reduced["SGD+Armijo", 1024][1]
    assert (sub.dataset, sub.train_subset, sub.model["width"], sub.seed) == ("fashion-mnist", 4096, 8, 1)
    assert sub.eval_every == 2 and sub.patience == 10  # 4096/1024/2
    assert "Fashion-MNIST" in armijo_study.substitute("reduced", "cifar10")
    with pytest.raises(ValueError, match="setting must be one of"):
        armijo_study.sweep_runs("reduced", setting="imagenet")


def test_curves_share_the_armijo_run_of_the_step_sizes():
    curves, sizes = armijo_study.curve_runs("reduced"), armijo_study.step_size_runs("reduced")
    assert curves["SGD+Armijo"] == sizes[0.05] and sorted(sizes) == [0.01, 0.05, 0.1, 0.2, 0.3]
    assert curves["Adam"].batch_size["value"] == 128 and curves["Adam"].epochs == 20


def result(steps: int, acc_at_end: float, seed: int = 0, failed: int | None = None, b: int = 1) -> Result:
    log = {"step": [0, steps // 2, steps], "sfo": [0, b * steps // 2, b * steps], "train_acc": [0.1, 0.5, acc_at_end]}
    if failed is not None:
        log["failed_trials"] = [0, failed // 2, failed]
    config = dataclasses.replace(armijo_study.sweep_runs("smoke")["SGD", 8][0], seed=seed)
    return Result("key", config, pd.DataFrame(log), {"status": "reached" if acc_at_end >= 0.97 else "stalled"})


def sweep_from(steps_by_name: dict) -> dict:
    """{(name, b): [Result]} with K(b) given per name, every run reaching accuracy 0.98."""
    return {(name, b): [result(k, 0.98, b=b, failed=k // 10 if name == "SGD+Armijo" else None)]
            for name, ks in steps_by_name.items() for b, k in zip([4, 8, 16, 32], ks)}


def test_measure_average_and_critical():
    sweep = sweep_from({"SGD+Armijo": [1000, 400, 250, 200], "SGD": [2000, 800, 500, 400]})
    sweep["SGD", 32].append(result(300, 0.5, seed=1))  # a seed that never reaches the target
    table = armijo_claims.average(armijo_claims.measure(sweep, 0.97))
    assert table.loc[("SGD+Armijo", 8), "steps"] == 400 and table.loc[("SGD+Armijo", 8), "sfo"] == 3200
    assert table.loc[("SGD+Armijo", 8), "computations"] == 440  # 400 steps + 40 failed trials
    assert np.isnan(table.loc[("SGD", 32), "steps"])
    assert armijo_claims.critical_batch_sizes(table).to_dict() == {"SGD+Armijo": 8, "SGD": 8}


def test_shape_claims():
    table = armijo_claims.average(armijo_claims.measure(
        sweep_from({"A": [1000, 400, 250, 200], "B": [1000, 1100, 300, 100]}), 0.97))
    claims = armijo_claims.shape_claims(table, "f").set_index(["data", "paper"]).verdict
    assert claims["A"].tolist() == ["reproduced"] * 3
    assert claims[("B", "monotone decreasing")] == "not reproduced"  # rises 4 -> 8
    assert claims[("B", "exists")] == "not reproduced"  # N smallest at the last b


def test_claims_when_an_optimizer_never_reaches_the_target():
    sweep = sweep_from({"A": [1000, 400, 250, 200]})
    sweep |= {("B", b): [result(100, 0.5, b=b)] for b in [4, 8, 16, 32]}
    sweep["A", 4] = [result(100, 0.5, b=4)]  # A misses at b = 4: infinitely many steps there
    table = armijo_claims.average(armijo_claims.measure(sweep, 0.97))
    assert armijo_claims.critical_batch_sizes(table).to_dict() == {"A": 8}
    claims = armijo_claims.shape_claims(table, "f").set_index(["data", "paper"])
    assert claims.loc[("A", "monotone decreasing"), "ours"] == "decreases"
    assert claims.loc[("A", "convex"), "verdict"] == "reproduced"  # over b = 8, 16, 32
    assert (claims.loc["B"].ours == "target never reached").all()
    rows, fit = armijo_claims.fit_claims(table, "B", "f")
    assert fit is None and rows.ours[0] == "only 0 batch sizes reached the target"
    assert armijo_claims.fewest_steps_claims(table, "f", armijo="A").ours[0] == "75%"  # nobody at b = 4
    assert armijo_claims.evaluation_claims(table, "f", armijo="B").ours[0] == "0%"
    assert armijo_claims.two_target_claims(table, table, "B", "f").ours[0] == "a target never reached"


def test_fit_and_fewest_steps_claims():
    b = np.array([4, 8, 16, 32])
    exact = sfo.steps(b, c1=40.0, c2=1.0, eps=1.0)  # b* = 2
    table = armijo_claims.average(armijo_claims.measure(
        sweep_from({"SGD+Armijo": exact.round().astype(int), "SGD": (2 * exact).astype(int)}), 0.97))
    claims, fit = armijo_claims.fit_claims(table, "SGD+Armijo", "f")
    assert fit.b_star == pytest.approx(2.0, rel=0.05)
    assert armijo_claims.fewest_steps_claims(table, "f").verdict[0] == "reproduced"


def test_evaluation_and_two_target_claims():
    table = armijo_claims.average(armijo_claims.measure(
        sweep_from({"SGD+Armijo": [1000, 400, 250, 200], "SGD": [1050, 420, 260, 210]}), 0.97))
    evaluation = armijo_claims.evaluation_claims(table, "f")
    assert evaluation.ours[0] == "0%"  # 10% failed trials push Armijo above SGD's 5% margin
    stricter = table.copy()
    stricter["sfo"] = stricter.sfo * np.array([1, 1, 0.5, 1, 1, 1, 1, 1])  # minimum moves to b = 16
    claims = armijo_claims.two_target_claims(table, stricter, "SGD+Armijo", "f")
    assert claims.ours[0] == "8 → 16" and claims.verdict[0] == "reproduced"


def test_step_size_claims():
    def run(sizes, accs):
        log = pd.DataFrame({"step": [0, 10, 20], "train_acc": accs,
                            "step_sizes": [None, np.full(10, sizes), np.full(10, sizes / 2)]})
        return Result("key", {}, log, {})

    runs = {0.05: run(2.0, [0.1, 0.98, 0.99]), 0.1: run(1.0, [0.1, 0.9, 0.98]), 0.3: run(0.5, [0.1, 0.5, 0.9])}
    claims = armijo_claims.step_size_claims(runs, 0.97, "f")
    assert claims.verdict.tolist() == ["reproduced", "reproduced"] and claims.ours[1] == "c = 0.05"


def test_read_sweep_gathers_the_sections_results():
    sweep = sweep_from({"SGD+Armijo": [1000, 400, 250, 200], "SGD": [2000, 800, 500, 400]})
    sweep["SGD", 32].append(result(300, 0.5, seed=1))  # a seed that stalls
    read = armijo_study.read_sweep(sweep, 0.97, 0.95)
    assert read.critical.to_dict() == {"SGD+Armijo": 8, "SGD": 8} and list(read.by_target) == [0.95, 0.97]
    assert read.ends == {("SGD", 32): "1 of 2 seeds stalled at step 300"}
    assert read.unfinished.index.tolist() == [("SGD", 32)]
    assert set(read.claims.figure) == {"K(b), N(b)", "computations", "two targets"}
    two = read.claims_of("two targets", rebuttal=True)
    assert two.index.tolist() == [0, 1] and two.paper[0].startswith("CIFAR-10: 16 (loss ≤ 0.1)")
    assert read.failed_per_step.tolist() == pytest.approx([0.1, 0.1, 0.1, 0.1])
    held = read.claims_of("K(b), N(b)").verdict.eq("reproduced").sum()
    assert read.verdict("K(b), N(b)").startswith(f"{held} of {len(read.claims_of('K(b), N(b)'))} checks hold")
    assert "1 (optimizer, batch size) pairs did not reach the target with every seed (SGD at b = 32)" in read.verdict()
    assert read.two_targets_verdict().endswith("SGD+Armijo's goes 8 → 8.")


def test_steps_and_sfo_figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from critbatch.papers.armijo.figures import steps_and_sfo

    b = np.array([4, 8, 16, 32])
    sweep = sweep_from({"SGD+Armijo": sfo.steps(b, c1=40.0, c2=1.0, eps=1.0).round().astype(int)})
    sweep |= {("SGD", int(size)): [result(100, 0.5, b=int(size))] for size in b}  # never reaches the target
    read = armijo_study.read_sweep(sweep, 0.97, 0.95)
    fig, (ax_k, ax_n) = plt.subplots(1, 2)
    steps_and_sfo(ax_k, ax_n, read, "title")
    assert [t.get_text() for t in ax_k.get_legend().get_texts()] == ["fit, b* = 2", "SGD+Armijo", "SGD"]
    circles = [line for line in ax_n.lines if line.get_markersize() == 14]
    assert len(circles) == 1 and circles[0].get_xdata()[0] == read.critical["SGD+Armijo"]
    for ax in (ax_k, ax_n):  # SGD's four missing points are marked on the top edge of both axes
        assert sorted(x for line in ax.lines if line.get_gid() == "unfinished-edge" for x in line.get_xdata()) == [
            4, 8, 16, 32]
    assert [t.get_text() for t in ax_n.get_legend().get_texts()] == [
        f"SGD, b = {size}: stalled at step 100" for size in b]
    fig, (ax_k, ax_n) = plt.subplots(1, 2)
    steps_and_sfo(ax_k, ax_n, dataclasses.replace(read, fit=None), "title")  # no fit: no dashed curve
    assert not [line for line in ax_k.lines if line.get_linestyle() == "--"]
    plt.close("all")


def test_open_question_runs_reuse_the_stored_runs_and_change_one_thing():
    """The float32 and "updated" arms are the stored sweep and curve runs, keys unchanged by the new
    options; the other arms differ from them in the precision or in trial_bn only."""
    from critbatch.store import config_key

    runs = armijo_study.round_off_runs("reduced", seed=0)
    assert list(runs) == [("float32", 4), ("float64", 4), ("float32", 8), ("float64", 8)]
    assert [config_key(c) for c in runs["float32", 4]] == ["010c1b880bf28d2e", "927b098c060ac47b", "dfa776d1d06e3525"]
    assert [dataclasses.replace(c, dtype=None) for c in runs["float64", 4]] == runs["float32", 4]
    assert {c.dtype for c in runs["float64", 4]} == {"float64"}
    bn = armijo_study.trial_bn_runs("reduced", seed=0)
    assert sorted(bn) == [("frozen", 0), ("frozen", 1), ("updated", 0), ("updated", 1)]
    assert config_key(bn["updated", 0]) == "b714caaf77f7a2a2" == config_key(
        armijo_study.curve_runs("reduced", setting="cifar10")["SGD+Armijo"])
    frozen = bn["frozen", 1]
    assert frozen.optimizer == {**bn["updated", 1].optimizer, "trial_bn": "frozen"}
    assert dataclasses.replace(frozen, optimizer=bn["updated", 1].optimizer) == bn["updated", 1]


def precision_run(precision: str, b: int, seed: int, status: str, accs: list, sizes: list) -> Result:
    log = pd.DataFrame({"step": [0, 100, 200][:len(accs)], "train_acc": accs,
                        "step_sizes": [None] + [np.full(100, s) for s in sizes]})
    config = armijo_study.round_off_runs("smoke")["float32", 8][0]
    config = dataclasses.replace(config, seed=seed, dtype="float64" if precision == "float64" else None)
    return Result("key", config, log, {"status": status, "steps": int(log.step.iloc[-1])})


@pytest.mark.parametrize("double_reaches", [True, False])
def test_round_off_claims_and_verdict(double_reaches):
    collapsed = [precision_run("float32", 4, s, "stalled", [0.1, 0.93, 0.93], [0.1, 1e-10]) for s in (0, 1)]
    double = [precision_run("float64", 4, s, "reached", [0.1, 0.95, 0.98], [0.1, 0.05]) if double_reaches else
              precision_run("float64", 4, s, "stalled", [0.1, 0.93, 0.93], [0.1, 1e-12]) for s in (0, 1)]
    control = [precision_run("float32", 8, s, "reached", [0.1, 0.98], [0.1]) for s in (0, 1)]
    control_double = [precision_run("float64", 8, s, "reached", [0.1, 0.95, 0.98], [0.1, 0.2]) for s in (0, 1)]
    ends = armijo_claims.precision_ends({("float32", 4): collapsed, ("float64", 4): double,
                                         ("float32", 8): control, ("float64", 8): control_double}, 0.97)
    assert ends.loc["float32", 4, 0]["median step, last stretch"] == pytest.approx(1e-10)
    assert ends.loc["float32", 8, 1]["steps to target"] == 100
    claims = armijo_claims.round_off_claims(ends, "round-off")
    assert claims.verdict.eq("reproduced").tolist() == [double_reaches] * 2
    verdict = armijo_claims.round_off_verdict(claims, ends)
    assert verdict.startswith("Round-off confirmed" if double_reaches else "Round-off is not the explanation")
    assert ("reach the target in 200 steps" if double_reaches else "stalled at step 200") in verdict
    assert ("At b = 8, the control, they reach the target in 100 steps in float32 and reach the target in 200 "
            "steps in float64, ending at 0.1 and 0.2.") in verdict


def test_jumpiness_counts_drops_after_the_first_epoch():
    log = pd.DataFrame({"epoch": range(6), "train_acc": [0.1, 0.8, 0.7, 0.72, 0.6, 0.9]})
    jumps = armijo_claims.jumpiness(log)
    assert jumps == pytest.approx({"mean |change| (points)": (10 + 2 + 12 + 30) / 4, "drops > 5 points": 2,
                                   "largest drop (points)": 12})


@pytest.mark.parametrize("frozen_accs, effect", [
    ([0.1, 0.8, 0.82, 0.84, 0.86, 0.9], "remove"), ([0.1, 0.8, 0.7, 0.75, 0.8, 0.9], "reduce"),
    ([0.1, 0.8, 0.5, 0.72, 0.4, 0.9], "do not reduce")])
def test_trial_bn_claims_and_verdict(frozen_accs, effect):
    def run(accs, sizes=0.5):
        log = pd.DataFrame({"epoch": range(6), "step": range(0, 60, 10), "train_acc": accs, "test_acc": accs,
                            "batch_loss": [np.nan, 1, 0.9, 0.8, 0.7, 0.6], "failed_trials": range(0, 30, 5),
                            "step_sizes": [None] + [np.full(10, sizes)] * 5})
        return Result("key", {}, log, {})

    runs = {("updated", 0): run([0.1, 0.8, 0.7, 0.72, 0.6, 0.9]), ("frozen", 0): run(frozen_accs),
            ("updated", 1): run([0.1] * 6), ("frozen", 1): run([0.1] * 6, sizes=0.25)}
    table = armijo_claims.jumps(runs)
    assert table["failed trials per step"].tolist() == [0.5] * 4
    assert table["steps as updated"].tolist() == [True, True, True, False]
    claims = armijo_claims.trial_bn_claims(table, "trial statistics", "substitute")
    assert claims.verdict.eq("reproduced").tolist() == [effect != "do not reduce"] * 2 + [False]
    assert claims.ours[2] == "1 of 2 seeds equal"
    verdict = armijo_claims.trial_bn_verdict(table, "sub")
    assert f"frozen trial statistics {effect} the jumps" in verdict and verdict.endswith("0.50 trials per step.")
