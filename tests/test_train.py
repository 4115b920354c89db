"""The shared training loop, on a tiny dataset in MNIST's file format (256 train, 64 test)."""

import dataclasses
import math

import pandas as pd
import pytest
import torch

from critbatch import optim as optimizers
from critbatch import run, runs
from critbatch.store import Store
from critbatch.train import TrainConfig, train
from critbatch.train import measurements

BASE = TrainConfig(
    dataset="mnist",
    model={"kind": "mlp", "hidden": [32]},
    optimizer={"kind": "sgd"},
    lr={"kind": "constant", "value": 0.05},
    batch_size={"kind": "constant", "value": 24},
    epochs=4,
    metrics=("train_loss", "train_acc"),
)


@pytest.fixture
def fit(tiny_mnist, tmp_path):
    """train() on the tiny dataset, without a progress bar."""

    def fit(config=BASE, **options):
        return train(config, data_root=tmp_path, mirror=tiny_mnist, progress=False, **options)

    return fit


def without_time(log: pd.DataFrame) -> pd.DataFrame:
    return log.drop(columns="seconds")


def test_loss_falls(fit):
    log, summary = fit()
    assert summary["status"] == "budget"
    assert log.train_loss.iloc[-1] < 0.5 * log.train_loss.iloc[0]
    assert log.train_acc.iloc[-1] > 0.9


def test_steps_and_sfo_are_counted_exactly(fit):
    # 256 examples in batches of 24: 10 full batches and one of 16 per epoch.
    log, summary = fit()
    assert summary["steps"] == 4 * 11 and summary["sfo"] == 4 * 256 and summary["extra_evals"] == 0
    assert log.step.tolist() == [0, 11, 22, 33, 44] and log.sfo.tolist() == [0, 256, 512, 768, 1024]
    assert summary["measure_examples"] == 5 * 256  # one forward pass over the training set per row


def test_a_batch_size_that_changes_per_step(fit):
    config = dataclasses.replace(BASE, batch_size={"kind": "piecewise_constant", "boundaries": [5, 9],
                                                   "values": [8, 64, 100]}, steps=12, epochs=None,
                                 eval_unit="step", eval_every=1)
    log, summary = fit(config)
    # Replay the schedule against the epoch boundary: 5x8 = 40, 4x64 = 256 -> the 4th is cut to
    # 256 - 40 - 3x64 = 24 at the end of the first epoch; then 100, 100 and the rest, 56.
    used = [8] * 5 + [64, 64, 64, 24] + [100, 100, 56]
    assert log.sfo.diff().dropna().astype(int).tolist() == used
    assert summary["sfo"] == sum(used) and log.batch_size.tolist()[:6] == [8] * 5 + [64]


def test_forward_only_closure_calls_are_extra_evaluations(fit, monkeypatch):
    """An optimizer that evaluates two trial points without gradients before its step."""

    class Probe(torch.optim.SGD):
        def step(self, closure):
            closure(backward=False)
            closure(backward=False)
            return super().step(closure)

    monkeypatch.setitem(optimizers._OPTIMIZERS, "probe", lambda params, lr: Probe(params, lr=lr))
    _, summary = fit(dataclasses.replace(BASE, optimizer={"kind": "probe"}, epochs=1))
    assert summary["sfo"] == 256 and summary["extra_evals"] == 2 * 256


def test_deterministic_for_a_seed(fit):
    a, _ = fit()
    b, _ = fit()
    c, _ = fit(dataclasses.replace(BASE, seed=1))
    pd.testing.assert_frame_equal(without_time(a), without_time(b))
    assert not a.train_loss.equals(c.train_loss)


@pytest.mark.parametrize("optimizer, lr", [
    ({"kind": "momentum", "momentum": 0.9}, BASE.lr),
    ({"kind": "armijo", "reset": "grow", "steps_per_epoch": "auto"}, None),
])
def test_killed_run_resumes_to_the_same_result(fit, tmp_path, optimizer, lr):
    config = dataclasses.replace(BASE, optimizer=optimizer, lr=lr, augment=True, eval_unit="step",
                                 eval_every=7, epochs=3)
    reference, ref_summary = fit(config)
    checkpoint = tmp_path / "run.pt"

    def kill_after_three_rows(row):
        if row["step"] >= 21:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(config, checkpoint=checkpoint, on_log=kill_after_three_rows)
    assert checkpoint.is_file()
    logged = []
    resumed, summary = fit(config, checkpoint=checkpoint, on_log=lambda row: logged.append(row["step"]))
    assert logged[0] == 28, "a short run resumes from its last evaluation, not from step 0"
    pd.testing.assert_frame_equal(without_time(resumed), without_time(reference))
    timings = ("seconds", "measure_seconds")
    assert {k: v for k, v in summary.items() if k not in timings} == {
        k: v for k, v in ref_summary.items() if k not in timings}


