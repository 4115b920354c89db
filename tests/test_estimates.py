"""The sweep's cost model: FLOPs counted from the network, stored runs counted only when they
are the same work, and unknown said as such (never 0)."""

import math

import pandas as pd
import pytest

from critbatch import estimates
from critbatch.store import Store, config_key
from critbatch.sweep import _hours
from critbatch.train import TrainConfig

DEVICE = estimates.Device("test", 1e10, 1e-5, "test")


def mlp_run(**changes) -> TrainConfig:
    fields = dict(dataset="mnist", model={"kind": "mlp", "hidden": [512, 256]}, optimizer={"kind": "sgd"},
                  lr={"kind": "constant", "value": 0.1}, batch_size={"kind": "constant", "value": 100}, epochs=2)
    return TrainConfig(**{**fields, **changes})


def test_the_mlp_flops_are_counted_exactly():
    forward, both, ops = estimates.model_work({"kind": "mlp", "hidden": [512, 256]}, "mnist")
    assert forward == 2 * (784 * 512 + 512 * 256 + 256 * 10)  # a multiply and an add per weight
    assert both == 3 * forward - 2 * 784 * 512 and ops > 10  # the backward: no gradient for the input


def test_the_work_of_a_run_follows_its_budget():
    one, two = estimates.work(mlp_run(epochs=1)), estimates.work(mlp_run(epochs=2))
    assert two.steps == 2 * one.steps == 1200 and two.train_flops == 2 * one.train_flops
    capped = estimates.work(mlp_run(epochs=2, steps=300))
    assert capped.steps == 300 and capped.train_flops == one.train_flops / 2


def stored(store: Store, config, seconds: float) -> None:
    store.save(config, pd.DataFrame({"step": [0]}), {"status": "budget", "seconds": seconds, "measure_seconds": 0.0})


def test_only_stored_runs_of_the_same_work_scale_the_estimate(tmp_path):
    store = Store(tmp_path, cache_only=False)
    paper = mlp_run(seed=1)
    model = estimates.seconds(estimates.work(paper), DEVICE)
    stored(store, mlp_run(train_subset=600, epochs=20), 1e6)  # another scale: ignored
    stored(store, mlp_run(model={"kind": "mlp", "hidden": [512]}), 1e6)  # another network: ignored
    assert estimates.cpu_seconds([paper], store, DEVICE)[config_key(paper)] == pytest.approx(model)
    stored(store, mlp_run(seed=0, epochs=1), 3 * estimates.seconds(estimates.work(mlp_run(epochs=1)), DEVICE))
    assert estimates.cpu_seconds([paper], store, DEVICE)[config_key(paper)] == pytest.approx(3 * model)


def test_nothing_known_is_unknown_not_zero(tmp_path):
    unknown = estimates.cpu_seconds([mlp_run()], Store(tmp_path), None)
    assert unknown.isna().all()
    assert _hours(unknown) == "unknown for all 1 runs"
    assert _hours(pd.Series([3600.0, math.nan])) == "1.00 + unknown for 1 runs"


def test_the_dry_run_says_which_figures_need_no_run(monkeypatch):
    from critbatch import sweep

    monkeypatch.setattr(sweep, "figures", lambda: {("emptytest", "fig"): sweep.Figure("emptytest", "fig", lambda s: [])})
    table = sweep.dry_run("paper", Store(cache_only=True), paper="emptytest")
    assert table.empty and "figures that need no run at scale paper: emptytest/fig" in sweep.report(table, "paper")
