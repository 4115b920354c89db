"""The results store: stable keys, atomic writes, cache-only mode."""

from dataclasses import dataclass

import pandas as pd
import pyarrow.parquet as pq
import pytest

from critbatch import store as store_module
from critbatch.store import MissingResult, Store, config_key


@dataclass(frozen=True)
class Config:
    lr: float = 0.1
    batch: dict | None = None
    name: str = "demo"


LOG = pd.DataFrame({"step": [0, 10], "loss": [2.3, 0.7]})


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
    assert loaded.config == {"lr": 0.1, "name": "demo"}  # fields left at None are not stored
    assert loaded.summary["steps"] == 10 and "code_version" in loaded.summary
    assert saved.key == loaded.key == config_key(Config())
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{config_key(Config())}.parquet"]


def test_a_crash_while_writing_leaves_no_half_written_result(tmp_path, monkeypatch):
    store = Store(tmp_path)
    store.save(Config(), LOG, {"status": "old"})

    def crash(table, where, **kwargs):
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
