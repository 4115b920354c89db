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

Each figure of the chapter's table (:mod:`.chapter`) declares its runs here (:func:`sweep_runs`,
:func:`step_size_runs` with :func:`reach_step_size_runs`, :func:`curve_runs`, :func:`round_off_runs`, :func:`trial_bn_runs`) and
measures them, once loaded, with one function that returns a :class:`critbatch.chapters.Result`:
:func:`steps_sfo` (the sweep: K(b), N(b), critical batch sizes, the fit, function computations,
two targets), :func:`cifar_steps_sfo`, :func:`step_sizes`, :func:`curves`,
:func:`cifar_step_sizes_curves` and :func:`open_questions` (two explanations of this chapter put
to the test: float32 round-off behind the collapse at b = 4, and BatchNorm statistics moved by
rejected line-search trials behind the jumpy accuracy on the substitute). None of them loads a run.

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

import dataclasses
import math
from dataclasses import dataclass

import pandas as pd

from critbatch import scales
from critbatch.analysis.cost import cost
from critbatch.analysis.reach import how_ended
from critbatch.analysis.verdicts import Claims
from critbatch.chapters import Result
from critbatch.train import TrainConfig

from . import claims as measured
from . import theory

__all__ = ["ARMIJO_CONSTANTS", "BATCH_SIZES", "OPTIMIZERS", "PAPER_SETTINGS", "SETTINGS", "SUBSTITUTE", "TARGETS",
           "Curves", "OpenQuestions", "StepSizes", "Sweep", "cifar_curve_runs", "cifar_settings",
           "cifar_step_sizes_curves", "cifar_steps_sfo", "cifar_sweep_runs", "curve_runs", "curves", "data_label",
           "mnist_step_size_runs", "mnist_sweep_runs", "open_question_runs", "open_questions", "reach_step_size_runs",
           "read_sweep", "round_off_runs", "step_size_runs", "step_sizes", "steps_sfo", "substitute", "sweep_runs",
           "targets", "trained_on", "trial_bn_runs"]

PAPER = "armijo"

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
        smoke={"train_subset": 2048, "epochs": 8, "batch_sizes": [8, 64, 512], "seeds": 1,
               "targets": (0.9, 0.85)},
        reduced={"train_subset": None, "epochs": 60, "batch_sizes": BATCH_SIZES, "seeds": 5,
                 "targets": TARGETS},
        paper={"train_subset": None, "epochs": 60, "batch_sizes": BATCH_SIZES, "seeds": 5,
               "targets": TARGETS},
    ) | {"dataset": "mnist", "model": MLP, "checks_per_epoch": 4, "patience": 3.0, "substitute": None}


def _cifar(dataset: str, scale: str) -> dict:
    """The ResNet experiments: ``dataset`` (CIFAR-10 or -100) at paper scale, else the substitute."""
    substitute = {"dataset": "fashion-mnist", "batch_sizes": BATCH_SIZES, "epochs": 40, "seeds": 3,
                  "train_subset": 4096, "test_subset": None, "model": {"kind": "resnet", "depth": 18, "width": 8},
                  "substitute": SUBSTITUTE}
    return scales.pick(
        scale,
        smoke=substitute | {"train_subset": 256, "test_subset": 256, "model": {"kind": "resnet", "depth": 18, "width": 4},
                            "epochs": 3, "batch_sizes": [8, 32, 128], "seeds": 1, "targets": (0.4, 0.3),
                            "substitute": "Fashion-MNIST (256 training, 256 test images), ResNet-18 layout at width 4"},
        reduced=substitute,
        paper={"dataset": dataset, "model": {"kind": "resnet", "depth": 34}, "train_subset": None, "test_subset": None,
               "epochs": 200, "batch_sizes": BATCH_SIZES, "seeds": 3, "substitute": None},
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
                       epochs=settings["epochs"], train_subset=settings["train_subset"],
                       test_subset=settings.get("test_subset"), **changes)


