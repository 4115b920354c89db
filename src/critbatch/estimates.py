"""What a planned run will cost, from the work it does, not from runs that look like it.

A :class:`critbatch.train.TrainConfig` run's work is counted from its config: the network's
floating-point operations per example, forward and forward-backward (counted once per network and
data set with :class:`torch.utils.flop_counter.FlopCounterMode` on two synthetic examples of the
data set's shape), and its kernel launches per training step (the aten operators of one
forward-backward, counted the same way); the examples it trains on at its full budget (the epochs
times the training set, or the steps times the batch size, whichever ends first; with a batch size
that grows, the epochs, and at most the steps at the first batch size); one more forward per example
for a line search (Armijo's trials, 1.01-1.04 per step in ``data/benchmarks/speed-cpu-amd-epyc.json``), and
half a step's operators; and its measurement passes (per evaluation, one forward over the training
set for the ``train_*`` metrics, one over the test set for the ``test_*`` ones, one forward-backward
over the training set for each other metric). Runs that stop at a target stop earlier: every estimate is at the full budget, an upper
bound.

A step takes the longer of its arithmetic (FLOPs over the device's sustained FLOP/s) and its
launches (operators times the seconds per operator):

* CPU: both measured on one pinned thread by ``benchmarks/throughput.py``, stored in
  ``data/benchmarks/throughput-cpu.json`` (:func:`cpu`);
* GPU: :data:`GPU`, an assumption stated with its source.

Stored runs only count when they are the same run type, network and data set at the same scale
(same training subset and precision): then the CPU estimate is scaled by their measured
``seconds`` over their own estimate (:func:`cpu_seconds`). Other run types have no FLOP model:
their CPU time is that of a stored run identical but for its seed, else unknown, and their GPU
time is unknown. Unknown is NaN, never 0.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

from . import paths
from .store import SUMMARY_COLUMNS, Store, config_key, index_fields

__all__ = ["GPU", "Device", "Work", "cpu", "cpu_seconds", "model_work", "seconds", "work"]


@dataclass(frozen=True)
class Device:
    """A device's sustained throughput, and where the numbers come from."""

    name: str
    flops_per_s: float  # sustained FLOP/s of a training step's arithmetic
    seconds_per_op: float  # one operator's launch (the floor of a small step)
    source: str


#: The GPU the README's cluster section prices: an H200 (NVIDIA's datasheet: 67 TFLOP/s FP32,
#: 494.7 TFLOP/s dense TF32 on tensor cores, which cuDNN uses for fp32 convolutions by default in
#: torch). Assumed: 13 % of the dense TF32 peak (64 TFLOP/s) and 18 us per operator, what the H100
#: step times of the paper notes (/work/shared/specs, Paper 2 notes sec. 7.1: the CIFAR ResNet-18,
#: 7.8 ms at b = 128, 49.5 ms at b = 1024, 7.5 ms at b = 4) give with this module's counts (11-14 %
#: at b >= 128; 412 operators per step). The H200 has the H100's compute and more memory
#: bandwidth, so this is slightly pessimistic; runs in fp32, one run per GPU.
GPU = Device("H200", 0.13 * 494.7e12, 18e-6,
             "assumed: NVIDIA H200, 13 % of its dense TF32 peak of 494.7 TFLOP/s and 18 us per operator, "
             "calibrated on the paper notes' H100 ResNet-18 step times")


def cpu(path: Path | None = None) -> Device | None:
    """One pinned CPU thread as ``benchmarks/throughput.py`` measured it (None if not measured)."""
    path = path or paths.project_root() / "data" / "benchmarks" / "throughput-cpu.json"
    if not path.is_file():
        return None
    record = json.loads(path.read_text())
    return Device(f"CPU thread ({record['cpu']})", record["flops_per_s"], record["seconds_per_op"],
                  f"measured by benchmarks/throughput.py on {record['date'][:10]} ({path.name})")


@dataclass(frozen=True)
class Work:
    """A run's work: FLOPs and operator launches of training, FLOPs of measuring."""

    steps: float
    train_flops: float
    train_ops: float
    measure_flops: float


class _OpCounter(TorchDispatchMode):
    """Counts the aten operators dispatched (each one kernel launch, or about)."""

    def __init__(self):
        super().__init__()
        self.ops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops += 1
        return func(*args, **(kwargs or {}))


@functools.lru_cache(maxsize=None)
def _model_work(spec_json: str, dataset: str) -> tuple[float, float, int]:
    from . import data, models

    source = data.SOURCES[dataset]
    with torch.device("meta"):  # shapes only: counted without computing
        model = models.build(json.loads(spec_json), source.shape, source.classes)
        x, y = torch.empty(2, *source.shape), torch.tensor([0, 1])
    with torch.no_grad(), FlopCounterMode(display=False) as forward:
        model(x)
    with FlopCounterMode(display=False) as both, _OpCounter() as ops:
        torch.nn.functional.cross_entropy(model(x), y).backward()
    return forward.get_total_flops() / 2, both.get_total_flops() / 2, ops.ops + 2 * len(list(model.parameters()))


