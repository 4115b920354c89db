"""One training loop for every paper: a network, an optimizer, a learning-rate schedule and a
batch-size schedule, stopped by a budget or by a target on a full-data metric.

What it counts. *Steps* are optimizer updates. *SFO* (stochastic first-order oracle calls) is
the number of examples whose gradient the optimizer asked for: ``b`` per closure call with
backward, so an optimizer that needs two gradients per step pays ``2b``. Forward-only closure
calls (a line search's trial points) are counted apart as ``extra_evals``, and the full-data
passes made to measure metrics as ``measure_examples``: neither is part of SFO.

The closure contract. ``closure(backward=True)`` computes the mean mini-batch loss of the
current batch; with ``backward=True`` it also zeroes the gradients and back-propagates. Plain
``torch.optim`` optimizers call ``closure()`` and get the usual behaviour; a line search calls
``closure(backward=False)`` for its trial points.

Robustness. A non-finite loss, or one that grew a thousandfold (:func:`_diverged`), ends the run
with status ``"diverged"`` instead of an exception; an unreadable checkpoint is removed with a
warning naming it, and the run starts over.
With a checkpoint path, the whole state (network, optimizer, batch stream, counters, log) is
saved atomically at every evaluation, and a new call with the same config resumes from it to
the same result as an uninterrupted run. Host syncs happen only at logging boundaries.
"""

from __future__ import annotations

import dataclasses
import math
import os
import platform
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F
from tqdm import tqdm

from .. import data as datasets
from .. import devices, models, optim, schedules, validate
from ..data import DeviceLoader
from . import measurements
from ..runs import register
from ..store import config_key

__all__ = ["DTYPES", "TrainConfig", "train"]

