"""Migration 001 (2026-11-30): one vocabulary for every run, checksummed result files.

What changed in the configs (and so in the keys of the stored files):

* ``TrainConfig``: ``max_steps`` -> ``steps``, ``max_epochs`` -> ``epochs``; ``eval_batch`` left
  the config (it cannot change a result; it is now an option of ``train``).
* ``KernelRun``: ``batch`` -> ``batch_size``, ``iterations`` -> ``steps``, ``log_every`` ->
  ``eval_every``. Its log columns ``iteration``, ``train_mse``, ``test_mse`` become ``step``,
  ``train_loss``, ``test_loss``; its summary's ``batch``, ``step`` (a step size), ``iterations``,
  ``iterations_to``, ``final_train_mse`` become ``batch_size``, ``lr``, ``steps``, ``steps_to``,
  ``final_train_loss``.
* ``BandwidthSearch``: unchanged (same key).

Every file is rewritten through ``Store.save`` (which adds the checksum and the paper), keeping
its log values and summary (code version included) as they were: nothing is retrained. Files
already written by the new store are left alone, so running it twice changes nothing.

    python data/migrations/001_one_vocabulary.py [RESULTS_DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow.parquet as pq

import critbatch.papers.interpolation.study  # noqa: F401  (registers KernelRun and BandwidthSearch)
import critbatch.train  # noqa: F401  (registers TrainConfig)
from critbatch import paths
from critbatch.store import Store, config_from_dict, config_key


def renamed(mapping: dict, names: dict) -> dict:
    return {names.get(k, k): v for k, v in mapping.items()}


MIGRATIONS = {  # type name -> (config field renames, fields dropped, log column renames, summary renames, paper)
    "TrainConfig": ({"max_steps": "steps", "max_epochs": "epochs"}, {"eval_batch"}, {}, {}, "armijo"),
    "KernelRun": ({"batch": "batch_size", "iterations": "steps", "log_every": "eval_every"}, set(),
                  {"iteration": "step", "train_mse": "train_loss", "test_mse": "test_loss"},
                  {"batch": "batch_size", "step": "lr", "iterations": "steps", "iterations_to": "steps_to",
                   "final_train_mse": "final_train_loss"}, "interpolation"),
    "BandwidthSearch": ({}, set(), {}, {}, "interpolation"),
}


def migrate(root: Path) -> dict[str, int]:
    store = Store(root, cache_only=False)
    counts = {"migrated": 0, "already new": 0}
    for path in sorted(root.glob("*.parquet")):
        table = pq.read_table(path)
        meta = json.loads(table.schema.metadata[b"critbatch"])
        if "sha256" in meta:
            counts["already new"] += 1
            continue
        kind = meta["config"]["type"]
        fields, dropped, columns, summary_names, paper = MIGRATIONS[kind]
        old = {k: v for k, v in meta["config"]["config"].items() if k not in dropped}
        config = config_from_dict(kind, renamed(old, fields))
        log = table.to_pandas().rename(columns=columns)
        store.save(config, log, renamed(meta["summary"], summary_names), paper=paper)
        if config_key(config) != path.stem:
            path.unlink()
        counts["migrated"] += 1
    return counts


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else paths.results_dir()
    print(migrate(root))
