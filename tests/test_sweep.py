"""The sweep: every run the figures need, listed from the papers' studies; trained on every core
or on Ray with the same numbers; a killed worker is retried; a second sweep trains nothing."""

import io
import os
import sys
from pathlib import Path

import pandas as pd
import pytest
from tqdm import tqdm

from critbatch import sweep as sweeps
from critbatch.paths import project_root
from critbatch.store import Store

from crash_once import CrashOnce

pytestmark = pytest.mark.slow  # trains; one work unit (conftest.SHARED_FIXTURES)

ROOT = project_root()
TIMINGS = ("seconds", "measure_seconds", "code_version")


def test_the_dry_run_lists_every_stored_result_and_nothing_to_train():
    store = Store(ROOT / "data" / "results", cache_only=True)
    table = sweeps.dry_run("reduced", store)
    assert (table.stored == "yes").all(), \
        f"runs the figures need but the store lacks intact: {table[table.stored != 'yes'].key.tolist()}"
    assert len(table) == len(set(table.key)) == len(list(store.root.glob("*.parquet"))), \
        "every stored result is needed by a figure, and every needed run is stored"


def test_every_figure_with_runs_has_a_notebook():
    for paper, name in sweeps.figures():
        assert (ROOT / "notebooks" / paper / f"{name}.ipynb").is_file(), f"{paper}/{name}"


def test_an_unknown_figure_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="no figure matches.*known: .*armijo/"):
        sweeps.plan("smoke", Store(cache_only=True), figure_name="fig99")


def comparable(store: Store) -> dict:
    results = {}
    for path in sorted(store.root.glob("*.parquet")):
        result = store.load_key(path.stem)
        log = result.log.drop(columns=[c for c in ("seconds",) if c in result.log])
        results[path.stem] = (log, {k: v for k, v in result.summary.items() if k not in TIMINGS})
    return results


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys() and a
    for key in a:
        pd.testing.assert_frame_equal(a[key][0], b[key][0], check_exact=True)
        assert a[key][1] == b[key][1]


SMOKE = {"paper": "armijo", "figure_name": "mnist-training-curves"}  # 6 smoke runs, ~9 CPU-s (mnist-step-sizes: 10, ~28)


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("local"), cache_only=False)
    trained = sweeps.sweep("smoke", store, workers=2, progress=False, **SMOKE)
    return store, trained


def test_a_local_sweep_trains_what_is_missing_then_nothing(local_sweep):
    store, trained = local_sweep
    planned, _ = sweeps.plan("smoke", store, **SMOKE)
    assert len(trained) == len(planned) == len(list(store.root.glob("*.parquet"))) == 6
    assert all(store.load_key(p.key).summary["threads"] == 1 for p in planned)
    assert sweeps.sweep("smoke", store, workers=2, progress=False, **SMOKE) == []


@pytest.fixture(scope="module")
def ray_instance():
    ray = pytest.importorskip("ray")
    tests = str(Path(__file__).parent)
    path = os.pathsep.join([tests, *sys.path])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
             runtime_env={"env_vars": {"PYTHONPATH": path, "CRITBATCH_CACHE_ONLY": "0"}})
    yield ray
    ray.shutdown()


def test_a_ray_sweep_gives_the_local_sweeps_numbers_bit_for_bit(local_sweep, ray_instance, tmp_path):
    store = Store(tmp_path, cache_only=False)
    sweeps.sweep("smoke", store, engine="ray", progress=False, **SMOKE)
    assert_same(comparable(local_sweep[0]), comparable(store))
    assert {store.load_key(p.stem).paper for p in store.root.glob("*.parquet")} == {"armijo"}


@pytest.mark.parametrize("engine", ["local", "ray"])
def test_a_killed_worker_is_retried_and_nothing_is_lost(engine, tmp_path, monkeypatch, request):
    if engine == "ray":
        request.getfixturevalue("ray_instance")
    configs = [CrashOnce(str(tmp_path / f"marker-{i}"), i) for i in range(3)]
    monkeypatch.setattr(sweeps, "figures", lambda: {("crashtest", "fig"): sweeps.Figure("crashtest", "fig",
                                                                                         lambda scale: configs)})
    store = Store(tmp_path / "results", cache_only=False)
    trained = sweeps.sweep("smoke", store, paper="crashtest", engine=engine, workers=2, progress=False)
    assert len(trained) == 3 and all(Path(c.marker).exists() for c in configs)
    assert [store.load(c).log.train_loss.iloc[-1] for c in configs] == [0.5, 0.25, 0.5 / 3]


