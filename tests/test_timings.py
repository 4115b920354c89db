"""Every run type says where its time went: training (``seconds``) and measurement
(``measure_seconds``) apart in its summary, the two columns of the store's index that a sweep
estimates a run's cost from."""

import time

import pytest

from critbatch import runs, sweep
from critbatch.papers.interpolation.kernel_sgd import KernelProblem, KernelRun
from critbatch.papers.interpolation.study import BandwidthSearch
from critbatch.papers.interpolation.variance_reduction import VarianceRun
from critbatch.papers.synthesis.kernel_scales import EstimatorCheck, KernelNoiseTrace
from critbatch.train import TrainConfig

PROBLEM = KernelProblem("mnist", n=64, n_test=32, kernel="gaussian", bandwidth=6.0)
TINY = {  # one small run of every run type of the package (on the tiny MNIST of conftest.py)
    TrainConfig: TrainConfig("mnist", {"kind": "mlp", "hidden": [16]}, {"kind": "sgd"},
                             {"kind": "constant", "value": 0.05}, {"kind": "constant", "value": 32}, steps=8,
                             eval_every=2, eval_unit="step", metrics=("train_loss", "train_acc")),
    KernelRun: KernelRun(PROBLEM, batch_size=4, steps=20, eval_every=5, test=True),
    KernelNoiseTrace: KernelNoiseTrace(PROBLEM, batch_size=4, steps=20, every=5),
    EstimatorCheck: EstimatorCheck(PROBLEM, batch_size=4, steps=5, sample=8),
    VarianceRun: VarianceRun("sgd", n=10, d=20, epochs=5, tol=1e-6),
    BandwidthSearch: BandwidthSearch("mnist", n=64, kernel="gaussian", target_lambda_1=0.1),
}
MEASURES_NOTHING = {BandwidthSearch}  # a search is all computation


def test_every_run_type_of_the_package_is_checked():
    sweep.figures()  # every paper's run types
    assert {t for t in runs._RUN_TYPES if t.__module__.startswith("critbatch.")} == set(TINY)


@pytest.mark.parametrize("config", TINY.values(), ids=[t.__name__ for t in TINY])
def test_a_summary_has_the_training_and_the_measurement_time_apart(config, tiny_mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("CRITBATCH_CHECKPOINTS", str(tmp_path / "checkpoints"))
    started = time.perf_counter()
    _, summary = runs.train(config, data_root=tmp_path, mirror=tiny_mnist, progress=False)
    wall = time.perf_counter() - started
    assert summary["seconds"] > 0 and summary["seconds"] + summary["measure_seconds"] <= wall
    assert summary["measure_seconds"] > 0 or (type(config) in MEASURES_NOTHING and summary["measure_seconds"] == 0)
