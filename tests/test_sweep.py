"""The sweep: every run the figures need, listed from the papers' studies; trained on every core
or on Ray with the same numbers; a killed worker is retried; a second sweep trains nothing."""

import os
import sys
from pathlib import Path

import pandas as pd
import pytest

from critbatch import sweep as sweeps
from critbatch.paths import project_root
from critbatch.store import Store

from crash_once import CrashOnce

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


SMOKE = {"paper": "armijo", "figure_name": "mnist-step-sizes"}


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("local"), cache_only=False)
    trained = sweeps.sweep("smoke", store, workers=2, progress=False, **SMOKE)
    return store, trained


def test_a_local_sweep_trains_what_is_missing_then_nothing(local_sweep):
    store, trained = local_sweep
    planned, _ = sweeps.plan("smoke", store, **SMOKE)
    assert len(trained) == len(planned) == len(list(store.root.glob("*.parquet"))) == 5
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
    monkeypatch.setitem(sweeps._FIGURES, ("crashtest", "fig"),
                        sweeps.Figure("crashtest", "fig", lambda scale, store: configs))
    store = Store(tmp_path / "results", cache_only=False)
    trained = sweeps.sweep("smoke", store, paper="crashtest", engine=engine, workers=2, progress=False)
    assert len(trained) == 3 and all(Path(c.marker).exists() for c in configs)
    assert [store.load(c).log.train_loss.iloc[-1] for c in configs] == [0.5, 0.25, 0.5 / 3]


def test_every_paper_with_figure_runs_is_an_entry_point():
    """The sweep finds the papers through pyproject's entry points: a paper whose runs.py is not
    listed there would be silently left out of `make results`."""
    from importlib.metadata import entry_points

    listed = {entry.value for entry in entry_points(group=sweeps.ENTRY_POINTS)}
    folders = {f"critbatch.papers.{p.parent.name}.runs" for p in (ROOT / "src" / "critbatch" / "papers").glob("*/runs.py")}
    assert listed == folders