def _reach_runs(name: str, b: int, settings: dict, seed: int, options: dict | None = None) -> list[TrainConfig]:
    """``name`` at batch size ``b`` over the seeds of ``settings``, each stopping at the accuracy
    target (checked ``settings["checks_per_epoch"]`` times an epoch) or when the patience runs out."""
    n = settings["train_subset"] or TRAIN_SIZES[settings["dataset"]]
    stop = {"metric": "train_acc", "target": settings["targets"][0]}
    return [_config(name, b, settings, s, options, stop=stop, patience=settings["patience"],
                    metrics=("train_loss", "train_acc"), eval_unit="step",
                    eval_every=math.ceil(n / b / settings["checks_per_epoch"]))
            for s in range(seed, seed + settings["seeds"])]


def sweep_runs(scale: str, seed: int = 0, setting: str = "mnist") -> dict[tuple[str, int], list[TrainConfig]]:
    """{(optimizer, b): runs over seeds}, each stopping at the accuracy target (checked every
    quarter epoch on MNIST, every half epoch on the conv nets) or after the patience runs out."""
    settings = _setting(setting, scale)
    return {(name, b): _reach_runs(name, b, settings, seed) for name in OPTIMIZERS for b in settings["batch_sizes"]}


def reach_step_size_runs(scale: str, seed: int = 0, setting: str = "mnist") -> dict[float, list[TrainConfig]]:
    """{c: runs over seeds}: SGD+Armijo with each Armijo constant of :func:`step_size_runs` at its
    batch size, stopping at the target as the sweep does (:func:`sweep_runs`: checked every
    quarter epoch on MNIST, every half epoch on the conv nets; c = 0.05 is the sweep's run). On
    the conv nets three seeds (one at smoke scale), as the reduced sweep has."""
    settings = _setting(setting, scale)
    if setting != "mnist":
        settings = {**settings, "seeds": scales.pick(scale, smoke=1, reduced=3, paper=3)}
    b = _curve_settings(scale, setting)[1]
    return {c: _reach_runs("SGD+Armijo", b, settings, seed, options={"c": c}) for c in ARMIJO_CONSTANTS}


CURVE_METRICS = ("train_loss", "train_acc", "test_acc")
#: The Armijo constants of the step-size figures (the rebuttal's range; 0.05 is the paper's).
ARMIJO_CONSTANTS = (0.01, 0.05, 0.1, 0.2, 0.3)


def _curve_settings(scale: str, setting: str) -> tuple[dict, int]:
    settings = {**_setting(setting, scale), "epochs": scales.pick(scale, smoke=2, reduced=20, paper=200)}
    return settings, scales.pick(scale, smoke=64, reduced=128, paper=128)


def curve_runs(scale: str, seed: int = 0, setting: str = "mnist") -> dict[str, TrainConfig]:
    """Each optimizer at b = 128 for a fixed number of epochs, measured every epoch."""
    settings, b = _curve_settings(scale, setting)
    return {name: _config(name, b, settings, seed, metrics=CURVE_METRICS) for name in OPTIMIZERS}


def step_size_runs(scale: str, seed: int = 0, setting: str = "mnist") -> dict[float, TrainConfig]:
    """SGD+Armijo with several Armijo constants c, as :func:`curve_runs` (c = 0.05 is its run): one
    seed, drawn in the figure (its claims are decided on :func:`reach_step_size_runs`)."""
    settings, b = _curve_settings(scale, setting)
    return {c: _config("SGD+Armijo", b, settings, seed, options={"c": c}, metrics=CURVE_METRICS)
            for c in ARMIJO_CONSTANTS}


def data_label(scale: str, setting: str = "mnist") -> str:
    """What the claims of ``setting`` at ``scale`` were computed on, as a decision's ``data``."""
    used = substitute(scale, setting)
    return f"substitute: {used}" if used else "real"


