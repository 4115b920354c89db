"""The experiments of Tsukada & Iiduka (arXiv 2307.13831), defined once for every notebook.

For each batch size b = 2^2 ... 2^10 and each of six optimizers, a run trains from scratch and
stops once a target is reached; K(b) is the number of steps to the first check that meets it,
N(b) the examples whose gradients were computed by then (the SFO complexity), and the critical
batch size the b with the smallest N.

The stopping rule is the paper's: training accuracy >= 0.97 on MNIST (0.99 on CIFAR). We measure
it on the whole training set (the official code uses its first 1,024 examples), every quarter
epoch; the same runs also give the steps to a looser target, 0.95, for the figure at two
targets. A run that has not improved its accuracy for 3 epochs stops as "stalled" (the
budget is 60 epochs). SGD+Armijo uses the paper's c = 0.05, delta = 0.9, growth factor gamma = 2 per epoch
(the ``grow`` reset) and the cap 10; the first trial step, 1, is the arXiv-era code's.
Baselines follow the arXiv-era code (Jul-Nov 2023): constant steps, no augmentation or
normalisation, no weight decay except AdamW's default 0.01; RMSProp, absent from that code,
takes the TMLR code's 1e-3.

Three settings. ``"mnist"``: the MLP 784-512-256-10 on MNIST, the paper's own data and scale at
every scale. ``"cifar10"`` and ``"cifar100"``: at ``paper`` scale the paper's ResNet-34 on
CIFAR-10/100 (no augmentation or normalisation, as in the arXiv-era code), stopping at training
accuracy 0.99; CIFAR is not available offline and a sweep needs GPU-hours, so at ``reduced``
scale both stand on one labelled substitute, a CPU-sized one: 4,096 Fashion-MNIST training
images and the same CIFAR ResNet layout, 18 layers at width 8 (:data:`SUBSTITUTE` says so in
words, for figure labels). On the conv net the accuracy is noisier, so the conv settings check
every half epoch and allow 10 epochs without progress.
"""

from __future__ import annotations

import math

import pandas as pd

from . import scales
from .train import TrainConfig

__all__ = ["BATCH_SIZES", "OPTIMIZERS", "PAPER_SETTINGS", "SETTINGS", "SUBSTITUTE", "TARGETS", "curve_runs",
           "first_reach", "step_size_runs", "substitute", "sweep_runs", "targets", "trained_on"]

#: name -> (optimizer spec, learning-rate schedule spec or None)
OPTIMIZERS = {
    "SGD+Armijo": ({"kind": "armijo", "c": 0.05, "init_step_size": 1.0, "shrink": 0.9, "reset": "grow",
                    "steps_per_epoch": "auto", "max_step_size": 10.0}, None),
    "SGD": ({"kind": "sgd"}, {"kind": "constant", "value": 0.1}),
    "Momentum": ({"kind": "momentum", "momentum": 0.9}, {"kind": "constant", "value": 0.1}),
    "Adam": ({"kind": "adam"}, {"kind": "constant", "value": 1e-3}),
    "AdamW": ({"kind": "adamw", "weight_decay": 0.01}, {"kind": "constant", "value": 1e-3}),
    "RMSProp": ({"kind": "rmsprop"}, {"kind": "constant", "value": 1e-3}),
}
BATCH_SIZES = [2**k for k in range(2, 11)]
TARGETS = (0.97, 0.95)  # training accuracy: the paper's target, and a looser one read from the same runs
MLP = {"kind": "mlp", "hidden": [512, 256]}
SETTINGS = ("mnist", "cifar10", "cifar100")
TRAIN_SIZES = {"mnist": 60_000, "fashion-mnist": 60_000, "cifar10": 50_000, "cifar100": 50_000}
#: The paper's data and network per setting.
PAPER_SETTINGS = {"mnist": "MNIST, MLP", "cifar10": "CIFAR-10, ResNet-34", "cifar100": "CIFAR-100, ResNet-34"}
#: What the reduced-scale CIFAR runs train on instead, for the label on every such figure.
SUBSTITUTE = "Fashion-MNIST (4,096 images), ResNet-18 layout at width 8"


def _mnist(scale: str) -> dict:
    """The MNIST + MLP experiments at ``scale``: the paper's data and model everywhere."""
    return scales.pick(
        scale,
        smoke={"train_subset": 2048, "max_epochs": 8, "batch_sizes": [8, 64, 512], "seeds": 1,
               "targets": (0.9, 0.85)},
        reduced={"train_subset": None, "max_epochs": 60, "batch_sizes": BATCH_SIZES, "seeds": 3,
                 "targets": TARGETS},
        paper={"train_subset": None, "max_epochs": 60, "batch_sizes": BATCH_SIZES, "seeds": 3,
               "targets": TARGETS},
    ) | {"dataset": "mnist", "model": MLP, "checks_per_epoch": 4, "patience": 3.0, "substitute": None}


