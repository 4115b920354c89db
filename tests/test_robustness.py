"""Bad input stopped in one line naming the fix; debris of killed processes (notebook and
checkpoint part files, pool workers) cleaned up; corrupt checkpoints and results named, not
crashed on; a finite but exploding loss called diverged."""

import dataclasses
import importlib.util
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from critbatch import notebooks, runs, sweep as sweeps
from critbatch.optim import ArmijoSGD
from critbatch.paths import project_root
from critbatch.store import CorruptResult, Store, config_key
from critbatch.train import TrainConfig, loop

from crash_once import CrashOnce
from test_train import BASE

ROOT = project_root()
TESTS = Path(__file__).parent


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


# A: notebook executions killed midway ------------------------------------------------------------


def test_a_killed_notebook_executions_part_file_is_not_a_notebook(tmp_path):
    folder = tmp_path / "notebooks" / "paper"
    folder.mkdir(parents=True)
    (folder / "fig.ipynb").write_text("{}")
    (folder / ".fig.4242.part.ipynb").write_text("")  # 0 bytes: killed before papermill wrote anything
    assert notebooks.all_notebooks(tmp_path) == [folder / "fig.ipynb"]


def test_pytest_does_not_collect_a_killed_notebook_executions_part_file():
    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    assert conftest.pytest_ignore_collect(ROOT / "notebooks" / "armijo" / ".fig.4242.part.ipynb", None) is True
    assert conftest.pytest_ignore_collect(ROOT / "notebooks" / "armijo" / "fig.ipynb", None) is None


# B and H: checkpoints -----------------------------------------------------------------------------


def test_half_written_checkpoints_of_killed_runs_are_removed(tiny_mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("CRITBATCH_CHECKPOINTS", str(tmp_path / "ckpt"))
    (tmp_path / "ckpt").mkdir()
    debris = tmp_path / "ckpt" / f".0123456789abcdef.pt.{dead_pid()}.part"
    debris.write_bytes(b"x" * 1000)
    runs.train(dataclasses.replace(BASE, epochs=1), data_root=tmp_path, mirror=tiny_mnist, progress=False)
    assert not debris.exists()


def test_a_corrupt_checkpoint_is_named_removed_and_the_run_starts_over(tiny_mnist, tmp_path):
    checkpoint = tmp_path / "run.pt"
    checkpoint.write_bytes(b"PK\x03\x04 not a checkpoint" * 100)
    config = dataclasses.replace(BASE, epochs=1)
    with pytest.warns(UserWarning, match=f"{checkpoint}: unreadable checkpoint"):
        log, summary = loop.train(config, data_root=tmp_path, mirror=tiny_mnist, checkpoint=checkpoint,
                                  progress=False)
    fresh, _ = loop.train(config, data_root=tmp_path, mirror=tiny_mnist, progress=False)
    assert summary["status"] == "budget"
    pd.testing.assert_frame_equal(log.drop(columns="seconds"), fresh.drop(columns="seconds"))


# H: corrupt stored results -------------------------------------------------------------------------


def test_a_corrupt_stored_result_is_not_stored_for_the_dry_run_and_stops_the_sweep(tmp_path, monkeypatch):
    marker = tmp_path / "marker"
    marker.write_text("no crash")
    configs = [CrashOnce(str(marker), i) for i in range(2)]
    monkeypatch.setattr(sweeps, "figures", lambda: {("corrupttest", "fig"): sweeps.Figure(
        "corrupttest", "fig", lambda scale: configs)})
    store = Store(tmp_path / "results", cache_only=False)
    sweeps.sweep("smoke", store, paper="corrupttest", workers=1, progress=False)
    damaged = store.path(configs[1])
    damaged.write_bytes(damaged.read_bytes()[:200])
    table = sweeps.dry_run("smoke", store, paper="corrupttest")
    assert table.set_index("key").stored.to_dict() == {config_key(configs[0]): "yes", config_key(configs[1]): "corrupt"}
    with pytest.raises(CorruptResult, match=f"1 stored results .*{damaged.name}.*restore them from git or delete"):
        sweeps.sweep("smoke", store, paper="corrupttest", workers=1, progress=False)


# D: Ray asked for what it does not have -------------------------------------------------------------


def test_ray_runs_asking_for_more_than_any_node_has_are_refused():
    with pytest.raises(ValueError, match="asks for 1 CPUs and 1 GPUs .*nodes: 16 CPUs and 0 GPUs"):
        sweeps._fits(1, 1, [{"CPU": 16.0}])
    sweeps._fits(1, 0.5, [{"CPU": 16.0}, {"CPU": 4.0, "GPU": 1.0}])


def test_ray_at_an_address_where_nothing_answers_fails_at_once(monkeypatch):
    with pytest.raises(ValueError, match="--address 127.0.0.1:9: no Ray cluster answers there"):
        sweeps._ray([sweeps.Planned("raytest", "fig", BASE)], Store(cache_only=True), {}, None,
                    address="127.0.0.1:9", cpus=1, gpus=0, retries=0)


# E: the sweep's main process killed -----------------------------------------------------------------


def test_workers_end_when_the_sweeps_main_process_is_killed(tmp_path):
    pid_file = tmp_path / "worker.pid"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), *sys.path]), "CRITBATCH_CACHE_ONLY": "0"}
    main = subprocess.Popen([sys.executable, str(TESTS / "worker_leak.py"), str(pid_file), str(tmp_path / "results")],
                            env=env)
    try:
        for _ in range(600):  # the worker starts (spawned: it imports torch) and writes its pid
            if pid_file.is_file() and pid_file.read_text():
                break
            time.sleep(0.1)
        worker = int(pid_file.read_text())
        main.send_signal(signal.SIGKILL)
        main.wait()
        for _ in range(100):  # it runs for 120 s unless it notices its parent is gone
            if not _alive(worker):
                break
            time.sleep(0.1)
        assert not _alive(worker), "the worker outlived the sweep's main process"
    finally:
        main.kill()
        if pid_file.is_file() and pid_file.read_text() and _alive(int(pid_file.read_text())):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie has ended
        return f.read().split(") ")[-1][0] != "Z"


