"""Stored results are reproducible bit for bit: one stored run of each run engine (the training
loop, kernel SGD, the variance-reduction solvers) is trained again under the settings its
summary records (the thread count), and every logged number must come out identical."""

import numpy as np
import pytest

import critbatch.papers.interpolation.study  # noqa: F401  (registers the kernel and variance-reduction runs)
import critbatch.train  # noqa: F401  (registers TrainConfig)
from critbatch import runs
from critbatch.paths import project_root
from critbatch.store import Store

STORE = Store(project_root() / "data" / "results", cache_only=True)

#: The cheapest stored run of each engine: MNIST MLP (Momentum, b = 128), kernel SGD at m* on MNIST
#: (500 steps), SGD on the Section 3.1 least-squares problem.
RUNS = {"training loop": "d1930ce83f124417", "kernel SGD": "b50cb8b951ff51c8", "variance reduction": "3931d7856a9d18d3"}


@pytest.mark.parametrize("key", RUNS.values(), ids=RUNS.keys())
def test_a_stored_run_trained_again_gives_the_same_bits(key, tmp_path, monkeypatch):
    monkeypatch.setenv("CRITBATCH_CHECKPOINTS", str(tmp_path))
    stored = STORE.load_key(key)
    assert "threads" in stored.summary, "every stored result records the thread count it was made with"
    log, summary = runs.train(stored.config, threads=stored.summary["threads"], progress=False)
    assert list(log.columns) == list(stored.log.columns) and len(log) == len(stored.log)
    for column in log.columns.drop("seconds", errors="ignore"):
        ours, theirs = log[column].to_numpy(), stored.log[column].to_numpy()
        if ours.dtype == object:
            assert all(np.array_equal(a, b) or (a is None and b is None) for a, b in zip(ours, theirs)), column
        else:
            np.testing.assert_array_equal(ours, theirs, err_msg=column)
    timings = ("seconds", "measure_seconds")
    assert {k: v for k, v in summary.items() if k not in timings} == {
        k: stored.summary.get(k) for k in summary if k not in timings}
