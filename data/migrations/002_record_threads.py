"""Migration 002 (2026-11-30): record the CPU thread count every earlier result was made with.

Since this change every run is trained on pinned threads and its summary says how many
(``threads``): conv and matrix kernels reduce in another order on another thread count, so the
same config gives other bits (one stored MNIST run: K = 142 steps on one thread, 160 on two).
Results made before it did not record the count. It follows from how they were made, and was
checked by training one run of each group again under both counts (tests/test_reproducible.py
keeps checking one per engine); only the count below reproduced each checked run bit for bit:

* Paper 1 on MNIST (MLP, 162 sweep runs and 11 curve runs): torch's default here, 2 threads
  (checked: d1930ce83f124417 reproduces on 2 threads, not on 1);
* Paper 1 on the Fashion-MNIST ResNet substitute (118 runs): two single-thread workers, 1 thread
  (checked: b5ae04a77f3ea79c reproduces on 1 thread);
* Paper 3's kernel runs: 2 threads (checked: b50cb8b951ff51c8 reproduces on 2, not on 1);
* Paper 3's bandwidth searches and the variance-reduction solvers (NumPy): 1 thread (checked:
  70b53cd9ae215c93 and 3931d7856a9d18d3 reproduce on 1).

The summary gains ``threads`` and ``threads_recorded: "after the run, by migration 002"``; the
log, config and key are unchanged. Results that already record their threads are left alone.

    python data/migrations/002_record_threads.py [RESULTS_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import critbatch.papers.interpolation.study  # noqa: F401  (registers KernelRun, BandwidthSearch, VarianceRun)
import critbatch.train  # noqa: F401  (registers TrainConfig)
from critbatch import paths
from critbatch.store import Store


def threads_of(config) -> int:
    kind = type(config).__name__
    if kind == "TrainConfig":
        return 2 if config.dataset == "mnist" else 1
    return 2 if kind == "KernelRun" else 1


def migrate(root: Path) -> dict[str, int]:
    store = Store(root, cache_only=False)
    counts = {"recorded": 0, "already recorded": 0}
    for path in sorted(root.glob("*.parquet")):
        result = store.load_key(path.stem)
        if "threads" in result.summary:
            counts["already recorded"] += 1
            continue
        summary = {**result.summary, "threads": threads_of(result.config),
                   "threads_recorded": "after the run, by migration 002"}
        store.save(result.config, result.log, summary, paper=result.paper)
        counts["recorded"] += 1
    return counts


if __name__ == "__main__":
    print(migrate(Path(sys.argv[1]) if len(sys.argv) > 1 else paths.results_dir()))