# F: bad values, each one line naming the field --------------------------------------------------------


@pytest.mark.parametrize("change, message", [
    ({"steps": 0}, "steps must be a positive integer"), ({"steps": -3}, "steps must be a positive integer"),
    ({"epochs": -1}, "epochs must be a finite number above 0"), ({"eval_every": 2.5}, "eval_every must be a positive"),
    ({"lr": {"kind": "constant", "value": math.nan}}, r"TrainConfig.lr.value is nan; give a finite number"),
    ({"epochs": math.inf}, r"TrainConfig.epochs is inf"),
    ({"stop": {"metric": "train_acc", "target": math.inf}}, r"TrainConfig.stop.target is inf"),
])
def test_bad_budgets_and_non_finite_values_are_refused_naming_the_field(change, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(BASE, **change)


def test_a_config_key_names_a_non_finite_field():
    @dataclasses.dataclass(frozen=True)
    class Other:
        rate: float

    with pytest.raises(ValueError, match=r"Other.rate is nan; give a finite number"):
        config_key(Other(math.nan))


@pytest.mark.parametrize("option, value", [("fallback_step", -1.0), ("fallback_step", math.nan),
                                           ("init_step_size", math.inf), ("growth", math.inf),
                                           ("max_backtracks", 2.5)])
def test_armijo_refuses_a_bad_option(option, value):
    import torch

    with pytest.raises(ValueError, match=option):
        ArmijoSGD([torch.zeros(1, requires_grad=True)], steps_per_epoch=1, **{option: value})


@pytest.mark.parametrize("argv, message", [
    (["--workers", "0"], "workers must be a positive integer"),
    (["--engine", "ray", "--cpus", "0"], "cpus must be a finite number above 0"),
    (["--data-root", "/nonexistent"], "--data-root '/nonexistent' is not an existing folder"),
])
def test_the_sweep_command_stops_a_bad_option_in_one_line(argv, message, capsys):
    assert sweeps.main(["--scale", "smoke", "--paper", "armijo", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


def test_a_bad_notebook_parameter_through_papermill_is_one_line(tmp_path, capsys):
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3", "language": "python",
                                                                               "display_name": "Python 3"}},
                "cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "scale = 'reduced'",
                           "outputs": [], "execution_count": None, "id": "a"},
                          {"cell_type": "code", "metadata": {}, "source": "from critbatch.notebooks import opener\n"
                           "opener(scale)", "outputs": [], "execution_count": None, "id": "b"}]}
    source = tmp_path / "fig.ipynb"
    source.write_text(json.dumps(notebook))
    assert notebooks.main(["--inplace", "-p", "scale", "huge", str(source)]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("executing")]
    assert len(errors) == 1 and "ValueError" in errors[0] and "huge" in errors[0], errors


# The finite divergence ---------------------------------------------------------------------------------


def test_a_loss_a_thousandfold_its_first_value_has_diverged_though_finite():
    rows = [{"train_loss": 2.3, "batch_loss": math.nan}, {"train_loss": 2.0, "batch_loss": 2.1}]
    assert loop._diverged(rows, {"train_loss": 5e5, "batch_loss": 4e5})
    assert not loop._diverged(rows, {"train_loss": 346.0, "batch_loss": 300.0})  # the stored runs' worst: not
    assert not loop._diverged([{"train_loss": 1e-4}], {"train_loss": 0.5})  # a thousandfold, under the floor
    assert loop._diverged(rows, {"train_loss": math.inf})


# oneDNN off unless asked for: its convolution backward corrupts memory on some CPUs -----------------


def test_onednn_is_off_by_default_on_when_asked_recorded_and_restored(monkeypatch):
    import torch

    from critbatch import devices, runs

    seen = []

    @dataclasses.dataclass(frozen=True)
    class Probe:
        x: int

    runs.register(Probe, lambda config: (pd.DataFrame({"step": [0]}), {"mkldnn": seen.append(
        torch.backends.mkldnn.enabled)}))
    before = torch.backends.mkldnn.enabled
    monkeypatch.delenv("CRITBATCH_ONEDNN", raising=False)
    _, summary = runs.train(Probe(1))
    assert seen == [False] and summary["onednn"] == "off" and torch.backends.mkldnn.enabled == before
    assert summary["cpu"] == devices.cpu_model() != ""
    monkeypatch.setenv("CRITBATCH_ONEDNN", "on")
    _, summary = runs.train(Probe(2))
    assert seen == [False, True] and summary["onednn"] == "on" and torch.backends.mkldnn.enabled == before
    monkeypatch.setenv("CRITBATCH_ONEDNN", "yes")
    with pytest.raises(ValueError, match="CRITBATCH_ONEDNN must be 'on' or 'off'"):
        runs.train(Probe(3))