@dataclass(frozen=True)
class Sweep:
    """One sweep (:func:`sweep_runs`) read at the paper's target and a looser one: everything
    the K(b) and N(b) sections show."""

    runs: dict  # (optimizer, b) -> results over seeds
    target: float  # training accuracy where the runs stop (the paper's)
    looser: float  # a looser target, read from the same runs
    trained_on: str  # the data and network the runs train, in words
    substitute: str | None  # the same, where it stands in for the paper's (None: the paper's own)
    measured: dict  # {looser: per-run table, target: per-run table} (:func:`claims.measure`)
    table: pd.DataFrame  # per (optimizer, b): steps, sfo, computations at the target, mean with min and max over seeds
    by_target: dict  # {looser: table, target: table}
    critical: pd.Series  # per optimizer, the batch size with the smallest mean SFO
    fit: theory.Fit | None  # SGD+Armijo's fit of K(b) (None: too few batch sizes reached the target)
    unfinished: pd.DataFrame  # the (optimizer, b) whose runs did not all reach the target, and how they ended
    ends: dict  # (optimizer, b) -> how its unfinished runs ended, in words, for the figures

    @property
    def computations(self) -> pd.DataFrame:
        """Steps plus failed line-search trials (steps for the others): batch sizes by optimizers."""
        return self.table.computations.unstack(level="optimizer")

    @property
    def failed_per_step(self) -> pd.Series:
        """SGD+Armijo's failed Armijo trials per step, per batch size."""
        armijo = self.table.loc["SGD+Armijo"]
        return (armijo.computations - armijo.steps) / armijo.steps

    @property
    def critical_tied(self) -> pd.Series:
        """Per optimizer, the batch sizes tied for the lowest mean N(b) (:func:`claims.critical_range`)."""
        return measured.critical_ranges(self.table)

    @property
    def critical_by_target(self) -> pd.DataFrame:
        """Each optimizer's critical batch size at both targets: the lowest mean N(b), and the range
        of b tied for it (what the two-target claims compare)."""
        return pd.DataFrame({f"{what}, accuracy {t}": measure(table) for t, table in self.by_target.items()
                             for what, measure in (("critical batch size", measured.critical_batch_sizes),
                                                   ("ties included", measured.critical_ranges))})


def _ends(runs: dict) -> dict:
    ends = {}
    for key, results in runs.items():
        statuses = [(r.summary.get("status", "reached"), int(r.log.step.iloc[-1])) for r in results]
        if any(status != "reached" for status, _ in statuses):
            ends[key] = how_ended(statuses)
    return ends


def _fit(table: pd.DataFrame, name: str = "SGD+Armijo") -> theory.Fit | None:
    k = table.loc[name].steps.dropna()
    try:
        return theory.fit_steps(k.index.to_numpy(), k.to_numpy(), eps=1.0) if len(k) >= 3 else None
    except ValueError:
        return None


def read_sweep(runs: dict, target: float, looser: float, trained_on: str = "", substitute: str | None = None) -> Sweep:
    """Measure the results of a sweep (``{(optimizer, b): [Result, ...]}``) at both targets."""
    per_run = {t: measured.measure(runs, t) for t in (looser, target)}
    by_target = {t: measured.average(table) for t, table in per_run.items()}
    table = by_target[target]
    return Sweep(runs, target, looser, trained_on, substitute, per_run, table, by_target,
                 measured.critical_batch_sizes(table), _fit(table), measured.unfinished(runs), _ends(runs))


def _sweep(loaded: dict, scale: str, setting: str) -> Sweep:
    target, looser = targets(scale, setting)
    return read_sweep(loaded, target, looser, trained_on(scale, setting), substitute(scale, setting))


def _sweep_claims(sweep: Sweep, setting: str, scale: str, parts: tuple[str, ...]) -> Claims:
    """The claims of ``parts`` ("shape", "fewest", "two targets") on one sweep."""
    where, data = trained_on(scale, setting), data_label(scale, setting)
    at_target, at_looser = sweep.measured[sweep.target], sweep.measured[sweep.looser]
    claims = Claims()
    if "shape" in parts:
        claims += measured.sweep_claims(at_target, where, data)
    if "fewest" in parts:
        claims += measured.fewest_claims(at_target, where, data)
    if "two targets" in parts:
        claims += measured.two_target_claims(at_looser, at_target, where, data)
    return claims


def cifar_settings(scale: str) -> tuple[str, ...]:
    """The CIFAR settings whose runs differ at ``scale``: both at paper scale, one below (one
    substitute stands in for both)."""
    return ("cifar10", "cifar100") if substitute(scale, "cifar10") is None else ("cifar10",)


def mnist_sweep_runs(scale: str, seed: int = 0) -> dict:
    """The MNIST sweep (:func:`sweep_runs`), for the chapter's table."""
    return sweep_runs(scale, seed, "mnist")


