"""The experiments of Tsukada & Iiduka, the chapter's table of figures, and the claims decided per seed
on synthetic logs: a tie (within one check interval, one grid point) is inconclusive, and so is one
seed against the others."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from critbatch.analysis.verdicts import INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED
from critbatch.papers.armijo import claims as armijo_claims, study as armijo_study, theory as sfo
from critbatch.papers.armijo.chapter import CHAPTER
from critbatch.store import Result


def test_sweep_definition():
    runs = armijo_study.sweep_runs("reduced", seed=4)
    assert len(runs) == 6 * 9 and all(len(r) == 5 for r in runs.values())
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


def test_step_size_runs_to_the_target_are_the_sweeps():
    """Each Armijo constant at b = 128, stopping at the target as the sweep does; c = 0.05 is the sweep's run."""
    sweep, reach = armijo_study.sweep_runs("reduced"), armijo_study.reach_step_size_runs("reduced")
    assert sorted(reach) == [0.01, 0.05, 0.1, 0.2, 0.3] and reach[0.05] == sweep["SGD+Armijo", 128]
    run = reach[0.2][1]
    assert dataclasses.replace(run, optimizer={**run.optimizer, "c": 0.05}) == sweep["SGD+Armijo", 128][1]
    assert len(CHAPTER["mnist-step-sizes"].configs("reduced")) == 5 + 5 * 5