def test_a_checkpoint_of_another_run_is_refused(fit, tmp_path):
    checkpoint = tmp_path / "run.pt"
    fit(dataclasses.replace(BASE, epochs=1), checkpoint=checkpoint)
    with pytest.raises(ValueError, match="cannot resume run"):
        fit(checkpoint=checkpoint)


def test_divergence_is_recorded_not_raised(fit):
    log, summary = fit(dataclasses.replace(BASE, lr={"kind": "constant", "value": 1e12}))
    assert summary["status"] == "diverged"
    assert summary["steps"] < 44
    assert math.isnan(log.batch_loss.iloc[-1]) or not math.isfinite(log.train_loss.iloc[-1])


def test_stop_at_a_target_on_a_full_data_metric(fit):
    config = dataclasses.replace(BASE, stop={"metric": "train_acc", "target": 0.5}, epochs=50,
                                 eval_unit="step", eval_every=2)
    log, summary = fit(config)
    assert summary["status"] == "reached"
    assert log.train_acc.iloc[-1] >= 0.5 and (log.train_acc.iloc[:-1] < 0.5).all()
    assert summary["steps"] % 2 == 0 and summary["steps"] < 50 * 11


def test_gradient_norm_and_test_metrics(fit):
    config = dataclasses.replace(BASE, metrics=("train_loss", "grad_norm", "test_loss", "test_acc"),
                                 stop={"metric": "grad_norm", "target": 1e-9}, epochs=1)
    log, summary = fit(config)
    assert set(log.columns) >= {"grad_norm", "test_loss", "test_acc"} and "train_acc" not in log
    assert (log.grad_norm > 0).all() and log.test_acc.between(0, 1).all()
    assert summary["measure_examples"] == 2 * (2 * 256 + 64)  # two rows: gradient pass counts twice