def _cifar(dataset: str, scale: str) -> dict:
    """The ResNet experiments: ``dataset`` (CIFAR-10 or -100) at paper scale, else the substitute."""
    substitute = {"dataset": "fashion-mnist", "batch_sizes": BATCH_SIZES, "max_epochs": 40, "seeds": 2,
                  "train_subset": 4096, "model": {"kind": "resnet", "depth": 18, "width": 8}, "substitute": SUBSTITUTE}
    return scales.pick(
        scale,
        smoke=substitute | {"train_subset": 256, "model": {"kind": "resnet", "depth": 18, "width": 4},
                            "max_epochs": 3, "batch_sizes": [8, 32, 128], "seeds": 1, "targets": (0.4, 0.3),
                            "substitute": "Fashion-MNIST (256 images), ResNet-18 layout at width 4"},
        reduced=substitute,
        paper={"dataset": dataset, "model": {"kind": "resnet", "depth": 34}, "train_subset": None,
               "max_epochs": 200, "batch_sizes": BATCH_SIZES, "seeds": 3, "substitute": None},
    ) | {"checks_per_epoch": 2, "patience": 10.0} | ({} if scale == "smoke" else {"targets": (0.99, 0.95)})


def _setting(setting: str, scale: str) -> dict:
    """Data, model, budget, stopping checks and batch sizes of ``setting`` at ``scale``."""
    if setting not in SETTINGS:
        raise ValueError(f"setting must be one of {', '.join(SETTINGS)}; got {setting!r}")
    return _mnist(scale) if setting == "mnist" else _cifar(setting, scale)


def targets(scale: str, setting: str = "mnist") -> tuple[float, float]:
    """The training-accuracy targets: the paper's (where runs stop), and a looser one."""
    return _setting(setting, scale)["targets"]


def substitute(scale: str, setting: str = "mnist") -> str | None:
    """What the runs of ``setting`` train on instead of the paper's data and model (None: the paper's own)."""
    return _setting(setting, scale)["substitute"]


def trained_on(scale: str, setting: str = "mnist") -> str:
    """The data and network the runs of ``setting`` at ``scale`` really train: the substitute, or the paper's."""
    return substitute(scale, setting) or PAPER_SETTINGS[setting]


def _config(name: str, b: int, settings: dict, seed: int, options: dict | None = None,
            **changes) -> TrainConfig:
    optimizer, lr = OPTIMIZERS[name]
    return TrainConfig(dataset=settings["dataset"], model=settings["model"], optimizer={**optimizer, **(options or {})},
                       lr=lr, batch_size={"kind": "constant", "value": b}, seed=seed,
                       max_epochs=settings["max_epochs"], train_subset=settings["train_subset"], **changes)


def sweep_runs(scale: str, seed: int = 0, setting: str = "mnist") -> dict[tuple[str, int], list[TrainConfig]]:
    """{(optimizer, b): runs over seeds}, each stopping at the accuracy target (checked every
    quarter epoch on MNIST, every half epoch on the conv nets) or after the patience runs out."""
    settings = _setting(setting, scale)
    n = settings["train_subset"] or TRAIN_SIZES[settings["dataset"]]
    stop = {"metric": "train_acc", "target": settings["targets"][0]}
    return {(name, b): [_config(name, b, settings, s, stop=stop, patience=settings["patience"],
                                metrics=("train_loss", "train_acc"), eval_unit="step",
                                eval_every=math.ceil(n / b / settings["checks_per_epoch"]))
                        for s in range(seed, seed + settings["seeds"])]
            for name in OPTIMIZERS for b in settings["batch_sizes"]}


def first_reach(log: pd.DataFrame, target: float) -> pd.Series | None:
    """The first log row at which the training accuracy is at or above ``target`` (None if never)."""
    hit = log[log.train_acc >= target]
    return hit.iloc[0] if len(hit) else None


CURVE_METRICS = ("train_loss", "train_acc", "test_acc")


def _curve_settings(scale: str, setting: str) -> tuple[dict, int]:
    settings = {**_setting(setting, scale), "max_epochs": scales.pick(scale, smoke=2, reduced=20, paper=200)}
    return settings, scales.pick(scale, smoke=64, reduced=128, paper=128)


def curve_runs(scale: str, seed: int = 0, setting: str = "mnist") -> dict[str, TrainConfig]:
    """Each optimizer at b = 128 for a fixed number of epochs, measured every epoch."""
    settings, b = _curve_settings(scale, setting)
    return {name: _config(name, b, settings, seed, metrics=CURVE_METRICS) for name in OPTIMIZERS}


def step_size_runs(scale: str, seed: int = 0, setting: str = "mnist") -> dict[float, TrainConfig]:
    """SGD+Armijo with several Armijo constants c, as :func:`curve_runs` (c = 0.05 is its run)."""
    settings, b = _curve_settings(scale, setting)
    return {c: _config("SGD+Armijo", b, settings, seed, options={"c": c}, metrics=CURVE_METRICS)
            for c in (0.01, 0.05, 0.1, 0.2, 0.3)}