def cifar_sweep_runs(scale: str, seed: int = 0) -> dict:
    """{setting: its sweep} for the CIFAR settings of :func:`cifar_settings`."""
    return {setting: sweep_runs(scale, seed, setting) for setting in cifar_settings(scale)}


def steps_sfo(loaded: dict, scale: str, seed: int = 0, *, parts: tuple[str, ...] = ("shape",), **options) -> Result:
    """The MNIST sweep measured (a :class:`Sweep`), with the claims of ``parts``."""
    sweep = _sweep(loaded, scale, "mnist")
    return Result(sweep, _sweep_claims(sweep, "mnist", scale, parts))


def cifar_steps_sfo(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """{setting: Sweep} for CIFAR-10 and CIFAR-100 (below paper scale both the one substitute),
    with every claim of the sweep decided once per setting that was trained."""
    sweeps = {setting: _sweep(runs, scale, setting) for setting, runs in loaded.items()}
    claims = Claims.of([_sweep_claims(sweep, setting, scale, ("shape", "fewest", "two targets"))
                        for setting, sweep in sweeps.items()])
    return Result({setting: sweeps.get(setting, sweeps["cifar10"]) for setting in ("cifar10", "cifar100")}, claims)


@dataclass(frozen=True)
class StepSizes:
    """SGD+Armijo for several Armijo constants c: the traces of :func:`step_size_runs` (one seed,
    drawn); the claims and the table come from :func:`reach_step_size_runs`, ``reach``."""

    runs: dict  # c -> result
    target: float  # the training accuracy at which the steps needed per c are read
    batch_size: int
    substitute: str | None  # what the runs train on instead of the paper's data (None: the paper's own)
    table: pd.DataFrame  # per c: median accepted step, steps to the target, check interval (mean and range over seeds)
    reach: dict  # c -> results over seeds, each stopping at the target


@dataclass(frozen=True)
class Curves:
    """Each optimizer's training curves (:func:`curve_runs`)."""

    runs: dict  # optimizer -> result
    batch_size: int
    substitute: str | None

    @property
    def last(self) -> pd.DataFrame:
        """Training loss, training accuracy and test accuracy at the last epoch, per optimizer."""
        return pd.DataFrame({name: r.log.iloc[-1][list(CURVE_METRICS)]
                             for name, r in self.runs.items()}).T.astype(float)


def _step_sizes(loaded: dict, scale: str, setting: str) -> tuple[StepSizes, Claims]:
    """The step-size runs of ``setting`` (``loaded``: {"traces": ..., "reach": ...}): the traces
    drawn, the table and the claims decided per seed on the runs to the target."""
    target, b = targets(scale, setting)[0], _curve_settings(scale, setting)[1]
    claims, table = measured.reach_step_size_claims(loaded["reach"], target, f"{trained_on(scale, setting)}, b = {b}, "
                                                    "to the target", data_label(scale, setting))
    return StepSizes(loaded["traces"], target, b, substitute(scale, setting), table, loaded["reach"]), claims


def _step_size_pair(scale: str, seed: int, setting: str) -> dict:
    """{"traces": :func:`step_size_runs`, "reach": :func:`reach_step_size_runs`} of ``setting``."""
    return {"traces": step_size_runs(scale, seed, setting), "reach": reach_step_size_runs(scale, seed, setting)}


def mnist_step_size_runs(scale: str, seed: int = 0) -> dict:
    """The MNIST step-size runs (:func:`_step_size_pair`): the traces drawn, the runs to the target decided."""
    return _step_size_pair(scale, seed, "mnist")


def step_sizes(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """The MNIST step-size runs: the traces of :func:`step_size_runs`, and the claims decided per
    seed on :func:`reach_step_size_runs`."""
    return Result(*_step_sizes(loaded, scale, "mnist"))


def curves(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """The MNIST curve runs (:func:`curve_runs`); no claims (the paper states no number about them)."""
    return Result(Curves(loaded, _curve_settings(scale, "mnist")[1], substitute(scale, "mnist")))


def cifar_curve_runs(scale: str, seed: int = 0) -> dict:
    """{setting: {"step sizes": {"traces": ..., "reach": ...}, "curves": ...}} for the CIFAR settings
    of :func:`cifar_settings`."""
    return {setting: {"step sizes": _step_size_pair(scale, seed, setting), "curves": curve_runs(scale, seed, setting)}
            for setting in cifar_settings(scale)}


def cifar_step_sizes_curves(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """{setting: (StepSizes, Curves)} for CIFAR-10 and CIFAR-100 (below paper scale the one
    substitute), the step-size claims decided per seed once per setting that was trained."""
    read = {setting: (_step_sizes(runs["step sizes"], scale, setting),
                      Curves(runs["curves"], _curve_settings(scale, setting)[1], substitute(scale, setting)))
            for setting, runs in loaded.items()}
    data = {setting: (sizes, curves) for setting, ((sizes, _), curves) in read.items()}
    return Result({setting: data.get(setting, data["cifar10"]) for setting in ("cifar10", "cifar100")},
                  Claims.of([claims for (_, claims), _ in read.values()]))


def round_off_runs(scale: str, seed: int = 0) -> dict[tuple[str, int], list[TrainConfig]]:
    """{(precision, b): runs over seeds}: SGD+Armijo's MNIST sweep runs (:func:`sweep_runs`) at
    the smallest batch size and at the next (the control, a batch size that does not collapse),
    as they are ("float32") and in double precision ("float64")."""
    runs = sweep_runs(scale, seed)
    return {(precision, b): [dataclasses.replace(c, dtype=dtype) for c in runs["SGD+Armijo", b]]
            for b in _mnist(scale)["batch_sizes"][:2]
            for precision, dtype in (("float32", None), ("float64", "float64"))}


def trial_bn_runs(scale: str, seed: int = 0) -> dict[tuple[str, int], TrainConfig]:
    """{(trial statistics, seed): run}: SGD+Armijo's curve run on the ResNet of the cifar10
    setting (:func:`curve_runs`), with the BatchNorm running statistics moved by every trial
    forward ("updated", the run as it is) and by the step's first forward only ("frozen")."""
    settings, b = _curve_settings(scale, "cifar10")
    seeds = range(seed, seed + scales.pick(scale, smoke=1, reduced=3, paper=3))
    return {(arm, s): _config("SGD+Armijo", b, settings, s, options=options, metrics=CURVE_METRICS)
            for arm, options in (("updated", {}), ("frozen", {"trial_bn": "frozen"})) for s in seeds}


@dataclass(frozen=True)
class OpenQuestions:
    """Two explanations of this chapter put to the test: float32 round-off behind SGD+Armijo's
    collapse at the smallest batch size (:func:`round_off_runs`), and BatchNorm statistics moved
    by rejected trials behind its jumpy accuracy on the ResNet (:func:`trial_bn_runs`)."""

    round_off: dict  # (precision, b) -> results over seeds
    trial_bn: dict  # (trial statistics, seed) -> result
    target: float  # the MNIST training accuracy where the round-off runs stop
    ends: pd.DataFrame  # per round-off run: how it ended, its steps, its accepted step sizes
    jumps: pd.DataFrame  # per trial-statistics run: how much its training accuracy jumps
    substitute: str | None  # what the ResNet runs train on instead of CIFAR (None: the paper's own)

    @property
    def cost(self) -> pd.Series:
        """CPU time of every run shown, each once (shown, never a verdict: the machine is shared)."""
        return cost(self.round_off, {key: [r] for key, r in self.trial_bn.items()})


def open_question_runs(scale: str, seed: int = 0) -> dict:
    """The runs of both open questions: {"round-off": ..., "trial statistics": ...}."""
    return {"round-off": round_off_runs(scale, seed), "trial statistics": trial_bn_runs(scale, seed)}


def open_questions(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """Both open questions measured, with their claims."""
    round_off, trial_bn = loaded["round-off"], loaded["trial statistics"]
    ends, jumps = measured.precision_ends(round_off, targets(scale)[0]), measured.jumps(trial_bn)
    claims = measured.round_off_claims(ends) + measured.trial_bn_claims(jumps, data_label(scale, "cifar10"))
    return Result(OpenQuestions(round_off, trial_bn, targets(scale)[0], ends, jumps, substitute(scale, "cifar10")),
                  claims)
