"""The speed benchmark (benchmarks/speed.py): its pure helpers and the committed measurement
files. Nothing here is timed."""

from __future__ import annotations

import doctest
import importlib.util
import json
import math
from pathlib import Path

import pytest
import torch

from critbatch.papers.armijo import study

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("speed", ROOT / "benchmarks" / "speed.py")
speed = importlib.util.module_from_spec(spec)
spec.loader.exec_module(speed)

FILES = sorted((ROOT / "data" / "benchmarks").glob("speed-*.json"))


def test_the_doctests_of_the_script_pass():
    assert doctest.testmod(speed).failed == 0


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_measurement_file_is_named_after_the_cpu_it_was_measured_on(path):
    assert path == speed.machine_file(path.parent, json.loads(path.read_text())["cpu"])


@pytest.mark.parametrize("steps, every, unit, per_epoch, expected", [
    (0, 5, "step", 3, 1),  # only the evaluation before the first step
    (10, 5, "step", 3, 3),  # 0, 5, 10
    (11, 5, "step", 3, 4),  # 0, 5, 10, and 11 at the end
    (30, 1, "epoch", 10, 4),  # 0 and three epoch ends
    (25, 2, "epoch", 10, 3),  # 0, epoch 2, and the cut end
])
def test_evaluations_counts_the_first_the_intervals_and_a_cut_end(steps, every, unit, per_epoch, expected):
    assert speed.evaluations(steps, every, unit, per_epoch) == expected


def test_interval_share_is_one_evaluation_over_one_interval():
    result = speed.interval_share(evaluations=3, measure_seconds=1.5, steps=40, seconds=2.0, every=20)
    assert result["evaluation_s"] == 0.5 and result["step_ms"] == 50.0
    assert result["share"] == pytest.approx(0.5 / (0.5 + 20 * 0.05))


def test_bounded_keeps_the_cadence_and_drops_the_stopping_rules():
    config = study.sweep_runs("smoke")["SGD", 64][0]
    short = speed.bounded(config, 2)
    assert (short.steps, short.epochs, short.stop, short.patience) == (2 * config.eval_every, None, None, None)
    assert (short.eval_every, short.metrics, short.batch_size) == (config.eval_every, config.metrics, config.batch_size)


def test_prepermuted_serves_one_permutation_in_slices():
    images, labels = torch.arange(10.0).reshape(10, 1), torch.arange(10)
    batches = speed.prepermuted(images, labels, 3)
    seen = [next(batches) for _ in range(3)]
    assert all(x.is_contiguous() and len(y) == 3 for x, y in seen)
    served = torch.cat([y for _, y in seen])
    assert len(set(served.tolist())) == 9  # 9 distinct examples of the 10; the short tail is skipped
    assert torch.equal(next(batches)[1], seen[0][1])  # then the same epoch again


def test_closure_step_parts_follow_the_closure_contract():
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.ones(4, 3), torch.zeros(4, dtype=torch.long)
    before = model.weight.detach().clone()
    speed.closure_step(model, optimizer, "forward")(x, y)
    assert model.weight.grad is None
    speed.closure_step(model, optimizer, "forward_backward")(x, y)
    assert model.weight.grad is not None and torch.equal(model.weight, before)
    speed.closure_step(model, optimizer)(x, y)
    assert not torch.equal(model.weight, before)


def test_best_of_takes_each_candidates_smallest_value():
    values = {"a": iter([3.0, 1.0, 2.0]), "b": iter([5.0, 6.0, 4.0])}
    assert speed.best_of(3, {k: (lambda v=v: next(v)) for k, v in values.items()}) == {"a": 1.0, "b": 4.0}


def test_write_atomically_leaves_no_partial_file(tmp_path):
    out = tmp_path / "sub" / "speed-cpu.json"
    speed.write_atomically(out, {"x": 1})
    assert json.loads(out.read_text()) == {"x": 1}
    assert [p.name for p in out.parent.iterdir()] == ["speed-cpu.json"]