def crash_runs(tmp_path, values) -> list:
    return [sweeps.Planned("crashtest", "fig", CrashOnce(str(tmp_path / f"marker-{v}"), v)) for v in values]


def test_runs_start_longest_first_and_those_without_an_estimate_before_all(tmp_path):
    todo = crash_runs(tmp_path, range(4))
    seconds = pd.Series({todo[0].key: 10.0, todo[1].key: 300.0, todo[2].key: float("nan"), todo[3].key: 10.0})
    assert sweeps.longest_first(todo, seconds) == [todo[2], todo[1], todo[0], todo[3]]


def test_a_sweep_starts_its_runs_longest_first_from_the_stored_timings(tmp_path, monkeypatch):
    """The estimates come from the stored runs identical but for their seed."""
    store = Store(tmp_path / "results", cache_only=False)
    log = pd.DataFrame({"step": [0], "train_loss": [1.0]})
    for value, seconds, measure in ((0, 5.0, 1.0), (1, 50.0, 30.0), (2, 60.0, 0.0)):
        store.save(CrashOnce(str(tmp_path / f"marker-{value}"), value, seed=1), log,
                   {"status": "budget", "seconds": seconds, "measure_seconds": measure})
    todo = crash_runs(tmp_path, range(3))
    monkeypatch.setattr(sweeps, "figures", lambda: {("crashtest", "fig"): sweeps.Figure(
        "crashtest", "fig", lambda scale: [p.config for p in todo])})
    started = []
    monkeypatch.setattr(sweeps, "_local", lambda queue, *args: started.extend(queue))
    assert sweeps.sweep("smoke", store, paper="crashtest", workers=2, progress=False) == started
    assert started == [todo[1], todo[2], todo[0]]  # 80, 60 and 6 estimated seconds


def test_the_sweep_bar_shows_cpu_hours_left_and_an_eta_from_the_estimates(tmp_path):
    todo = crash_runs(tmp_path, range(4))
    seconds = pd.Series({todo[0].key: 3600.0, todo[1].key: 1800.0, todo[2].key: 1800.0, todo[3].key: float("nan")})
    now = [0.0]
    screen = io.StringIO()
    line = tqdm(total=4, file=screen, bar_format="{n_fmt}/{total_fmt} runs{postfix}")
    bar = sweeps.SweepBar(todo, seconds, 2, line, clock=lambda: now[0])
    assert bar.describe() == "2.00 CPU-h left (+1 runs without an estimate), ETA 1:00:00"
    bar.start(todo[0])
    bar.start(todo[1])
    now[0] = 900.0  # in flight: 2700 s and 900 s left; queued: 1800 s, after the second
    assert bar.describe().startswith("1.50 CPU-h left (+1 runs without an estimate), ETA 45:00; running: ")
    now[0] = 2000.0  # the second run is past its estimate: nothing left of it
    assert bar.describe().startswith("0.94 CPU-h left (+1 runs without an estimate), ETA 30:00; running: ")
    bar.finish(todo[1])
    assert bar.describe() == (f"0.94 CPU-h left (+1 runs without an estimate), ETA 30:00; running: "
                              f"{todo[0].key[:8]} crashtest/fig")
    assert "1/4 runs, 0.94 CPU-h left" in screen.getvalue()


def test_the_sweep_bar_counts_runs_it_did_not_see_start(tmp_path):
    """Ray starts its tasks unseen: a finished one still leaves the estimates."""
    todo = crash_runs(tmp_path, range(2))
    bar = sweeps.SweepBar(todo, pd.Series({todo[0].key: 3600.0, todo[1].key: 1800.0}), None, tqdm(disable=True))
    bar.finish(todo[0])
    assert bar.describe() == "0.50 CPU-h left"