def model_work(model: dict, dataset: str) -> tuple[float, float, int]:
    """FLOPs per example of a forward and of a forward-backward pass of the network ``model`` on
    ``dataset``, and the operators of one training step (forward, backward, and two per
    parameter tensor for the update). Counted once per network and data set."""
    return _model_work(json.dumps(model, sort_keys=True), dataset)


def work(config: Any) -> Work | None:
    """The work of a TrainConfig run at its full budget (module docstring); None for other run types."""
    from .data import SOURCES
    from .schedules import Progress, as_batch_size, from_spec
    from .train import TrainConfig

    if not isinstance(config, TrainConfig):
        return None
    forward, both, ops = model_work(config.model, config.dataset)
    n, n_test = SOURCES[config.dataset].sizes
    n, n_test = config.train_subset or n, config.test_subset or n_test
    b = as_batch_size(from_spec(config.batch_size)(Progress(step=0, epoch=0.0, examples=0, stage=0)))
    examples = config.epochs * n if config.epochs is not None else config.steps * b
    steps = min(math.ceil(examples / b), config.steps or math.inf)
    if config.batch_size.get("kind") == "constant":
        examples = min(examples, steps * b)
    line_search = config.optimizer.get("kind") == "armijo"
    per_example = both + (forward if line_search else 0)
    interval = config.eval_every * (1 if config.eval_unit == "step" else math.ceil(n / b))
    evaluations = 1 + math.ceil(steps / interval)
    per_evaluation = (n * forward * any(m.startswith("train_") for m in config.metrics)
                      + n_test * forward * any(m.startswith("test_") for m in config.metrics)
                      + n * both * sum(not m.startswith(("train_", "test_")) for m in config.metrics))
    return Work(steps, examples * per_example, steps * ops * (1.5 if line_search else 1),
                evaluations * per_evaluation)


def seconds(w: Work, device: Device) -> float:
    """Seconds of ``w`` on ``device``: per step the longer of its arithmetic and its launches,
    and the measurement passes at the sustained rate."""
    arithmetic = w.train_flops / device.flops_per_s
    launches = w.train_ops * device.seconds_per_op
    return max(arithmetic, launches) + w.measure_flops / device.flops_per_s


#: The fields besides the network's (``model.*``) that make two TrainConfig runs the same work.
_SAME_SCALE = ("type", "dataset", "train_subset", "test_subset", "dtype")


def _signature(fields: dict, chosen) -> tuple:
    """The ``(name, value)`` pairs of ``fields`` that ``chosen(name)`` picks, unset ones left out."""
    return tuple(sorted((k, str(v)) for k, v in fields.items()
                        if chosen(k) and v is not None and not (isinstance(v, float) and math.isnan(v))))


def _config_field(name: str) -> bool:
    """An index column that is a config field, the seed excepted."""
    return name not in ("seed", "key", "cost", "paper", *SUMMARY_COLUMNS)


def _same_work(name: str) -> bool:
    return name.startswith("model.") or name in _SAME_SCALE


def cpu_seconds(configs: list, store: Store, device: Device | None) -> pd.Series:
    """CPU seconds per config (indexed by key), NaN where unknown: :func:`seconds` on ``device``,
    scaled by the median of measured over estimated time of the stored runs of the same run
    type, network and data set at the same scale (:data:`_SAME_SCALE`); for run types without a
    FLOP model, the mean time of stored runs identical but for their seed. Unreadable stored
    files are left out (the dry run reports them)."""
    rows = [{k: v for k, v in row.items() if k not in ("key", "seconds", "measure_seconds")}
            | {"key": row["key"], "cost": float(row["seconds"] or 0) + float(row["measure_seconds"] or 0)}
            for row in store.index(skip_corrupt=True).to_dict("records")]
    twins = [(_signature(r, _config_field), r["cost"]) for r in rows]
    ratios: dict[tuple, float] = {}
    out = {}
    for config in configs:
        key, w = config_key(config), work(config)
        flat = {"type": type(config).__name__, **index_fields(config)}
        if w is None:
            twin = _signature(flat, lambda c: c != "seed")
            costs = [c for s, c in twins if s == twin and math.isfinite(c)]
            out[key] = sum(costs) / len(costs) if costs else math.nan
            continue
        estimate = seconds(w, device) if device is not None else math.nan
        same = _signature(flat, _same_work)
        if same not in ratios:
            ratios[same] = _calibration([r for r in rows if _signature(r, _same_work) == same], store, device)
        out[key] = estimate * ratios[same] if math.isfinite(ratios[same]) else estimate
    return pd.Series(out, dtype=float)


def _calibration(rows: list[dict], store: Store, device: Device | None, most: int = 10) -> float:
    """Median of measured over estimated seconds of up to ``most`` stored runs (NaN without a
    device or a timing)."""
    if device is None:
        return math.nan
    ratios = []
    for row in [r for r in rows if math.isfinite(r["cost"]) and r["cost"] > 0][:most]:
        config = store.load_key(row["key"]).config
        ratios.append(row["cost"] / seconds(work(config), device))
    return float(pd.Series(ratios, dtype=float).median()) if ratios else math.nan