def record(**changes) -> dict:
    """A minimal measurement record with every section the verdicts read."""
    base = {
        "sweep": {"rows": [{"layout": "1 process x 1 thread", "workers": 1, "speedup": 1.0},
                           {"layout": speed.ENGINE_LAYOUT, "workers": 2, "speedup": 1.9}]},
        "steps": {"rows": [{"b": 16, "loop_over_floor": 0.97, "loop_over_torchvision": 3.0},
                           {"b": 128, "loop_over_floor": 0.99, "loop_over_torchvision": 3.5}]},
        "shares": {"rows": [{"share": 0.1}, {"share": 0.15}]},
        "armijo": {"rows": [{"armijo_over_floor": 1.05}]},
        "totals": {"wall_here_s": 1.5 * 3600},
    }
    return base | changes


def test_verdicts_apply_each_goal_in_its_direction():
    goals = speed.verdicts(record())
    assert set(goals) == set(speed.GOALS)
    assert goals["sweep_speedup"]["met"] and goals["loop_over_floor"]["met"]
    assert goals["loop_over_torchvision_16"]["met"] and not goals["loop_over_torchvision_128"]["met"]
    assert goals["measure_share"]["met"] and goals["armijo_over_floor"]["met"]
    assert goals["book_wall_hours"]["met"] and goals["book_wall_hours"]["values"] == [1.5]
    worse = speed.verdicts(record(shares={"rows": [{"share": 0.1}, {"share": 0.25}]}, totals={"wall_here_s": 3 * 3600}))
    assert not worse["measure_share"]["met"] and not worse["book_wall_hours"]["met"]


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_a_committed_measurement_file_has_every_section_and_consistent_goals(path):
    r = json.loads(path.read_text())
    for key in ("device", "cpu", "torch", "python", "date", "load_before", "load_after", "other_sweeps_before",
                "other_sweeps_after", "repeats", "steps", "armijo", "shares", "sweep", "conv", "totals", "goals"):
        assert key in r, f"{path.name} lacks {key!r}"
    assert not r["quick"], f"{path.name} was measured with --quick: rerun `make benchmark`"
    assert {row["b"] for row in r["steps"]["rows"]} == {16, 128} == {row["b"] for row in r["armijo"]["rows"]}
    assert {row["layout"] for row in r["sweep"]["rows"]} >= {"1 process x 1 thread", speed.ENGINE_LAYOUT}
    assert all(0 <= row["share"] < 1 for row in r["shares"]["rows"])
    assert r["goals"] == json.loads(json.dumps(speed.verdicts(r)))  # the stored verdicts follow from the numbers
    t = r["totals"]
    assert math.isclose(t["cpu_s"], t["training_s"] + t["measure_s"])
    assert math.isclose(t["wall_s"], t["cpu_s"] / t["sweep_speedup"])
    assert t["onednn_off_factor"] == speed.onednn_factor(r)
    assert math.isclose(t["cpu_here_s"], t["cpu_s"] + (t["onednn_off_factor"] - 1) * t["conv_onednn_on_s"])
    assert math.isclose(t["wall_here_s"], t["cpu_here_s"] / t["sweep_speedup"])
    assert all(row["arithmetic"] for row in t["gpu"])
    assert {row["dataset"] for row in t["exact_cut"]} == {"mnist", "fashion-mnist"}
    assert all(0 <= row["cuttable"] <= row["checks"] for row in t["exact_cut"])
    assert sum(p["runs"] for p in t["by_paper_recorded"].values()) == t["stored_runs"]


def test_conv_steps_train_the_substitute_in_the_layout_they_time():
    images, labels = torch.rand(4, 1, 28, 28), torch.arange(4)
    for variant in ("eager", "channels_last"):
        step, x, model = speed.conv_step(variant, images)
        kernels = [p for p in model.parameters() if p.dim() == 4 and p.shape[1] > 1 and p.shape[2] > 1]
        layouts = {p.is_contiguous(memory_format=torch.channels_last) for p in kernels}
        assert layouts == {variant == "channels_last"}  # (a one-channel image is in both layouts)
        before = [p.detach().clone() for p in model.parameters()]
        step(x, labels)
        assert all(not torch.equal(a, b) for a, b in zip(before, model.parameters()) if a.dim() > 1)
