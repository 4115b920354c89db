"""``python -m critbatch.store verify``: retrain stored runs with the code their results name,
at their recorded thread count, and compare the new result with the stored one bit for bit.

A result names the commit whose ``src/`` produced it (:mod:`critbatch.provenance`); one made
from uncommitted changes (``<commit>-dirty``) names none, and is retrained with ``--commit``
(default ``HEAD``). Each run is retrained in a fresh process that imports critbatch from a
snapshot of that commit. With ``--stamp``, an untraced result that comes back identical is
re-saved naming the commit that reproduced it (its log and config unchanged).

Timings (``seconds``, ``measure_seconds``, logged ``*seconds`` columns) differ on every run and are
left out of the comparison; everything else must be equal, NaN in the same places.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from . import devices, provenance
from .store import Result, Store

__all__ = ["compare", "retrain", "verify"]

#: Summary entries that say when, how fast, by what code or on what machine a run was made, not
#: what it computed.
_VOLATILE = {"seconds", "measure_seconds", "code_version", "provenance", "threads_recorded", "cpu"}

#: Run in the snapshot's interpreter: load the papers (their run types and measurements), train
#: the config at its thread count into a scratch store. Uses only APIs every commit has.
_RETRAIN = """
import json, sys
from critbatch import runs, sweep
from critbatch.store import Store, config_from_dict
sweep.figures()
spec = json.loads(sys.argv[1])
config = config_from_dict(spec["type"], spec["fields"])
log, summary = runs.train(config, threads=spec["threads"], progress=False)
Store(spec["root"], cache_only=False).save(config, log, summary, paper=spec["paper"])
"""


def _timing(column: str) -> bool:
    return column in _VOLATILE or column.endswith("seconds")


def _recorded(result: Result, key: str):
    """A summary entry, with ``onednn`` "on" where a run made before it was recorded has none."""
    return result.summary.get(key, "on" if key == "onednn" else None)


def compare(stored: Result, fresh: Result) -> list[str]:
    """What differs between two results of one config (timings left out); empty if nothing."""
    a, b = (r.log[[c for c in r.log.columns if not _timing(c)]] for r in (stored, fresh))
    problems = []
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        problems.append(f"log shape {a.shape} vs {b.shape}")
    else:
        problems += [f"log column {c}" for c in a.columns if not a[c].equals(b[c])]
    keys = (set(stored.summary) | set(fresh.summary)) - _VOLATILE
    problems += [f"summary {k}" for k in sorted(keys) if json.dumps(_recorded(stored, k), sort_keys=True, default=str)
                 != json.dumps(_recorded(fresh, k), sort_keys=True, default=str)]
    return problems


def retrain(store: Store, key: str, commit: str | None) -> Result:
    """The run ``key`` of ``store`` trained again in a fresh process from a snapshot of ``commit``
    (None: from this checkout), at its recorded thread count and with oneDNN as it was (a summary
    without ``onednn`` predates the default off: on)."""
    stored = store.load_key(key)
    with tempfile.TemporaryDirectory(prefix="critbatch-verify-") as scratch:
        spec = {"type": type(stored.config).__name__, "fields": dataclasses.asdict(stored.config),
                "threads": int(stored.summary.get("threads", 1)), "root": scratch, "paper": stored.paper}
        with provenance.workers_from(provenance.snapshot(commit)) if commit else contextlib.nullcontext():
            env = {**os.environ, "CRITBATCH_ONEDNN": str(_recorded(stored, "onednn"))}
            done = subprocess.run([sys.executable, "-c", _RETRAIN, json.dumps(spec)], capture_output=True,
                                  text=True, cwd=provenance.paths.project_root(), env=env)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"retraining run {key} at {(commit or 'this checkout')[:12]} failed: {last}")
        return Store(scratch).load_key(key)


def _recorded_commit(result: Result) -> str | None:
    version = str(result.summary.get("code_version", ""))
    return None if not version or version.endswith("-dirty") or version == "unknown" else version


def verify(store: Store, keys: list[str], *, commit: str = "HEAD", stamp: bool = False) -> pd.DataFrame:
    """One row per run: its type, the commit it names, the commit retrained at, threads, steps,
    and whether the new result is identical (and what differs if not)."""
    rows = []
    for key in keys:
        stored = store.load_key(key)
        named = _recorded_commit(stored)
        at = provenance.commit_of(named or commit)
        fresh = retrain(store, key, at)
        problems = compare(stored, fresh)
        stamped = False
        if stamp and not named and not problems:
            summary = {**stored.summary, "code_version": at[:12],
                       "provenance": f"verified: retrained bit for bit at {at[:12]}, was {stored.summary.get('code_version')}"}
            Store(store.root, cache_only=False).save(stored.config, stored.log, summary, paper=stored.paper)
            stamped = True
        rows.append({"key": key, "type": type(stored.config).__name__, "names": stored.summary.get("code_version"),
                     "retrained at": at[:12], "threads": stored.summary.get("threads"),
                     "steps": stored.summary.get("steps"), "identical": not problems,
                     "differs": "; ".join(problems), "stamped": stamped})
    return pd.DataFrame(rows)


def choose(store: Store, sample: int, seed: int, per_type: bool) -> list[str]:
    """``sample`` stored keys at random (``seed``); with ``per_type``, the cheapest of each run
    type (by stored seconds) first."""
    index = store.index()
    chosen = []
    if per_type:
        cost = index.assign(cost=index.seconds.astype(float).fillna(0) + index.measure_seconds.astype(float).fillna(0))
        chosen = cost.sort_values("cost").groupby("type", sort=True).head(1).key.tolist()
    rest = [k for k in index.key if k not in chosen]
    return chosen + random.Random(seed).sample(rest, min(sample, len(rest)))


def machine() -> dict:
    """What this check ran on: the CPU model, torch and Python."""
    import platform

    import torch

    return {"cpu": devices.cpu_model(), "torch": torch.__version__, "python": platform.python_version()}


def main(args) -> int:
    from .sweep import figures

    figures()  # the papers' run types, so that stored configs are rebuilt as what they are
    store = Store(args.root)
    keys = args.keys or choose(store, args.sample, args.seed, args.per_type)
    table = verify(store, keys, commit=args.commit, stamp=args.stamp)
    with pd.option_context("display.max_colwidth", None, "display.width", None):
        print(table.to_string(index=False))
    if args.out:
        Path(args.out).write_text(json.dumps({"machine": machine(), "runs": json.loads(table.to_json(orient="records"))},
                                             indent=1) + "\n")
    return 0 if table.identical.all() else 1