def result(steps: int, acc_at_end: float, seed: int = 0, failed: int | None = None, b: int = 1,
           check: int = 10) -> Result:
    log = {"step": [0, steps // 2, steps], "sfo": [0, b * steps // 2, b * steps], "train_acc": [0.1, 0.5, acc_at_end]}
    if failed is not None:
        log["failed_trials"] = [0, failed // 2, failed]
    config = dataclasses.replace(armijo_study.sweep_runs("smoke")["SGD", 8][0], seed=seed, eval_every=check)
    return Result("key", config, pd.DataFrame(log), {"status": "reached" if acc_at_end >= 0.97 else "stalled"})


def sweep_from(steps_by_name: dict, seed: int = 0) -> dict:
    """{(name, b): [Result]} with K(b) given per name, every run reaching accuracy 0.98, checked every 10 steps."""
    return {(name, b): [result(k, 0.98, seed=seed, b=b, failed=k // 10 if name == "SGD+Armijo" else None)]
            for name, ks in steps_by_name.items() for b, k in zip([4, 8, 16, 32], ks)}


def measured(*per_seed: dict) -> pd.DataFrame:
    """:func:`armijo_claims.measure` of one sweep per seed (seeds 0, 1, ...)."""
    return pd.concat([armijo_claims.measure(sweep_from(steps, seed), 0.97) for seed, steps in enumerate(per_seed)],
                     ignore_index=True)


def verdicts(claims) -> dict:
    return {(d.claim.name, d.setting): d.verdict for d in claims}


def test_every_notebook_is_a_figure_and_the_runs_are_todays():
    from pathlib import Path

    notebooks = sorted(p.stem for p in (Path(__file__).parents[1] / "notebooks" / "armijo").glob("*.ipynb"))
    assert sorted(f.name for f in CHAPTER.figures) == notebooks
    mnist = [c for configs in armijo_study.sweep_runs("reduced").values() for c in configs]
    for name in ("mnist-steps-sfo", "mnist-evaluations", "mnist-two-targets"):
        assert CHAPTER[name].configs("reduced") == mnist and CHAPTER[name].at_paper_scale("reduced")
    cifar = CHAPTER["cifar-steps-sfo"]
    assert len(cifar.configs("reduced")) == 6 * 9 * 3 and len(cifar.configs("paper")) == 2 * 6 * 9 * 3
    # traces: c = 0.05 is the curves' Armijo run; to the target: five c on three seeds
    assert len(CHAPTER["cifar-step-sizes-curves"].configs("reduced")) == 5 + 5 + 5 * 3
    assert len(CHAPTER["open-questions"].configs("reduced")) == 4 * 5 + 2 * 3  # round-off: two b, two precisions, five seeds; trial statistics: two arms, three seeds


def test_measure_average_and_critical():
    sweep = sweep_from({"SGD+Armijo": [1000, 400, 250, 200], "SGD": [2000, 800, 500, 400]})
    sweep["SGD", 32].append(result(300, 0.5, seed=1))  # a seed that never reaches the target
    table = armijo_claims.average(armijo_claims.measure(sweep, 0.97))
    assert table.loc[("SGD+Armijo", 8), "steps"] == 400 and table.loc[("SGD+Armijo", 8), "sfo"] == 3200
    assert table.loc[("SGD+Armijo", 8), "computations"] == 440  # 400 steps + 40 failed trials
    assert table.loc[("SGD+Armijo", 8), "check"] == 10
    assert np.isnan(table.loc[("SGD", 32), "steps"])
    assert armijo_claims.critical_batch_sizes(table).to_dict() == {"SGD+Armijo": 8, "SGD": 8}


def test_shape_claims_per_seed_with_one_check_of_resolution():
    runs = measured({"A": [1000, 400, 250, 200], "B": [1000, 1100, 300, 100], "C": [1000, 1005, 300, 100]})
    decided = verdicts(armijo_claims.sweep_claims(runs, "toy", "none: synthetic logs"))
    assert [decided[name, "toy, A"] for name in ("K falls", "K convex", "critical inside")] == [REPRODUCED] * 3
    assert decided["K falls", "toy, B"] == NOT_REPRODUCED  # rises by 10 checks from b = 4 to 8
    assert decided["critical inside", "toy, B"] == NOT_REPRODUCED  # N smallest at the last b, by 5 checks
    assert decided["K falls", "toy, C"] == INCONCLUSIVE  # rises by half a check: a tie
    # one seed whose K rises: the seeds disagree
    two = measured({"A": [1000, 400, 250, 200]}, {"A": [1000, 1100, 300, 100]})
    assert verdicts(armijo_claims.sweep_claims(two, "toy", "real"))["K falls", "toy, A"] == INCONCLUSIVE


def test_a_convexity_break_within_two_checks_is_a_tie():
    # chord at b = 16 through K(8) = 400 and K(32) = 200 is 333; K(16) = 350 sits 1.7 checks above it
    runs = measured({"A": [1000, 400, 350, 200]})
    assert armijo_claims.largest_excess(armijo_claims.average(runs), "A") == pytest.approx(1.67, abs=0.01)
    assert verdicts(armijo_claims.sweep_claims(runs, "toy", "real"))["K convex", "toy, A"] == INCONCLUSIVE
    far = measured({"A": [1000, 400, 380, 200]})  # 4.7 checks above: not convex
    assert verdicts(armijo_claims.sweep_claims(far, "toy", "real"))["K convex", "toy, A"] == NOT_REPRODUCED


def test_claims_when_an_optimizer_never_reaches_the_target():
    sweep = sweep_from({"A": [1000, 400, 250, 200]})
    sweep |= {("B", b): [result(100, 0.5, b=b)] for b in [4, 8, 16, 32]}
    sweep["A", 4] = [result(100, 0.5, b=4)]  # A misses at b = 4: infinitely many steps there
    runs = armijo_claims.measure(sweep, 0.97)
    table = armijo_claims.average(runs)
    assert armijo_claims.critical_batch_sizes(table).to_dict() == {"A": 8}
    assert armijo_claims.largest_change(table, "A") == -5  # never -> 400 -> 250 -> 200: the last fall, 5 checks
    decided = verdicts(armijo_claims.sweep_claims(runs.assign(optimizer=runs.optimizer.replace("A", "SGD+Armijo")),
                                                  "toy", "real"))
    assert decided["K convex", "toy, SGD+Armijo"] == REPRODUCED  # over b = 8, 16, 32
    assert {decided[name, "toy, B"] for name in ("K falls", "K convex", "critical inside")} == {INCONCLUSIVE}
    assert np.isnan(armijo_claims.fit_error(table, "B"))
    assert armijo_claims.least_work_margin(table, "B") == np.inf  # B never reaches: never the least work


def test_fit_and_fewest_claims():
    b = np.array([4, 8, 16, 32])
    exact = sfo.steps(b, c1=40.0, c2=3.0, eps=1.0)  # b* = 6; measured: 8
    runs = measured({"SGD+Armijo": exact.round().astype(int), "SGD": (2 * exact).astype(int)})
    table = armijo_claims.average(runs)
    # N = 640, 512, 788, 1412: b = 4 and 16 within one check of examples (32 * 10) of b = 8's, so b* is 4 to 16
    assert armijo_claims.critical_range(table, "SGD+Armijo") == (4, 16) and armijo_claims.critical_ranges(
        table).to_dict() == {"SGD+Armijo": "4 to 16", "SGD": "4 to 8"}
    assert armijo_claims.fit_error(table, "SGD+Armijo") == 0  # the fitted 6 is inside the range
    assert verdicts(armijo_claims.sweep_claims(runs, "toy", "real"))["fit", "toy, SGD+Armijo"] == REPRODUCED
    assert armijo_claims.fewest_claims(runs, "toy", "real").decisions[0].verdict == REPRODUCED
    # 10% failed trials push SGD+Armijo's computations 5 checks above SGD's steps at b = 4
    close = measured({"SGD+Armijo": [1000, 400, 250, 200], "SGD": [1050, 420, 260, 210]})
    assert armijo_claims.fewest_claims(close, "toy", "real").decisions[0].verdict == NOT_REPRODUCED
    tie = measured({"SGD+Armijo": [1000, 400, 250, 200], "SGD": [1105, 445, 280, 225]})  # 0.5 checks below
    assert armijo_claims.fewest_claims(tie, "toy", "real").decisions[0].verdict == INCONCLUSIVE


def test_two_target_claims_need_more_than_one_grid_point():
    looser = measured({"A": [1000, 400, 250, 200]}, {"A": [1000, 400, 250, 200]})  # b* = 8 on both seeds

    def stricter(*factors):  # b* moves to where the factor halves N
        runs = looser.copy()
        for seed, b in enumerate(factors):
            runs.loc[(runs.seed == seed) & (runs.b == b), "sfo"] /= 4
        return runs

    def verdict(runs):
        return armijo_claims.two_target_claims(looser, runs, "toy", "real").decisions[0]

    assert verdict(stricter(32, 32)).verdict == REPRODUCED  # 8 -> 32: two grid points
    assert verdict(stricter(16, 16)).verdict == INCONCLUSIVE  # 8 -> 16: one grid point, a tie
    assert verdict(stricter(32, 8)).verdict == INCONCLUSIVE  # one seed moves, the other does not
    assert verdict(stricter(4, 4)).verdict == INCONCLUSIVE  # 8 -> 4: within the grid point
    assert verdict(looser).seeds == {0: 0.0, 1: 0.0}
    # N(32) within one check of examples of N(8) at the stricter target: b* is 8 to 32, overlapping 8: no move
    tied = looser.copy()
    tied.loc[tied.b == 32, "sfo"] = tied.loc[tied.b == 8, "sfo"].to_numpy() + 300
    assert verdict(tied).seeds == {0: 0.0, 1: 0.0} and verdict(tied).verdict == INCONCLUSIVE


def step_size_run(sizes, accs, seed=0):
    log = pd.DataFrame({"step": [0, 10, 20, 30, 40][:len(accs)], "train_acc": accs,
                        "step_sizes": [None] + [np.full(10, sizes)] * (len(accs) - 1)})
    return Result("key", dataclasses.replace(armijo_study.step_size_runs("smoke")[0.05], seed=seed), log, {})


def test_step_size_claims_on_one_seed():
    runs = {0.01: [step_size_run(4.0, [0.1, 0.5, 0.6, 0.7, 0.98])], 0.05: [step_size_run(2.0, [0.1, 0.98, 0.99])],
            0.1: [step_size_run(1.0, [0.1, 0.9, 0.98])], 0.3: [step_size_run(0.5, [0.1, 0.5, 0.9])]}
    for results in runs.values():
        results[0] = dataclasses.replace(results[0], config=dataclasses.replace(results[0].config, eval_every=10,
                                                                                 eval_unit="step"))
    claims, table = armijo_claims.reach_step_size_claims(runs, 0.97, "toy", "real")
    assert table["steps to target"].tolist()[:3] == [40, 10, 20] and table.check.tolist() == [10.0] * 4
    assert [d.verdict for d in claims] == [REPRODUCED, REPRODUCED]  # c = 0.05 needs 3 checks fewer than c = 0.01
    assert [d.spread for d in claims] == ["seed 0: 0.5", "seed 0: -3"]  # one seed, and the table says so
    # 1.5 at c = 0.2 after 1.0 at c = 0.1: the steps grow with c
    runs[0.2] = [dataclasses.replace(step_size_run(1.5, [0.1, 0.5, 0.6, 0.7, 0.98]), config=runs[0.3][0].config)]
    assert armijo_claims.reach_step_size_claims(runs, 0.97, "toy", "real")[0].decisions[0].verdict == NOT_REPRODUCED


def test_conv_step_sizes_reach_the_target_on_three_seeds():
    sweep, reach = armijo_study.sweep_runs("reduced", setting="cifar10"), armijo_study.reach_step_size_runs(
        "reduced", setting="cifar10")
    assert sorted(reach) == list(armijo_study.ARMIJO_CONSTANTS) and {len(runs) for runs in reach.values()} == {3}
    assert reach[0.05] == sweep["SGD+Armijo", 128]  # c = 0.05 is the sweep's run, whose three seeds it shares
    assert {c.stop["target"] for runs in reach.values() for c in runs} == {0.99}
    assert len(armijo_study.reach_step_size_runs("smoke", setting="cifar10")[0.05]) == 1


def test_reach_step_size_claims_per_seed():
    def runs(*per_seed):  # per seed: {c: (median step, steps to the target)}, checked every 10 steps
        return {c: [checked_every_10(step_size_run(seeds[c][0], [0.1] + [0.5] * (seeds[c][1] // 10 - 1) + [0.98],
                                                   seed=s)) for s, seeds in enumerate(per_seed)] for c in per_seed[0]}

    def checked_every_10(run):
        return dataclasses.replace(run, config=dataclasses.replace(run.config, eval_every=10, eval_unit="step"))

    moderate_first = {0.01: (4.0, 40), 0.05: (2.0, 20), 0.1: (1.0, 20), 0.3: (0.5, 40)}
    claims, table = armijo_claims.reach_step_size_claims(runs(moderate_first, moderate_first), 0.97, "toy", "real")
    assert [d.verdict for d in claims] == [REPRODUCED, REPRODUCED] and claims.decisions[1].seeds == {0: -2, 1: -2}
    assert table["steps to target"].tolist() == [40, 20, 20, 40] and table.check.tolist() == [10.0] * 4
    one_check = {**moderate_first, 0.01: (4.0, 30)}  # c = 0.01 one check behind: a tie on that seed
    assert [d.verdict for d in armijo_claims.reach_step_size_claims(runs(moderate_first, one_check), 0.97, "toy",
                                                                    "real")[0]] == [REPRODUCED, INCONCLUSIVE]
    small_c_first = {0.01: (4.0, 10), 0.05: (2.0, 30), 0.1: (1.0, 30), 0.3: (1.5, 40)}  # the step grows to c = 0.3
    assert [d.verdict for d in armijo_claims.reach_step_size_claims(runs(small_c_first, small_c_first), 0.97, "toy",
                                                                    "real")[0]] == [NOT_REPRODUCED, NOT_REPRODUCED]


def test_read_sweep_gathers_the_sections_results():
    sweep = sweep_from({"SGD+Armijo": [1000, 400, 250, 200], "SGD": [2000, 800, 500, 400]})
    sweep["SGD", 32].append(result(300, 0.5, seed=1))  # a seed that stalls
    read = armijo_study.read_sweep(sweep, 0.97, 0.95)
    assert read.critical.to_dict() == {"SGD+Armijo": 8, "SGD": 8} and list(read.by_target) == [0.95, 0.97]
    assert read.ends == {("SGD", 32): "1 of 2 seeds stalled at step 300"}
    assert read.unfinished.index.tolist() == [("SGD", 32)]
    assert list(read.measured) == [0.95, 0.97] and len(read.measured[0.97]) == 9
    assert read.failed_per_step.tolist() == pytest.approx([0.1, 0.1, 0.1, 0.1])
    assert read.fit is not None and read.fit.batch_sizes == (4, 8, 16, 32)


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
    assert [config_key(c) for c in runs["float32", 4]][:3] == ["010c1b880bf28d2e", "927b098c060ac47b", "dfa776d1d06e3525"]
    assert [dataclasses.replace(c, dtype=None) for c in runs["float64", 4]] == runs["float32", 4]
    assert {c.dtype for c in runs["float64", 4]} == {"float64"}
    bn = armijo_study.trial_bn_runs("reduced", seed=0)
    assert sorted(bn) == [(arm, s) for arm in ("frozen", "updated") for s in range(3)]
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


def test_round_off_claims():
    collapsed = [precision_run("float32", 4, s, "stalled", [0.1, 0.93, 0.93], [0.1, 1e-10]) for s in (0, 1)]
    reached = [precision_run("float64", 4, s, "reached", [0.1, 0.95, 0.98], [0.1, 0.05]) for s in (0, 1)]
    stalled = precision_run("float64", 4, 1, "stalled", [0.1, 0.93, 0.93], [0.1, 1e-12])
    control = [precision_run(p, 8, s, "reached", [0.1, 0.98], [0.1]) for p in ("float32", "float64") for s in (0, 1)]

    def decided(double):
        ends = armijo_claims.precision_ends({("float32", 4): collapsed, ("float64", 4): double,
                                             ("float32", 8): control[:2], ("float64", 8): control[2:]}, 0.97)
        return ends, [d.verdict for d in armijo_claims.round_off_claims(ends)]

    ends, both = decided(reached)
    assert ends.loc["float32", 4, 0]["median step, last stretch"] == pytest.approx(1e-10)
    assert ends.loc["float32", 8, 1]["steps to target"] == 100
    assert both == [REPRODUCED, REPRODUCED]
    assert decided([reached[0], stalled])[1] == [INCONCLUSIVE, INCONCLUSIVE]  # one seed still collapses


def test_jumpiness_counts_drops_after_the_first_epoch():
    log = pd.DataFrame({"epoch": range(6), "train_acc": [0.1, 0.8, 0.7, 0.72, 0.6, 0.9]})
    jumps = armijo_claims.jumpiness(log)
    assert jumps == pytest.approx({"mean |change| (points)": (10 + 2 + 12 + 30) / 4, "drops > 5 points": 2,
                                   "largest drop (points)": 12})


@pytest.mark.parametrize("frozen_accs, expected", [
    ([0.1, 0.8, 0.82, 0.84, 0.86, 0.9], [REPRODUCED, REPRODUCED]),  # no drop left
    ([0.1, 0.8, 0.7, 0.75, 0.8, 0.9], [REPRODUCED, REPRODUCED]),  # one drop instead of two
    ([0.1, 0.8, 0.5, 0.72, 0.4, 0.9], [INCONCLUSIVE, NOT_REPRODUCED])])  # two drops as before: a tie
def test_trial_bn_claims_per_seed(frozen_accs, expected):
    def run(accs, sizes=0.5):
        log = pd.DataFrame({"epoch": range(6), "step": range(0, 60, 10), "train_acc": accs, "test_acc": accs,
                            "batch_loss": [np.nan, 1, 0.9, 0.8, 0.7, 0.6], "failed_trials": range(0, 30, 5),
                            "step_sizes": [None] + [np.full(10, sizes)] * 5})
        return Result("key", {}, log, {})

    updated = [0.1, 0.8, 0.7, 0.72, 0.6, 0.9]
    runs = {("updated", 0): run(updated), ("frozen", 0): run(frozen_accs),
            ("updated", 1): run(updated), ("frozen", 1): run(frozen_accs, sizes=0.25)}
    table = armijo_claims.jumps(runs)
    assert table["failed trials per step"].tolist() == [0.5] * 4
    assert table["steps as updated"].tolist() == [True, True, True, False]
    claims = armijo_claims.trial_bn_claims(table, "substitute: toy")
    assert [d.verdict for d in claims] == expected + [INCONCLUSIVE]  # seed 1 takes other steps
    assert {d.data for d in claims} == {"substitute: toy"}