#: The floating-point types a run may compute in (TrainConfig.dtype): None is float32, the default.
DTYPES = {None: torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run's result (and so its store key)."""

    dataset: str  # a key of critbatch.data.SOURCES
    model: dict  # model spec, e.g. {"kind": "mlp", "hidden": [512, 256]}
    optimizer: dict  # optimizer spec without lr, e.g. {"kind": "momentum", "momentum": 0.9}
    lr: dict | None  # learning-rate schedule spec, e.g. {"kind": "constant", "value": 0.1};
    #                  None for optimizers that find their own step (critbatch.optim.SCHEDULE_FREE)
    batch_size: dict  # batch-size schedule spec (examples per step)
    seed: int = 0  # network initialisation and batch order
    steps: int | None = None  # budget in optimizer steps
    epochs: float | None = None  # budget in passes over the training set
    stop: dict | None = None  # {"metric": one of metrics, "target": value}: stop once reached
    patience: float | None = None  # epochs without a better stop metric before giving up ("stalled")
    eval_every: int = 1  # logging cadence, in units of eval_unit
    eval_unit: str = "epoch"  # "epoch" or "step"
    metrics: tuple[str, ...] = ("train_loss",)  # measured at every logging boundary (critbatch.train.measurements)
    train_subset: int | None = None  # use this many training examples (a fixed random subset)
    test_subset: int | None = None  # measure test metrics on this many test examples (a fixed random subset)
    normalize: bool = False  # standardise pixels with critbatch.data.NORMALIZATION
    augment: bool = False  # random crop (padding 4) and horizontal flip, per batch
    sampling: str = "epoch"  # "epoch" (shuffled passes) or "replacement"
    stages: dict | None = None  # stages read by schedules with unit="stage" (critbatch.schedules.stages_from_spec),
    #                             e.g. {"kind": "every", "epochs": 10} or {"kind": "threshold", "metric": ...}
    dtype: str | None = None  # "float64": network, data and optimizer state in double precision; None: float32

    def __post_init__(self):
        validate.seed(self.seed)
        validate.finite({f.name: getattr(self, f.name) for f in dataclasses.fields(self)}, "TrainConfig")
        if self.batch_size.get("kind") == "constant":
            validate.positive_int(self.batch_size.get("value"), "batch_size")
        if self.steps is None and self.epochs is None:
            raise ValueError("give a budget: steps, epochs or both")
        if self.steps is not None:
            validate.positive_int(self.steps, "steps")
        if self.epochs is not None:
            validate.positive(self.epochs, "epochs")
        validate.positive_int(self.eval_every, "eval_every")
        if self.eval_unit not in ("epoch", "step"):
            raise ValueError(f"eval_unit must be 'epoch' or 'step', got {self.eval_unit!r}")
        unknown = set(self.metrics) - set(measurements.known())
        if unknown:
            raise ValueError(f"unknown metrics {sorted(unknown)}; known: {', '.join(measurements.known())}")
        if (self.lr is None) != (self.optimizer.get("kind") in optim.SCHEDULE_FREE):
            raise ValueError(f"give an lr schedule exactly when the optimizer needs one "
                             f"({self.optimizer.get('kind')!r} with lr={self.lr!r})")
        if self.patience is not None and (self.stop is None or not self.patience > 0):
            raise ValueError(f"patience needs a stop rule and must be positive, got {self.patience!r}")
        if self.stop is not None and self.stop.get("metric") not in self.metrics:
            raise ValueError(f"the stop metric {self.stop.get('metric')!r} must be one of metrics={self.metrics}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(map(repr, DTYPES))}, got {self.dtype!r}")
        watched = (self.stages or {}).get("metric")
        if watched is not None and watched not in self.metrics:
            raise ValueError(f"the stages watch {watched!r}: add it to metrics={self.metrics}")


@dataclass
class _Counters:
    step: int = 0
    examples: int = 0  # drawn from the loader (the Progress record's examples)
    sfo: int = 0
    extra_evals: int = 0
    measure_examples: int = 0
    seconds: float = 0.0  # training time, measurements excluded
    measure_seconds: float = 0.0  # time spent in measurements
    status: str | None = None
    rows: list = field(default_factory=list)


def _better(metric: str, value: float, than: float) -> bool:
    return value > than if metric.endswith("_acc") else value < than


def _reached(stop: dict | None, row: dict) -> bool:
    if stop is None:
        return False
    value, target = row[stop["metric"]], stop["target"]
    return value == target or _better(stop["metric"], value, target)


def _stalled(config: "TrainConfig", rows: list[dict]) -> bool:
    """No better value of the stop metric for ``config.patience`` epochs."""
    if config.patience is None:
        return False
    metric = config.stop["metric"]
    best = rows[0]
    for row in rows[1:]:
        if _better(metric, row[metric], best[metric]):
            best = row
    return rows[-1]["epoch"] - best["epoch"] >= config.patience


#: A loss above both this many times its first logged value and :data:`DIVERGED_FLOOR` has
#: diverged though finite (a cross-entropy starts near ln(classes), 2.3 for 10). No stored run
#: comes near: their largest loss is 191 times its first value, 346 in all.
DIVERGED_FACTOR = 1e3
DIVERGED_FLOOR = 1e3


def _diverged(rows: list[dict], row: dict) -> bool:
    """Whether ``row`` (after ``rows``) shows a diverged run: a loss or norm that is not finite,
    or a loss above :data:`DIVERGED_FACTOR` times its first finite value and above :data:`DIVERGED_FLOOR`."""
    if not all(math.isfinite(v) for k, v in row.items() if k.endswith(("_loss", "_norm"))):
        return True
    for name in (k for k in row if k.endswith("_loss")):
        first = next((r[name] for r in rows if math.isfinite(r.get(name, math.nan))), row[name])
        if row[name] > max(DIVERGED_FACTOR * first, DIVERGED_FLOOR):
            return True
    return False


class _Session:
    """The state of one run, and the measurements and checkpoints taken of it."""

    def __init__(self, config: TrainConfig, device: torch.device, data_root, mirror, eval_batch: int):
        self.config, self.device, self.eval_batch = config, device, eval_batch
        dtype = DTYPES[config.dtype]

        def load(train: bool) -> datasets.Dataset:
            name = "train_subset" if train else "test_subset"
            split = datasets.load(config.dataset, train, device=device, normalize=config.normalize,
                                  root=data_root, mirror=mirror, subset=getattr(config, name), subset_name=name)
            return split._replace(images=split.images.to(dtype))  # float32: the same tensor, no copy

        train_set = load(True)
        self.images, self.labels = train_set.images, train_set.labels
        torch.manual_seed(config.seed)
        self.model = models.build(config.model, tuple(self.images.shape[1:]), train_set.classes).to(device, dtype)
        self.lr_at = schedules.from_spec(config.lr) if config.lr is not None else None
        self.batch_at = schedules.from_spec(config.batch_size)
        self.stages = schedules.stages_from_spec(config.stages) if config.stages is not None else None
        augment = (lambda x, g: datasets.random_crop_flip(x, 4, g)) if config.augment else None
        self.loader = DeviceLoader(self.images, self.labels, seed=config.seed, sampling=config.sampling,
                                   augment=augment)
        self.counters = _Counters()
        # An optimizer whose per-epoch rules need the steps per epoch ("auto") follows the batch size.
        self.follow_epoch_length = config.optimizer.get("steps_per_epoch") == "auto"
        first = self.progress()
        self.optimizer = optim.build(config.optimizer, self.model.parameters(),
                                     lr=self.lr_at(first) if self.lr_at else None,
                                     steps_per_epoch=self.steps_per_epoch(self.batch_size(first)),
                                     model=self.model)
        self.probe = measurements.Probe(self.model, (self.images, self.labels),
                                        lambda: load(False)[:2], eval_batch,
                                        augment=config.augment)

    @property
    def epochs(self) -> float:
        return self.loader.epoch + self.loader.position / self.loader.n

    def progress(self) -> schedules.Progress:
        """Where the run is, as the schedules read it."""
        c = self.counters
        return schedules.Progress(step=c.step, epoch=self.epochs, examples=c.examples,
                                  stage=self.stages.stage if self.stages is not None else 0)

    def batch_size(self, progress: schedules.Progress) -> int:
        return schedules.as_batch_size(self.batch_at(progress))

    def steps_per_epoch(self, batch_size: int) -> int:
        return math.ceil(len(self.labels) / batch_size)

    def budget_left(self) -> bool:
        c = self.config
        return (c.steps is None or self.counters.step < c.steps) and (
            c.epochs is None or self.epochs < c.epochs)

    def row(self, batch_loss: float) -> dict:
        """A log row: counters, schedules, the mean mini-batch loss since the last row, metrics."""
        c = self.counters
        progress, started = self.progress(), time.perf_counter()
        row = {"step": c.step, "epoch": self.epochs, "sfo": c.sfo, "extra_evals": c.extra_evals,
               "lr": self.lr_at(progress) if self.lr_at else math.nan, "batch_size": self.batch_size(progress),
               "batch_loss": batch_loss}
        if self.stages is not None:
            row["stage"] = self.stages.stage
        self.probe.lr, self.probe.batch_size = row["lr"], row["batch_size"]
        row.update(measurements.measure(self.probe, self.config.metrics))
        if self.stages is not None and c.step > 0:  # a threshold crossed now moves the stage from the next
            # step on; as in Paper 2's code, the first check comes after the first update, never at step 0
            self.stages.update(progress, {k: row[k] for k in self.config.metrics})
        c.measure_examples += self.probe.examples
        self.probe.examples = 0
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        c.measure_seconds += time.perf_counter() - started
        return row

    def state(self) -> dict:
        return {"key": config_key(self.config), "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(), "loader": self.loader.state_dict(),
                "torch_rng": torch.get_rng_state(), "counters": self.counters,
                "stages": self.stages.state_dict() if self.stages is not None else None, "settings": _settings()}

    def restore(self, state: dict) -> None:
        if state["key"] != config_key(self.config):
            raise ValueError(f"checkpoint of run {state['key']} cannot resume run {config_key(self.config)}")
        if state.get("settings") != _settings():
            raise ValueError(f"the checkpoint of run {state['key']} was made with {state.get('settings')}, not "
                             f"{_settings()}: the numbers would differ; resume with the same settings "
                             "(threads=...), or delete the checkpoint to start over")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.loader.load_state_dict(state["loader"])
        torch.set_rng_state(state["torch_rng"])
        self.counters = state["counters"]
        if self.stages is not None:
            self.stages.load_state_dict(state["stages"])


def _settings() -> dict:
    """What changes a run's numbers without being in its config: CPU threads and torch version."""
    return {"threads": torch.get_num_threads(), "torch": torch.__version__}


def _save_checkpoint(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    torch.save(state, tmp)
    os.replace(tmp, path)


def train(
    config: TrainConfig,
    *,
    device: str | torch.device = "cpu",
    data_root: str | Path | None = None,
    mirror: str | Path | None = None,
    checkpoint: str | Path | None = None,
    progress: bool = True,
    eval_batch: int = 1024,
    on_log: Callable[[dict], None] | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Train as ``config`` says; return the log (one row per logging boundary) and a summary.

    ``checkpoint``: a file to save the state to at every evaluation (so a killed run, however
    short, resumes from its last evaluation), and to resume from if it exists. ``on_log`` is
    called with each new log row, after the checkpoint is written. ``eval_batch``: the batch
    size of the measurement passes (it cannot change a result, so it is not in the config).
    """
    device = torch.device(devices.resolve(str(device)))
    session = _Session(config, device, data_root, mirror, eval_batch)
    checkpoint = Path(checkpoint) if checkpoint is not None else None
    if checkpoint is not None and checkpoint.is_file():
        # Load to the CPU: RNG states must stay there; the model and the optimizer copy their
        # tensors to the parameters' device themselves.
        try:
            state = torch.load(checkpoint, map_location="cpu", weights_only=False)
        except Exception as error:  # torch says MemoryError, RuntimeError, EOFError, ...: it cannot resume
            warnings.warn(f"{checkpoint}: unreadable checkpoint ({type(error).__name__}: {error}); removed, "
                          "the run starts over", stacklevel=2)
            checkpoint.unlink()
        else:
            session.restore(state)
    counters, model, optimizer, loader = session.counters, session.model, session.optimizer, session.loader
    if not counters.rows:
        counters.rows.append({**session.row(math.nan), "seconds": 0.0})
        counters.status = "reached" if _reached(config.stop, counters.rows[-1]) else None

    # Per-step step sizes of optimizers that choose them (ArmijoSGD writes its step to group["lr"]).
    step_sizes = [] if config.lr is None else None
    batch_loss = torch.zeros((), device=device)  # sum of b * (mini-batch loss) since the last row
    finite = torch.ones((), dtype=torch.bool, device=device)
    examples_since, started = 0, time.perf_counter()
    bar = tqdm(total=config.steps, initial=counters.step, disable=not progress,
               desc=f"run {config_key(config)[:8]}", unit="step", leave=False)
    while counters.status is None and session.budget_left():
        progress = session.progress()
        b = session.batch_size(progress)
        for group in optimizer.param_groups:
            if session.lr_at is not None:
                group["lr"] = session.lr_at(progress)
            if session.follow_epoch_length:
                group["steps_per_epoch"] = session.steps_per_epoch(b)
        epoch_before = loader.epoch
        x, y = loader.next_batch(b)
        b = len(y)  # the last batch of an epoch may be short

        def closure(backward: bool = True) -> torch.Tensor:
            with torch.set_grad_enabled(backward):
                loss = F.cross_entropy(model(x), y)
            if backward:
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                counters.sfo += b
            else:
                counters.extra_evals += b
            return loss

        loss = optimizer.step(closure).detach()
        counters.step += 1
        counters.examples += b
        if step_sizes is not None:
            step_sizes.append(optimizer.param_groups[0]["lr"])
        if session.stages is not None:
            session.stages.update(session.progress())  # periodic stages advance at their exact step
        batch_loss += loss * b
        finite &= torch.isfinite(loss)
        examples_since += b
        at_end = not session.budget_left()
        if config.eval_unit == "step":
            due = counters.step % config.eval_every == 0
        else:
            due = loader.epoch != epoch_before and loader.epoch % config.eval_every == 0
        if not (due or at_end):
            continue

        if device.type == "cuda":
            torch.cuda.synchronize(device)
        counters.seconds += time.perf_counter() - started  # training time, measurements excluded
        if bool(finite):
            row = session.row(batch_loss.item() / examples_since)
            counters.status = ("diverged" if _diverged(counters.rows, row)
                               else "reached" if _reached(config.stop, row) else None)
            if counters.status is None and _stalled(config, counters.rows + [row]):
                counters.status = "stalled"
        else:
            row = {"step": counters.step, "epoch": session.epochs, "sfo": counters.sfo,
                   "extra_evals": counters.extra_evals, "batch_loss": math.nan}
            counters.status = "diverged"
        if step_sizes is not None:
            row["step_sizes"] = np.asarray(step_sizes, dtype=np.float32)
            step_sizes.clear()
        row.update(getattr(optimizer, "counts", {}))  # e.g. the line search's trials
        counters.rows.append({**row, "seconds": counters.seconds})
        batch_loss.zero_()
        examples_since = 0
        bar.update(counters.step - bar.n)
        bar.set_postfix({k: f"{v:.4g}" for k, v in row.items() if k in config.metrics and isinstance(v, float)})
        if checkpoint is not None:
            _save_checkpoint(checkpoint, session.state())
        if on_log is not None:
            on_log(row)
        started = time.perf_counter()
    bar.close()
    summary = {
        "status": counters.status or "budget",
        "steps": counters.step,
        "epochs": session.epochs,
        "sfo": counters.sfo,
        "extra_evals": counters.extra_evals,
        "measure_examples": counters.measure_examples,
        "seconds": counters.seconds,
        "measure_seconds": counters.measure_seconds,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else str(device),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    if session.stages is not None:
        summary["stages"] = session.stages.log()
    return pd.DataFrame(counters.rows), summary


register(TrainConfig, train, checkpoints=True)
