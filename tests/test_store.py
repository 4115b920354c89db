"""The results store: stable keys, atomic writes, cache-only mode, rebuilt configs, checksums,
temporary files, the lock and the index."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import subprocess
import sys
import time
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from critbatch import store as store_module
from critbatch.store import CorruptResult, MissingResult, Store, config_from_dict, config_key, register_type


@dataclass(frozen=True)
class Config:
    lr: float = 0.1
    batch: dict | None = None
    name: str = "demo"


LOG = pd.DataFrame({"step": [0, 10], "loss": [2.3, 0.7]})


@register_type
@dataclass(frozen=True)
class StoreProblem:
    n: int
    kernel: str = "gaussian"


@register_type
@dataclass(frozen=True)
class StoreRun:  # shaped like KernelRun and TrainConfig: a nested config, tuples, a required None
    problem: StoreProblem
    lr: dict | None
    targets: tuple[float, ...] = ()
    metrics: tuple[str, ...] = ("train_loss",)
    patience: float | None = None


def test_key_is_stable_across_runs_and_machines():
    # A fixed value: if this changes, every committed result is orphaned. Bump STORE_VERSION
    # deliberately instead, and update this value with it. It is the first 16 hex digits of
    # sha256('{"config":{"batch":{"kind":"constant","value":8},"lr":0.1,"name":"demo"},'
    #        '"store_version":1,"type":"Config"}'), computed by hand.
    assert config_key(Config(batch={"kind": "constant", "value": 8})) == "f41062d329ec0122"


def test_key_ignores_dict_order_and_sees_every_field():
    base = Config(batch={"a": 1, "b": 2})
    assert config_key(base) == config_key(Config(batch={"b": 2, "a": 1}))
    others = [Config(lr=0.2, batch={"a": 1, "b": 2}), Config(batch={"a": 1, "b": 3}),
              Config(batch={"a": 1, "b": 2}, name="other")]
    assert len({config_key(c) for c in [base, *others]}) == 4


def test_key_depends_on_the_config_type():
    @dataclass(frozen=True)
    class Other:
        lr: float = 0.1
        batch: dict | None = None
        name: str = "demo"

    assert config_key(Other()) != config_key(Config())


def test_non_dataclass_configs_are_rejected():
    with pytest.raises(TypeError, match="dataclass instance"):
        config_key({"lr": 0.1})


def test_save_and_load_round_trip(tmp_path):
    store = Store(tmp_path)
    saved = store.save(Config(), LOG, {"status": "budget", "steps": 10})
    loaded = Store(tmp_path).load(Config())
    pd.testing.assert_frame_equal(loaded.log, LOG)
    assert loaded.config == Config()
    # Config is not a registered type, so a load by key gives the stored dict, without the None fields
    assert Store(tmp_path).load_key(saved.key).config == {"lr": 0.1, "name": "demo"}
    assert loaded.summary["steps"] == 10 and "code_version" in loaded.summary
    assert saved.key == loaded.key == config_key(Config())
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{config_key(Config())}.parquet"]


def test_a_crash_while_writing_leaves_no_half_written_result(tmp_path, monkeypatch):
    store = Store(tmp_path)
    store.save(Config(), LOG, {"status": "old"})

    write_table = pq.write_table

    def crash(table, where, **kwargs):
        if not isinstance(where, (str, os.PathLike)):  # the in-memory copy the checksum is taken of
            return write_table(table, where, **kwargs)
        with open(where, "wb") as f:
            f.write(b"PAR1 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(pq, "write_table", crash)
    with pytest.raises(KeyboardInterrupt):
        store.save(Config(), LOG.iloc[:1], {"status": "new"})
    with pytest.raises(KeyboardInterrupt):
        store.save(Config(lr=0.3), LOG, {"status": "new"})
    monkeypatch.undo()
    assert store.load(Config()).summary["status"] == "old"  # the old result is intact
    assert Config(lr=0.3) not in store
    assert [p.name for p in tmp_path.iterdir()] == [f"{config_key(Config())}.parquet"]  # no debris


def test_get_runs_once_then_loads(tmp_path):
    calls = []

    def run():
        calls.append(1)
        return LOG, {"status": "budget"}

    store = Store(tmp_path, cache_only=False)
    store.get(Config(), run)
    again = store.get(Config(), run)
    assert len(calls) == 1 and again.summary["status"] == "budget"


def test_cache_only_names_the_missing_run_and_never_trains(tmp_path, monkeypatch):
    def run():
        raise AssertionError("a cache-only store must not train")

    monkeypatch.setenv("CRITBATCH_CACHE_ONLY", "1")
    store = Store(tmp_path)
    assert store.cache_only
    with pytest.raises(MissingResult) as error:
        store.get(Config(lr=0.5), run)
    assert config_key(Config(lr=0.5)) in str(error.value) and "cache-only" in str(error.value)
    assert "lr=0.5" in str(error.value)


def test_cache_only_is_off_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("CRITBATCH_CACHE_ONLY", raising=False)
    assert not Store(tmp_path).cache_only
    monkeypatch.setenv("CRITBATCH_CACHE_ONLY", "0")
    assert not Store(tmp_path).cache_only


def test_code_version_is_recorded(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "code_version", lambda: "abc123-dirty")
    assert Store(tmp_path).save(Config(), LOG, {}).summary["code_version"] == "abc123-dirty"


def test_a_new_optional_field_keeps_earlier_keys():
    @dataclass(frozen=True)
    class Config:  # the same class as above, grown by one optional field
        lr: float = 0.1
        batch: dict | None = None
        name: str = "demo"
        patience: float | None = None

    assert config_key(Config(batch={"kind": "constant", "value": 8})) == "f41062d329ec0122"
    assert config_key(Config(patience=2.0)) != config_key(Config())


# Config types: a stored run comes back as its dataclass.


def test_registered_configs_are_rebuilt_from_their_key(tmp_path):
    config = StoreRun(StoreProblem(100), lr=None, targets=(0.1, 0.01), patience=2.0)
    key = Store(tmp_path).save(config, LOG, {"status": "budget"}).key
    loaded = Store(tmp_path).load_key(key)
    assert loaded.config == config and isinstance(loaded.config.problem, StoreProblem)
    assert isinstance(loaded.config.targets, tuple) and isinstance(loaded.config.metrics, tuple)
    assert config_key(loaded.config) == key
    # fields missing from the stored dict take their default, or None; an unregistered type stays a dict
    assert config_from_dict("StoreRun", {"problem": {"n": 5}}) == StoreRun(StoreProblem(5), lr=None)
    assert config_from_dict("NoSuchType", {"n": 5}) == {"n": 5}
    with pytest.raises(TypeError, match="StoreProblem has no field max_epochs"):
        config_from_dict("StoreProblem", {"n": 5, "max_epochs": 60})


def test_a_config_type_changed_since_the_run_is_reported(tmp_path, monkeypatch):
    key = Store(tmp_path).save(StoreProblem(10), LOG, {}).key
    grown = dataclasses.make_dataclass("StoreProblem", [("n", int), ("kernel", str, "gaussian"), ("width", int, 3)])
    monkeypatch.setitem(store_module._TYPES, "StoreProblem", grown)
    with pytest.raises(ValueError, match="StoreProblem changed since this run was stored"):
        Store(tmp_path).load_key(key)


def test_register_type_is_a_decorator_and_refuses_two_types_of_one_name():
    assert register_type(StoreRun) is StoreRun

    @dataclass(frozen=True)
    class StoreProblem:  # another class with a registered name
        n: int

    with pytest.raises(ValueError, match="two config types are named StoreProblem"):
        register_type(StoreProblem)


def test_a_result_carries_its_config_object_and_paper(tmp_path):
    config = StoreRun(StoreProblem(10), lr={"kind": "constant", "value": 0.1})
    saved = Store(tmp_path).save(config, LOG, {"status": "budget"}, paper="armijo")
    assert saved.config is config and saved.paper == "armijo"
    assert Store(tmp_path).load_key(saved.key).paper == "armijo"
    assert Store(tmp_path, cache_only=False).get(Config(), lambda: (LOG, {}), paper="interpolation").paper == "interpolation"


def test_a_code_version_in_the_summary_is_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "code_version", lambda: "new")
    summary = Store(tmp_path).save(Config(), LOG, {"code_version": "0123456789ab"}).summary
    assert summary["code_version"] == "0123456789ab"


# Checksums: a damaged file is an error, never different numbers.


def test_a_flipped_bit_anywhere_gives_an_error_or_the_same_result(tmp_path):
    store = Store(tmp_path)
    config = StoreRun(StoreProblem(10), lr={"kind": "constant", "value": 0.1}, targets=(0.5,))
    log = LOG.assign(loss=[2.345678901234, 0.7], phase=["warm", "main"])
    expected = store.save(config, log, {"status": "budget", "steps": 10, "seconds": 1.25}, paper="p")
    path = store.path(config)
    original = path.read_bytes()
    errors = 0
    for position in range(len(original)):
        damaged = bytearray(original)
        damaged[position] ^= 1 << position % 8
        path.write_bytes(damaged)
        try:
            loaded = store.load_key(expected.key)
        except CorruptResult:
            errors += 1
            continue
        pd.testing.assert_frame_equal(loaded.log, expected.log, check_exact=True)
        assert (loaded.config, loaded.summary, loaded.paper) == (config, expected.summary, "p")
    assert errors > len(original) / 2


def test_a_corrupt_file_says_which_and_how_to_fix(tmp_path):
    store = Store(tmp_path)
    store.save(Config(), LOG, {})
    store.path(Config()).write_bytes(b"PAR1 half a file")
    with pytest.raises(CorruptResult) as error:
        store.load(Config())
    message = str(error.value)
    assert "\n" not in message and str(store.path(Config())) in message
    assert "restore it from git" in message and "delete it and rerun" in message


def test_a_file_under_another_key_is_refused(tmp_path):
    store = Store(tmp_path)
    store.save(Config(), LOG, {})
    store.path(Config()).rename(store.path(Config(lr=0.2)))
    with pytest.raises(CorruptResult, match="holds run"):
        store.load(Config(lr=0.2))


def test_a_file_without_checksum_names_the_migration(tmp_path):
    table = pa.Table.from_pandas(LOG, preserve_index=False)
    meta = {"config": store_module._canonical(Config()), "summary": {"status": "budget"}}
    pq.write_table(table.replace_schema_metadata({**table.schema.metadata, b"critbatch": json.dumps(meta)}),
                   tmp_path / f"{config_key(Config())}.parquet")
    with pytest.raises(CorruptResult, match="migration"):
        Store(tmp_path).load(Config())


# Temporary files of killed writers.


def test_temporary_files_of_dead_writers_are_removed_and_never_loaded(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = tmp_path / f".{config_key(Config())}.parquet.{dead.pid}.part"
    writing = tmp_path / f".{config_key(Config(lr=0.3))}.parquet.{os.getpid()}.part"  # a live writer
    old = tmp_path / f".{config_key(Config(lr=0.4))}.parquet.{os.getpid()}.part"
    for part in (orphan, writing, old):
        part.write_bytes(b"PAR1 half a file")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    store = Store(tmp_path)
    assert Config() not in store and store.index().empty
    store.save(Config(lr=0.2), LOG, {})
    assert not orphan.exists() and not old.exists() and writing.exists()


# The lock: two processes asking for one run train it once.


def _get_slowly(root, counter, barrier):
    def run():
        with open(counter, "a") as f:
            f.write("trained\n")
        time.sleep(0.5)
        return LOG, {"status": "budget"}

    barrier.wait()
    assert Store(root, cache_only=False).get(Config(), run).summary["status"] == "budget"


def test_two_processes_asking_for_one_run_train_it_once(tmp_path):
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(2)
    counter = tmp_path / "trainings.txt"
    workers = [spawn.Process(target=_get_slowly, args=(tmp_path / "store", counter, barrier)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    assert counter.read_text() == "trained\n"
    assert sorted(p.name for p in (tmp_path / "store").iterdir()) == [f"{config_key(Config())}.parquet"]


# The index and the command line.


def _three_runs(root):
    store = Store(root)
    store.save(Config(batch={"kind": "constant", "value": 128}), LOG, {"status": "budget", "steps": 10, "sfo": 1280})
    store.save(Config(lr=0.2, batch={"kind": "constant", "value": 64}), LOG, {"status": "reached"}, paper="armijo")
    store.save(StoreRun(StoreProblem(10), lr=None), LOG, {"iterations": 5, "seconds": 2.5})
    return store


def test_the_index_lists_every_run_from_its_metadata(tmp_path, monkeypatch):
    store = _three_runs(tmp_path)
    monkeypatch.setattr(pq, "read_table", None)  # metadata only: never the whole table
    index = store.index()
    assert list(index.columns[:7]) == ["key", "type", "paper", "status", "steps", "sfo", "seconds"]
    assert {"lr", "batch.kind", "batch.value", "name", "problem.n", "problem.kernel", "targets"} <= set(index.columns)
    assert sorted(index["type"]) == ["Config", "Config", "StoreRun"]
    run = index.set_index("type").loc["StoreRun"]
    assert run["problem.n"] == 10 and run["seconds"] == 2.5 and pd.isna(run["steps"]) and pd.isna(run["paper"])
    assert index.set_index("key").loc[config_key(Config(lr=0.2, batch={"kind": "constant", "value": 64})), "paper"] == "armijo"


def test_a_config_field_named_like_a_summary_column_is_prefixed(tmp_path):
    @dataclass(frozen=True)
    class Budget:
        steps: int = 100

    Store(tmp_path).save(Budget(), LOG, {"steps": 42})
    assert Store(tmp_path).index()[["steps", "config.steps"]].values.tolist() == [[42, 100]]


def test_the_index_filters_by_column_value_as_strings(tmp_path):
    store = _three_runs(tmp_path)
    assert store.index(**{"batch.value": "128"})["key"].tolist() == [config_key(Config(batch={"kind": "constant", "value": 128}))]
    assert len(store.index(type="Config")) == 2 and len(store.index(paper="armijo", lr=0.2)) == 1
    with pytest.raises(ValueError, match="no stored run has a column"):
        store.index(colour="red")


def test_ls_prints_the_index_and_refuses_a_malformed_filter(tmp_path, capsys):
    _three_runs(tmp_path)
    store_module.main(["ls", "--root", str(tmp_path), "batch.value=64"])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].split() == ["key", "type", "paper", "status", "steps", "sfo", "seconds", "measure_seconds", "cpu", "onednn", "batch.value"]
    store_module.main(["ls", "--root", str(tmp_path), "--all"])
    assert "problem.kernel" in capsys.readouterr().out
    with pytest.raises(SystemExit, match=r"^critbatch.store: malformed filter 'batch\.value': write column=value"):
        store_module.main(["ls", "--root", str(tmp_path), "batch.value"])


def test_ls_runs_as_a_module(tmp_path):
    _three_runs(tmp_path)
    out = subprocess.run([sys.executable, "-m", "critbatch.store", "ls", "--root", str(tmp_path), "paper=armijo"],
                         capture_output=True, text=True, check=True).stdout
    assert config_key(Config(lr=0.2, batch={"kind": "constant", "value": 64})) in out and len(out.splitlines()) == 2