def test_full_gradient_norm_is_the_norm_of_the_mean_loss_gradient(tiny_mnist, tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    x, y = torch.rand(50, 1, 28, 28), torch.randint(0, 10, (50,))
    measured = measurements.full_pass(model, x, y, batch=16, gradient=True)
    torch.nn.functional.cross_entropy(model(x), y).backward()
    expected = torch.sqrt(sum((p.grad**2).sum() for p in model.parameters()))
    assert measured["norm"] == pytest.approx(float(expected), rel=1e-5)


def test_run_stores_and_then_loads(tiny_mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("CRITBATCH_CHECKPOINTS", str(tmp_path / "ckpt"))
    store = Store(tmp_path / "results", cache_only=False)
    config = dataclasses.replace(BASE, epochs=1)
    first = run(config, store, data_root=tmp_path, mirror=tiny_mnist, progress=False)
    monkeypatch.setitem(runs._RUN_TYPES, TrainConfig,
                        runs._RunType(lambda *a, **k: pytest.fail("trained again"), checkpoints=True))
    second = run(config, store)
    pd.testing.assert_frame_equal(first.log, second.log)
    assert not any((tmp_path / "ckpt").glob("*.pt"))  # the finished run's checkpoint is gone


@pytest.mark.parametrize("change, message", [
    ({"epochs": None}, "give a budget"),
    ({"eval_unit": "minute"}, "eval_unit"),
    ({"metrics": ("train_loss", "top5")}, "unknown metrics"),
    ({"stop": {"metric": "test_acc", "target": 0.9}}, "stop metric"),
])
def test_bad_configs_are_named(change, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(BASE, **change)


def test_unknown_kinds_are_named(fit):
    with pytest.raises(ValueError, match="unknown optimizer kind 'lion'"):
        fit(dataclasses.replace(BASE, optimizer={"kind": "lion"}))
    with pytest.raises(ValueError, match="unknown model kind 'vit'"):
        fit(dataclasses.replace(BASE, model={"kind": "vit"}))


def test_armijo_trains_and_logs_its_step_sizes(fit):
    config = dataclasses.replace(BASE, optimizer={"kind": "armijo", "c": 0.1, "reset": "grow",
                                                  "steps_per_epoch": "auto"}, lr=None, epochs=2)
    log, summary = fit(config)
    assert log.train_loss.iloc[-1] < 0.5 * log.train_loss.iloc[0]
    assert [len(s) for s in log.step_sizes.iloc[1:]] == [11, 11]  # one per step since the last row
    assert summary["extra_evals"] >= summary["sfo"]  # at least one trial forward per step
    assert log.lr.isna().all()


def test_lr_schedule_is_required_exactly_when_needed():
    with pytest.raises(ValueError, match="lr schedule exactly when"):
        dataclasses.replace(BASE, lr=None)
    with pytest.raises(ValueError, match="lr schedule exactly when"):
        dataclasses.replace(BASE, optimizer={"kind": "armijo", "reset": "constant"})


def test_a_stalled_run_stops_after_its_patience(fit):
    # A zero learning rate never improves the accuracy: the run must give up after 1.5 epochs.
    config = dataclasses.replace(BASE, lr={"kind": "constant", "value": 0.0}, epochs=50, patience=1.5,
                                 stop={"metric": "train_acc", "target": 0.99}, eval_unit="step", eval_every=4)
    log, summary = fit(config)
    assert summary["status"] == "stalled" and 1.5 <= summary["epochs"] < 2
    with pytest.raises(ValueError, match="patience needs a stop rule"):
        dataclasses.replace(BASE, patience=2.0)


def test_a_measurement_is_added_without_editing_the_loop(fit, monkeypatch):
    monkeypatch.setattr(measurements, "_REGISTRY", dict(measurements._REGISTRY))

    @measurements.measurement("weight_norm")
    def weight_norm(probe, wanted):
        return {"weight_norm": float(torch.cat([p.detach().flatten() for p in probe.model.parameters()]).norm())}

    log, _ = fit(dataclasses.replace(BASE, metrics=("train_loss", "weight_norm"), epochs=2))
    assert log.weight_norm.notna().all() and log.weight_norm.iloc[-1] != log.weight_norm.iloc[0]
    with pytest.raises(ValueError, match="already registered"):
        measurements.measurement("train_loss")(weight_norm)


def test_unknown_metrics_are_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown metrics.*known: train_loss"):
        dataclasses.replace(BASE, metrics=("train_los",))


@pytest.mark.parametrize("changes, message", [
    ({"seed": -1}, "seed must be a non-negative integer"),
    ({"seed": 1.5}, "seed must be a non-negative integer"),
    ({"batch_size": {"kind": "constant", "value": 2.5}}, "batch_size must be a positive integer, got 2.5"),
    ({"batch_size": {"kind": "constant", "value": 0}}, "batch_size must be a positive integer, got 0"),
])
def test_bad_parameters_are_refused_in_one_line_before_any_data_loads(changes, message):
    with pytest.raises(ValueError, match=message) as error:
        dataclasses.replace(BASE, **changes)
    assert "\n" not in str(error.value)


def test_an_unknown_device_is_refused_before_any_data_loads(tmp_path):
    with pytest.raises(ValueError, match="unknown device 'gpu'; use 'cpu'"):
        train(BASE, device="gpu", data_root=tmp_path, mirror=tmp_path / "nowhere", progress=False)


STAGED = dataclasses.replace(
    BASE, batch_size={"kind": "exponential", "init": 8, "rate": 2.0, "unit": "stage"},
    lr={"kind": "exponential", "init": 0.05, "rate": 1.4, "unit": "stage"}, epochs=6, eval_unit="step",
    eval_every=8, metrics=("train_loss", "grad_norm"),
    stages={"kind": "threshold", "metric": "grad_norm", "init": 0.6, "batch0": 8, "delta": 2.0, "gamma": 1.4})


def test_threshold_stages_grow_the_batch_size_and_the_learning_rate(fit):
    log, summary = fit(STAGED)
    stages = summary["stages"]
    assert len(stages) >= 3, "the gradient norm should cross the first thresholds on this easy problem"
    for record in stages[:-1]:  # each stage ends at the first check whose norm is at most its threshold
        rows = log[log.stage == record["stage"]]
        assert (rows.grad_norm.iloc[:-1] > record["threshold"]).all()
        assert rows.grad_norm.iloc[-1] <= record["threshold"]
        assert (rows.batch_size == 8 * 2 ** record["stage"]).all()
        assert rows.lr.to_numpy() == pytest.approx(0.05 * 1.4 ** record["stage"])
    assert [r["threshold"] for r in stages[:3]] == pytest.approx([0.6, 0.6 / 2**0.5, 0.3])


def test_staged_runs_resume_with_their_stage(fit, tmp_path):
    reference, ref_summary = fit(STAGED)
    checkpoint = tmp_path / "run.pt"
    middle = ref_summary["stages"][1]["step"] + 8

    def kill(row):
        if row["step"] >= middle:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(STAGED, checkpoint=checkpoint, on_log=kill)
    resumed, summary = fit(STAGED, checkpoint=checkpoint)
    pd.testing.assert_frame_equal(without_time(resumed), without_time(reference))
    assert summary["stages"] == ref_summary["stages"]


def test_a_line_search_follows_the_steps_per_epoch_of_a_growing_batch(fit, monkeypatch):
    seen = []
    original = optimizers.ArmijoSGD.step

    def spy(self, closure):
        seen.append(self.param_groups[0]["steps_per_epoch"])
        return original(self, closure)

    monkeypatch.setattr(optimizers.ArmijoSGD, "step", spy)
    config = dataclasses.replace(BASE, optimizer={"kind": "armijo", "reset": "grow", "steps_per_epoch": "auto"},
                                 lr=None, batch_size={"kind": "piecewise_constant", "boundaries": [20],
                                                      "values": [16, 64]}, epochs=None, steps=30)
    fit(config)
    assert seen[0] == 256 // 16 and seen[-1] == 256 // 64


def test_runs_are_trained_on_one_pinned_thread_and_say_so(tiny_mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("CRITBATCH_CHECKPOINTS", str(tmp_path / "ckpt"))
    seen = []
    original = runs._RUN_TYPES[TrainConfig]
    monkeypatch.setitem(runs._RUN_TYPES, TrainConfig, runs._RunType(
        lambda config, **options: (seen.append(torch.get_num_threads()), original.train(config, **options))[1],
        checkpoints=True))
    before = torch.get_num_threads()
    result = run(dataclasses.replace(BASE, epochs=1), Store(tmp_path / "results", cache_only=False),
                 data_root=tmp_path, mirror=tiny_mnist, progress=False)
    assert seen == [1] and result.summary["threads"] == 1 and torch.get_num_threads() == before


def test_a_checkpoint_made_with_other_threads_is_refused(fit, tmp_path):
    checkpoint = tmp_path / "run.pt"
    with runs.pinned_threads(2):
        fit(dataclasses.replace(BASE, epochs=1), checkpoint=checkpoint)
    with runs.pinned_threads(1), pytest.raises(ValueError, match="made with .*'threads': 2.*resume with the same"):
        fit(dataclasses.replace(BASE, epochs=1), checkpoint=checkpoint)


def test_float64_puts_network_data_and_optimizer_state_in_double(fit, monkeypatch):
    """The network, its optimizer state and the batches (a float32 batch would not pass a float64
    network) are in double precision; the run follows the float32 one closely but not bit for bit."""
    built = []
    build = optimizers.build
    monkeypatch.setattr(optimizers, "build", lambda *a, **kw: built.append(build(*a, **kw)) or built[-1])
    config = dataclasses.replace(BASE, optimizer={"kind": "momentum", "momentum": 0.9}, epochs=2)
    single, _ = fit(config)
    double, summary = fit(dataclasses.replace(config, dtype="float64"))
    assert summary["status"] == "budget"
    params = [p for group in built[-1].param_groups for p in group["params"]]
    assert {p.dtype for p in params} == {torch.float64}
    assert {s["momentum_buffer"].dtype for s in built[-1].state.values()} == {torch.float64}
    assert {p.dtype for group in built[0].param_groups for p in group["params"]} == {torch.float32}
    assert not single.train_loss.equals(double.train_loss)
    assert double.train_loss.to_numpy() == pytest.approx(single.train_loss.to_numpy(), rel=1e-3)


def test_dtype_is_checked_and_leaves_the_keys_of_earlier_runs_as_they_were():
    from critbatch.store import config_key

    with pytest.raises(ValueError, match=r"^dtype must be one of None, 'float64', got 'float16'$"):
        dataclasses.replace(BASE, dtype="float16")
    assert config_key(BASE) == "9699c341e5cfd654"  # the key before TrainConfig had a dtype
    assert config_key(dataclasses.replace(BASE, dtype="float64")) != config_key(BASE)


def test_a_test_subset_measures_the_test_metrics_on_that_many_fixed_examples(fit):
    config = dataclasses.replace(BASE, metrics=("test_loss", "test_acc"), epochs=1)
    whole, whole_summary = fit(config)
    part, part_summary = fit(dataclasses.replace(config, test_subset=16))
    assert whole_summary["measure_examples"] == 2 * 64 and part_summary["measure_examples"] == 2 * 16
    assert (part.test_acc * 16).round(6).tolist() == (part.test_acc * 16).round().tolist()  # k of 16 right
    assert part.test_loss.tolist() != whole.test_loss.tolist()  # another sample than the whole split
    with pytest.raises(ValueError, match="test_subset must be in 1..64, got 65"):
        fit(dataclasses.replace(config, test_subset=65))
