"""The experiments of Umeda & Iiduka (arXiv 2508.05302), defined once for every notebook.

The paper's body could not be read; every setting below is rebuilt from the official code
(``hikarumeda1030/adaptive_scheduler``, notes Sec. 2-3) and labelled as such. Plain SGD (no
momentum, no weight decay) throughout, except the Adam experiment.

Three kinds of runs:

* **SFO against batch size** (F1): constant b and eta = 0.1 for b = 2^1 ... 2^12; T_eps(b) is the
  first check with ``grad_norm <= eps``, N_eps(b) = b T_eps(b); each run stops at the smallest eps.
* **Stage-wise schedules** (F2/F3, F4, T1 and the experiments beyond the paper): constant (b = 128,
  eta = 0.1), periodic (b and eta grow every P steps) and adaptive (they grow when the exact
  full-gradient norm, checked every K steps, reaches eps_m = eps0 sqrt(b0 / b_m)); the joint
  schedules use the code's delta = 2, gamma = 1.4, b0 = 8, eta0 = 0.1, eps0 = 0.5.
* **The official code's norm** (``official-norm``): the adaptive joint schedule with its thresholds
  on the norm as that code measures it (train mode, batches of 100) instead of the exact one.
* **Beyond the paper**: gamma >= sqrt(delta); a cheap proxy of the full-gradient norm driving the
  stages; the same scheduler driving Adam.

Settings. ``"densenet"`` is the code's DenseNet (k = 12) on CIFAR-100 and ``"resnet"`` its
ResNet-18 on CIFAR-10; at ``paper`` scale they are run as released (200 epochs; checks every
1,000 steps; periodic stages of 20,000 steps; CIFAR-10 capped at 45,000 steps; b_max = 4,096).
CIFAR is not available offline and the paper-scale runs take GPU-hours, so at ``reduced`` scale
both stand on one labelled CPU-sized substitute (:data:`CONV`): 2,048 Fashion-MNIST images and
the CIFAR ResNet-18 layout at width 8, 30 epochs or 3,000 steps, checks every 50 steps,
periodic stages of 400 steps, and every eps multiplied by 2 (eps0 = 1.0). The sweep of F1 and the runs beyond the paper
need many runs; at ``reduced`` scale they use a lighter substitute (:data:`MLP`): 4,096 MNIST
images and an MLP 784-128-10, 100 epochs, checks every 50 steps and periodic stages of 1,000
steps (the code's ratio 1,000 : 20,000), and every eps multiplied by 0.2: eps0 = 0.1, and the
F1 accuracies eps = 0.2, 0.1, 0.05 stand for the paper's 1.0, 0.5, 0.25.

How the eps scales were chosen. A threshold only means something relative to the network's own
gradient norms, and the paper's eps0 = 0.5 is tied to CIFAR and its networks. For each substitute
one pilot run at the constant b0 = 8, eta0 = 0.1 (not stored; checked every 100 steps) fixed the
factor so that the first stage would end after a few epochs: the conv substitute's norm climbs to
about 5 and first fell to 1.0 at step 900 (3.5 epochs), the MLP's starts at 0.46 and first fell to
0.1 near step 3,400 (6.6 epochs). (In the stored runs, checked every 50 steps, the first stage
ended after 1.0 and 1.8 epochs on the conv substitute, 5.2 and 6.1 on the MLP.) The ladders then follow the code's rule unchanged; only ratios of thresholds (the
factor sqrt(2) per stage, the ratio 2 between F1's accuracies) are compared with the theory.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from critbatch import scales
from critbatch.analysis.cost import cost
from critbatch.analysis.seeds import mean_and_range
from critbatch.analysis.verdicts import Claims
from critbatch.chapters import Result
from critbatch.train import TrainConfig

from . import claims as measured
from .quoted import CODE, CODE_F1_EPSILONS

__all__ = [
    "BATCH_SIZES", "CONV", "DELTA", "GAMMA", "MLP", "OFFICIAL", "PAPER", "PAPER_SETTINGS", "SETTINGS", "adam_runs",
    "batch_only_runs", "check_every", "joint_runs", "light", "light_joint_runs", "official_norm_runs", "proxy_runs",
    "setting", "sfo_runs",
    "stability_runs", "substitute", "trained_on",
]

PAPER = "adaptive"
DELTA, GAMMA = CODE["delta"], CODE["gamma"]  # the code's batch-size and learning-rate factors per stage
B0, ETA0, EPS0 = CODE["b0"], CODE["eta0"], CODE["eps0"]  # the code's first batch size, learning rate, threshold
CONSTANT_B = CODE["constant_b"]  # the code's constant baseline (with eta0)
EPSILONS = (*CODE_F1_EPSILONS, CODE_F1_EPSILONS[-1] / 2)  # F1: the code's two accuracies and a smaller one
BATCH_SIZES = [2**k for k in range(1, 13)]
SETTINGS = ("densenet", "resnet")
#: The paper's data and network per setting.
PAPER_SETTINGS = {"densenet": "CIFAR-100, DenseNet (k = 12)", "resnet": "CIFAR-10, ResNet-18"}
#: What the reduced-scale runs of both settings train on instead, for figure labels.
CONV = "Fashion-MNIST (2,048 images), ResNet-18 layout at width 8"
#: What the reduced-scale F1 sweep and the runs beyond the paper train on instead.
MLP = "MNIST (4,096 images), MLP 784-128-10"
STAGE_METRICS = ("train_loss", "grad_norm", "test_acc")
PROXY_METRICS = STAGE_METRICS + ("sample_grad_norm", "sample_grad_norm_debiased")


def _paper(name: str) -> dict:
    """The released settings of the official code (notes Sec. 2.2, 3.1, 5)."""
    common = {"train_subset": None, "normalize": True, "augment": True, "epochs": CODE["epochs"],
              "check": CODE["check_every"], "period": CODE["period"], "batch_max": CODE["batch_max"],
              "eps_scale": 1.0, "seeds": 3, "substitute": None}
    if name == "densenet":
        return common | {"dataset": "cifar100", "model": {"kind": "densenet", "growth": CODE["densenet_growth"],
                                                          "blocks": [6, 12, 24, 16], "reduction": 1.0},
                         "steps": None}
    return common | {"dataset": "cifar10", "model": {"kind": "resnet", "depth": 18}, "steps": CODE["cifar10_steps"]}


def setting(name: str, scale: str) -> dict:
    """Data, network, budget, check interval K, period P, b_max, eps scale and seeds of the
    F2/F3 setting ``name`` ("densenet" or "resnet") at ``scale``."""
    if name not in SETTINGS:
        raise ValueError(f"setting must be one of {', '.join(SETTINGS)}; got {name!r}")
    conv = {"dataset": "fashion-mnist", "model": {"kind": "resnet", "depth": 18, "width": 8}, "train_subset": 2048,
            "test_subset": None,
            "normalize": False, "augment": False, "epochs": 30, "steps": 3000, "check": 50, "period": 400,
            "batch_max": 2048, "eps_scale": 2.0, "seeds": 3, "substitute": CONV}
    return scales.pick(
        scale,
        smoke=conv | {"model": {"kind": "resnet", "depth": 18, "width": 4}, "train_subset": 256, "test_subset": 256,
                      "epochs": 4, "steps": 60, "check": 10, "period": 20, "batch_max": 256, "seeds": 1,
                      "substitute": "Fashion-MNIST (256 training, 256 test images), ResNet-18 layout at width 4"},
        reduced=conv,
        paper=_paper(name),
    )


def light(scale: str) -> dict:
    """The setting of the F1 sweep, F4 and the runs beyond the paper: ResNet-18 on CIFAR-10 at
    ``paper`` scale, the MLP substitute below it."""
    mlp = {"dataset": "mnist", "model": {"kind": "mlp", "hidden": [128]}, "train_subset": 4096, "normalize": False,
           "augment": False, "epochs": 100, "steps": None, "check": 50, "period": 1000, "batch_max": 4096,
           "eps_scale": 0.2, "seeds": 3, "substitute": MLP}
    return scales.pick(
        scale,
        smoke=mlp | {"train_subset": 512, "epochs": 12, "steps": 300, "check": 10, "period": 60, "batch_max": 512,
                     "eps_scale": 1.0, "seeds": 1, "substitute": "MNIST (512 images), MLP 784-128-10"},
        reduced=mlp,
        paper=_paper("resnet"),
    )


def claim_light(scale: str) -> dict:
    """:func:`light` with :data:`CLAIM_SEEDS` seeds below paper scale (smoke: one): the setting of
    the runs of the paper's Fig. 2."""
    s = light(scale)
    return s | {"seeds": scales.pick(scale, smoke=s["seeds"], reduced=CLAIM_SEEDS, paper=s["seeds"])}


def substitute(scale: str, name: str = "resnet") -> str | None:
    """What the F2/F3 runs of ``name`` train on instead of the paper's (None: the paper's own)."""
    return setting(name, scale)["substitute"]


def trained_on(scale: str, name: str = "resnet") -> str:
    """The data and network the F2/F3 runs of ``name`` really train."""
    return substitute(scale, name) or PAPER_SETTINGS[name]


def _train_size(s: dict) -> int:
    return s["train_subset"] or 50_000


def _config(s: dict, seed: int, batch_size: dict, lr: dict, *, optimizer: dict | None = None,
            stages: dict | None = None, metrics=STAGE_METRICS, **changes) -> TrainConfig:
    budget = {"epochs": s["epochs"], "steps": s["steps"], "eval_unit": "step", "eval_every": s["check"]}
    return TrainConfig(dataset=s["dataset"], model=s["model"], optimizer=optimizer or {"kind": "sgd"}, lr=lr,
                       batch_size=batch_size, seed=seed, train_subset=s["train_subset"],
                       test_subset=s.get("test_subset"), normalize=s["normalize"],
                       augment=s["augment"], metrics=metrics, stages=stages, **(budget | changes))


#: Seeds of the MLP runs the paper's claims rest on (F1, Fig. 2) at reduced scale: five, as a run
#: costs under a CPU-minute; the light setting's other runs (batch-only and our questions beyond
#: the paper) have its three.
CLAIM_SEEDS = 5


def _seeds(s: dict, seed: int) -> range:
    return range(seed, seed + s["seeds"])


def eps0(s: dict) -> float:
    """The first threshold of setting ``s``: the code's 0.5 times the setting's eps scale."""
    return EPS0 * s["eps_scale"]


def _joint(s: dict, kind: str, seed: int, *, delta: float = DELTA, gamma: float = GAMMA,
           optimizer: dict | None = None, eta0: float = ETA0, metric: str = "grad_norm",
           metrics=STAGE_METRICS) -> TrainConfig:
    """One run of the joint schedules: ``kind`` is "constant", "periodic" or "adaptive"."""
    if kind == "constant":
        return _config(s, seed, {"kind": "constant", "value": CONSTANT_B}, {"kind": "constant", "value": eta0},
                       optimizer=optimizer, metrics=metrics)
    batch = {"kind": "exponential", "init": B0, "rate": delta, "unit": "stage", "cap": s["batch_max"]}
    lr = {"kind": "exponential", "init": eta0, "rate": gamma, "unit": "stage"}  # uncapped, as in the code
    if kind == "periodic":
        stages = {"kind": "every", "steps": s["period"]}
    elif kind == "adaptive":
        stages = {"kind": "threshold", "metric": metric, "init": eps0(s), "batch0": B0, "delta": delta,
                  "batch_max": s["batch_max"], "rule": "batch"}
    else:
        raise ValueError(f"kind must be constant, periodic or adaptive; got {kind!r}")
    return _config(s, seed, batch, lr, optimizer=optimizer, stages=stages, metrics=metrics)


JOINT = ("constant", "periodic", "adaptive")


def joint_runs(scale: str, seed: int = 0, name: str = "resnet") -> dict[str, list[TrainConfig]]:
    """F2/F3: {schedule: runs over seeds} for constant, periodic and adaptive joint schedules."""
    s = setting(name, scale)
    return {kind: [_joint(s, kind, k) for k in _seeds(s, seed)] for kind in JOINT}


#: The adaptive joint run whose thresholds are on the official code's norm.
OFFICIAL = "adaptive (official norm)"
OFFICIAL_METRICS = STAGE_METRICS + ("grad_norm_official",)


def official_norm_runs(scale: str, seed: int = 0) -> dict[str, list[TrainConfig]]:
    """The adaptive joint schedule of the conv setting (``"resnet"``) with its stages driven by
    the full-gradient norm as the official code measures it
    (:func:`critbatch.train.measurements.official_gradient`: train mode, batches of 100,
    transformed as in training), on the same ladder eps_m; every check also measures the exact
    norm (eval mode, the yardstick of :func:`joint_comparison`)."""
    s = setting("resnet", scale)
    return {OFFICIAL: [_joint(s, "adaptive", k, metric="grad_norm_official", metrics=OFFICIAL_METRICS)
                       for k in _seeds(s, seed)]}


def check_every(b: int, n: int) -> int:
    """F1's check interval in steps at batch size ``b`` on ``n`` training examples: every n/8
    examples, but at most every 100 steps, so that N = bT is known to within n/8 examples and T
    to within 100 steps."""
    return max(1, min(100, (n // 8) // b))


def _sfo_settings(scale: str) -> dict:
    s = light(scale)
    return s | scales.pick(scale, smoke={"batch_sizes": [4, 32, 256], "min_steps": 100, "max_steps": 600, "epochs_per_b": 8,
                                         "eps_scale": 0.4},
                           reduced={"batch_sizes": [1, *BATCH_SIZES], "min_steps": 1000, "max_steps": 20_000,
                                    "epochs_per_b": 40, "seeds": CLAIM_SEEDS},
                           paper={"batch_sizes": BATCH_SIZES, "min_steps": 5000, "max_steps": 200_000, "epochs_per_b": 300})


def epsilons(scale: str) -> tuple[float, ...]:
    """F1's accuracies: the code's 1.0 and 0.5 and a smaller 0.25, times the setting's eps scale."""
    return tuple(e * _sfo_settings(scale)["eps_scale"] for e in EPSILONS)


def sfo_runs(scale: str, seed: int = 0) -> dict[int, list[TrainConfig]]:
    """F1: {b: runs over seeds} at constant b and eta0, each stopping at the smallest eps or
    after max(min_steps, min(max_steps, epochs_per_b epochs)) steps, checked every
    :func:`check_every` steps."""
    s = _sfo_settings(scale)
    n = _train_size(s)
    stop = {"metric": "grad_norm", "target": min(epsilons(scale))}
    runs = {}
    for b in s["batch_sizes"]:
        steps = max(s["min_steps"], min(s["max_steps"], math.ceil(s["epochs_per_b"] * n / b)))
        runs[b] = [TrainConfig(dataset=s["dataset"], model=s["model"], optimizer={"kind": "sgd"},
                               lr={"kind": "constant", "value": ETA0}, batch_size={"kind": "constant", "value": b},
                               seed=k, steps=steps, stop=stop, eval_unit="step", eval_every=check_every(b, n),
                               metrics=("train_loss", "grad_norm"), train_subset=s["train_subset"],
                               normalize=s["normalize"], augment=s["augment"])
                   for k in _seeds(s, seed)]
    return runs


LINEAR_SLOPE = 8  # F4: b_m = b0 + 8 m (the companion paper's c = 8)
LINEAR_STAGES = 64  # thresholds listed for linear growth (the runs use far fewer)


def linear_thresholds(s: dict) -> list[float]:
    """eps_m = eps0 sqrt(b0 / b_m) for linear growth b_m = b0 + c m (the code's rule), for at most
    :data:`LINEAR_STAGES` stages or until b_max."""
    count = min(LINEAR_STAGES, (s["batch_max"] - B0) // LINEAR_SLOPE)
    return [eps0(s) * math.sqrt(B0 / (B0 + LINEAR_SLOPE * m)) for m in range(count)]


def batch_only_runs(scale: str, seed: int = 0, s: dict | None = None) -> dict[str, list[TrainConfig]]:
    """F4: batch size grows (exponentially, x2, or linearly, +8) at constant eta0, adaptively or
    periodically; against constant b = 128 and b = b0 (in setting ``s``, by default :func:`light`)."""
    s = s or light(scale)
    lr = {"kind": "constant", "value": ETA0}
    exp = {"kind": "exponential", "init": B0, "rate": DELTA, "unit": "stage", "cap": s["batch_max"]}
    lin = {"kind": "linear", "init": B0, "slope": LINEAR_SLOPE, "unit": "stage", "cap": s["batch_max"]}
    every = {"kind": "every", "steps": s["period"]}
    exp_eps = {"kind": "threshold", "metric": "grad_norm", "init": eps0(s), "batch0": B0, "delta": DELTA,
               "batch_max": s["batch_max"], "rule": "batch"}
    lin_eps = {"kind": "threshold", "metric": "grad_norm", "thresholds": linear_thresholds(s)}
    specs = {"adaptive exponential": (exp, exp_eps), "periodic exponential": (exp, every),
             "adaptive linear": (lin, lin_eps), "periodic linear": (lin, every),
             f"constant b = {CONSTANT_B}": ({"kind": "constant", "value": CONSTANT_B}, None),
             f"constant b = {B0}": ({"kind": "constant", "value": B0}, None)}
    return {name: [_config(s, k, batch, lr, stages=stages) for k in _seeds(s, seed)]
            for name, (batch, stages) in specs.items()}


def growth_runs(scale: str, seed: int = 0) -> dict[str, list[TrainConfig]]:
    """The paper's Fig. 2: the adaptive schedule with exponential growth of both batch size and
    learning rate (the joint schedule) against adaptive linear batch-size growth at constant eta0
    (the batch-only run), in the setting of :func:`claim_light`."""
    s = claim_light(scale)
    return {"exponential batch size and learning rate": [_joint(s, "adaptive", k) for k in _seeds(s, seed)],
            "linear batch size, constant learning rate": batch_only_runs(scale, seed, s)["adaptive linear"]}


PAIRS = ((2, 1.4), (2, 1.5), (2, 2.0))  # (delta, gamma): the code's, and two with gamma >= sqrt(delta)


def stability_runs(scale: str, seed: int = 0) -> dict[tuple[float, float, str], list[TrainConfig]]:
    """Beyond the paper (i): {(delta, gamma, "adaptive" | "periodic"): runs} for :data:`PAIRS`."""
    s = light(scale)
    return {(d, g, kind): [_joint(s, kind, k, delta=d, gamma=g) for k in _seeds(s, seed)]
            for d, g in PAIRS for kind in ("adaptive", "periodic")}


PROXIES = {"full gradient": "grad_norm", "fixed sample of 512": "sample_grad_norm",
           "fixed sample of 512, debiased": "sample_grad_norm_debiased"}


def proxy_runs(scale: str, seed: int = 0) -> dict[str, list[TrainConfig]]:
    """Beyond the paper (ii): the adaptive joint schedule with its stages driven by the exact
    full-gradient norm or by a proxy (every run measures all three)."""
    s = light(scale)
    return {name: [_joint(s, "adaptive", k, metric=metric, metrics=PROXY_METRICS) for k in _seeds(s, seed)]
            for name, metric in PROXIES.items()}


ADAM = {"kind": "adam"}
ADAM_ETA0 = 1e-3


def adam_runs(scale: str, seed: int = 0) -> dict[str, list[TrainConfig]]:
    """Beyond the paper (iii): constant, periodic and adaptive joint schedules driving Adam
    (eta0 = 1e-3, the usual default), in the setting of :func:`light`."""
    s = light(scale)
    return {kind: [_joint(s, kind, k, optimizer=ADAM, eta0=ADAM_ETA0) for k in _seeds(s, seed)] for kind in JOINT}


def light_joint_runs(scale: str, seed: int = 0) -> dict[str, list[TrainConfig]]:
    """The SGD joint schedules in the setting of :func:`light`: the baselines of (i)-(iii)."""
    s = light(scale)
    return {kind: [_joint(s, kind, k) for k in _seeds(s, seed)] for kind in JOINT}


# ---------------------------------------------------------------------------------------------
# Each figure's measure: its declared runs, loaded (:mod:`.chapter`), measured and decided.

from . import theory  # noqa: E402


def how(s: dict) -> str:
    """A setting's thresholds and cadence in words, for the label of a substitute's figure."""
    if not s["substitute"]:
        return ""
    return (f"eps0 = {eps0(s):g} (the paper's {EPS0:g} x {s['eps_scale']:g}); a check every {s['check']} steps, "
            f"periodic stages of {s['period']} steps")


def ladder_levels(s: dict, stages: int = 10) -> tuple[float, ...]:
    """The thresholds eps_m = eps0 sqrt(b0 / b_m) of the joint ladder (b_m = b0 2^m), m < ``stages``."""
    return tuple(eps0(s) * math.sqrt(1 / DELTA**m) for m in range(stages))


@dataclass(frozen=True)
class SFOSweep:
    """Fig. 1 (ours: sfo-batch-size): steps T_eps(b) and SFO N_eps(b) = b T_eps(b) at constant b, per eps."""

    runs: dict  # b -> results over seeds
    epsilons: tuple  # the accuracies (scaled to the setting)
    paper_epsilons: dict  # eps -> the paper's eps it stands for
    measured: pd.DataFrame  # one row per (eps, b, seed): steps, sfo (NaN: never reached)
    table: pd.DataFrame  # per (eps, b): steps and sfo, mean (NaN if a seed never reached) with min and max
    critical: pd.Series  # eps -> measured critical batch size (on the seed means)
    critical_per_seed: pd.DataFrame  # seed x eps -> the measured critical batch size of that seed's runs
    fits: dict  # eps -> theory.Fit (1/T on 1/b over the b every seed of which reached eps)
    checks: dict  # b -> check interval in steps
    budgets: pd.DataFrame  # per b: the step budget and the epochs it makes (a run not reaching eps is censored there)
    eps_scale: float  # the factor from the paper's eps to this setting's
    trained_on: str
    substitute: str | None

    @property
    def ratio(self) -> float:
        """b*(second eps) / b*(first eps), from the minima (the theory says 4)."""
        return float(self.critical.iloc[1] / self.critical.iloc[0])


def _sweep_tables(frame: pd.DataFrame, eps: tuple) -> tuple:
    """(table, critical, fits) of the sweep's first reaches ``frame`` (one seed's, or all seeds'
    averaged)."""
    table = mean_and_range(frame, ["eps", "b"], ["steps", "sfo"], strict=True)
    fits = {}
    for level in eps:
        per_b = table.loc[level].steps.dropna()
        fits[level] = theory.fit(per_b.index.values, per_b.values, level)
    return table, measured.critical_batch_sizes(table), fits


def _budgets(loaded: dict, n: int) -> pd.DataFrame:
    """Per b: the step budget of its runs and the epochs it makes on ``n`` examples."""
    steps = {b: results[0].config.steps for b, results in loaded.items()}
    return pd.DataFrame({"steps": steps, "epochs": {b: t * b / n for b, t in steps.items()}}).rename_axis("b")


def sfo_batch_size(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """Fig. 1 on ``loaded`` ({b: results over seeds}, :func:`sfo_runs`), measured at each eps and
    decided per seed (:func:`claims.sfo_claims`)."""
    eps = epsilons(scale)
    n = _train_size(light(scale))
    rows = []
    for level in eps:
        for b, results in loaded.items():
            for r in results:
                hit = r.log[(r.log.step > 0) & (r.log.grad_norm <= level)]  # T counts from the first update
                rows.append({"eps": level, "b": b, "seed": r.config.seed,
                             "steps": float(hit.step.iloc[0]) if len(hit) else math.nan,
                             "sfo": float(hit.sfo.iloc[0]) if len(hit) else math.nan})
    frame = pd.DataFrame(rows)
    mean = _sweep_tables(frame, eps)
    seeds = {k: _sweep_tables(part, eps) for k, part in frame.groupby("seed")}
    paper_eps = dict(zip(eps, EPSILONS))
    s = light(scale)
    claims = measured.sfo_claims(seeds, mean, substitute=s["substitute"], paper_eps=paper_eps)
    per_seed = pd.DataFrame({k: c for k, (t, c, f) in seeds.items()}).T.rename_axis("seed")
    sweep = SFOSweep(loaded, eps, paper_eps, frame, mean[0], mean[1], per_seed, mean[2],
                     {b: check_every(b, n) for b in loaded}, _budgets(loaded, n), _sfo_settings(scale)["eps_scale"],
                     s["substitute"] or "CIFAR-10, ResNet-18", s["substitute"])
    return Result(sweep, claims)


@dataclass(frozen=True)
class Comparison:
    """Schedules compared on one setting: when each first reaches each threshold of the ladder,
    in steps, SFO, SFO with the checks and (shown only) wall-clock; the share of time spent in checks."""

    runs: dict  # schedule -> results over seeds
    levels: tuple  # the ladder's thresholds eps_m: the claims' targets, fixed before the runs
    level: float | None  # the smallest of them that every run reached (shown; the weakest run sets it)
    reach: pd.DataFrame  # per schedule at ``level``: step, sfo, work, epoch, wall (mean, min, max over seeds)
    by_level: pd.DataFrame  # per (eps, schedule): the mean step, SFO and SFO with checks of the first reach
    verdicts: pd.DataFrame  # per (pair, eps): each unit's verdict and seed-mean difference
    shares: pd.DataFrame  # per schedule: the share of the run's time spent in checks
    trained_on: str
    substitute: str | None
    how: str = ""  # the setting's thresholds and cadence, in words, for figure labels

    @property
    def finals(self) -> pd.DataFrame:
        """Per schedule: the last logged full-gradient norm, training loss and test accuracy (seed means), and how runs ended."""
        rows = []
        for name, results in self.runs.items():
            last = pd.DataFrame([r.log.iloc[-1] for r in results])
            rows.append({"schedule": name, "steps": last.step.mean(), "SFO": last.sfo.mean(),
                         "grad_norm": last.grad_norm.mean(), "train_loss": last.train_loss.mean(),
                         "test_acc": last.test_acc.mean(),
                         "ended": ", ".join(sorted({r.summary["status"] for r in results}))})
        return pd.DataFrame(rows).set_index("schedule")


def _by_level(runs: dict, levels) -> pd.DataFrame:
    frames = []
    for level in levels:
        table = measured.reach_table(runs, level)[["step", "sfo", "work", "wall"]]
        frames.append(table.assign(eps=level).reset_index())
    return pd.concat(frames).set_index(["eps", "schedule"])


def compare(runs: dict, s: dict, pairs: tuple, data: str | None = None, *, faster: dict = measured.FASTER,
            budget=measured.BUDGET) -> Result:
    """Schedules ``runs`` (loaded) against the ladder of setting ``s``: for each (ours, others) of
    ``pairs``, ours reaches each threshold eps_m first (``faster``, one decision per threshold
    and unit, :func:`claims.level_claims`) and gets the norm lower within the budget (``budget``),
    decided per seed."""
    levels = ladder_levels(s)
    level = measured.deepest_common(runs, levels)
    substitute = data if data is not None else s["substitute"]
    claims = Claims.of([part for ours, others in pairs for part in (
        measured.level_claims(runs, levels, ours, others, substitute=substitute, faster=faster),
        measured.budget_claims(runs, ours, others, substitute=substitute, claim=budget))])
    reach = measured.reach_table(runs, level) if level is not None else pd.DataFrame()
    comparison = Comparison(runs, levels, level, reach, _by_level(runs, levels), measured.verdict_grid(claims),
                            measured.check_share(runs), substitute or "the paper's setting", s["substitute"], how(s))
    return Result(comparison, claims)


JOINT_PAIRS = (("adaptive", ("periodic", "constant")),)


def joint_comparison(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """Figs. 3/4 (ours: joint-comparison) on ``loaded`` ({setting: :func:`joint_runs`}): constant,
    periodic and adaptive joint schedules per setting. A setting whose runs are those of the one
    before (both stand on one substitute below paper scale) is measured, not decided twice."""
    data, claims, seen = {}, [], []
    for name, runs in loaded.items():
        s = setting(name, scale)
        result = compare(runs, s, JOINT_PAIRS, s["substitute"] or PAPER_SETTINGS[name])
        data[name] = result.data
        keys = [r.key for results in runs.values() for r in results]
        if keys not in seen:
            seen.append(keys)
            claims += [result.claims, measured.ladder_claims(runs["adaptive"], s["substitute"] or PAPER_SETTINGS[name])]
    return Result(data, Claims.of(claims))


@dataclass(frozen=True)
class OfficialNorm:
    """The adaptive joint schedule driven by the official code's norm, beside the exact-norm runs."""

    runs: dict  # schedule -> results over seeds: the joint runs and OFFICIAL
    switches: pd.DataFrame  # per seed and stage: the switch step of OFFICIAL and of the exact-norm run
    ratios: pd.DataFrame  # per seed: the official over the exact norm at OFFICIAL's checks (median, min, max)
    comparison: Comparison  # every schedule on the exact norm
    trained_on: str
    substitute: str | None
    how: str = ""


def official_norm(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """The paper's Figs. 3/4 claims with the stages driven by the official code's norm, on
    ``loaded`` ({"joint": :func:`joint_runs` of "resnet", "official": :func:`official_norm_runs`}):
    the adaptive run against the periodic and constant ones on the exact norm, decided per seed as
    in :func:`joint_comparison`; the two norms along each official-norm run, and where its
    stages switched against the exact-norm run of the same seed (shown)."""
    s = setting("resnet", scale)
    runs = loaded["joint"] | loaded["official"]
    compared = compare(runs, s, ((OFFICIAL, ("periodic", "constant")),), s["substitute"] or PAPER_SETTINGS["resnet"])
    switches = measured.switch_steps({"adaptive": runs["adaptive"], OFFICIAL: runs[OFFICIAL]}, "adaptive")
    switches = switches[switches.run == OFFICIAL].drop(columns="run")
    ratios = pd.DataFrame({r.config.seed: _checked(r.log).pipe(lambda log: log.grad_norm_official / log.grad_norm)
                          .agg(["median", "min", "max"]) for r in runs[OFFICIAL]}).T.rename_axis("seed")
    data = OfficialNorm(runs, switches, ratios, compared.data, trained_on(scale), s["substitute"], how(s))
    return Result(data, compared.claims)


def _checked(log: pd.DataFrame) -> pd.DataFrame:
    """The rows of a log where both norms were measured."""
    return log.dropna(subset=["grad_norm", "grad_norm_official"])


@dataclass(frozen=True)
class StageTables:
    """The per-stage table of each seed's adaptive run (and of the periodic twin, for contrast)."""

    adaptive: dict  # seed -> table
    periodic: dict  # seed -> table
    trained_on: str
    substitute: str | None


def stage_tables(loaded: dict, scale: str, seed: int = 0, name: str = "resnet", **options) -> Result:
    """The stages of the joint runs of setting ``name`` (``loaded``: {"periodic", "adaptive": results})."""
    s = setting(name, scale)
    data = s["substitute"] or PAPER_SETTINGS[name]
    tables = StageTables({r.config.seed: measured.stage_table(r) for r in loaded["adaptive"]},
                         {r.config.seed: measured.stage_table(r) for r in loaded["periodic"]}, data, s["substitute"])
    return Result(tables, measured.ladder_claims(loaded["adaptive"], s["substitute"] or PAPER_SETTINGS[name]))


def growth(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """The paper's Fig. 2 (ours: growth) on ``loaded`` (:func:`growth_runs`): the adaptive
    exponential joint schedule reaches each threshold of its ladder before the adaptive linear
    batch-only schedule, and gets the norm lower within the same budget, decided per seed."""
    s = light(scale)
    return compare(loaded, s, GROWTH_PAIRS, s["substitute"] or "CIFAR-10, ResNet-18", faster=measured.GROWTH_FASTER,
                   budget=measured.GROWTH_BUDGET)


GROWTH_PAIRS = (("exponential batch size and learning rate", ("linear batch size, constant learning rate",)),)


BATCH_ONLY_PAIRS = (("adaptive exponential", ("periodic exponential", f"constant b = {CONSTANT_B}", f"constant b = {B0}")),
                    ("adaptive linear", ("periodic linear", f"constant b = {CONSTANT_B}", f"constant b = {B0}")))


def batch_only(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """Ours (batch-only): batch size alone grows (adaptive or periodic, exponential or linear) at
    constant eta0, on ``loaded`` (:func:`batch_only_runs`)."""
    s = light(scale)
    return compare(loaded, s, BATCH_ONLY_PAIRS, s["substitute"] or "CIFAR-10, ResNet-18")


@dataclass(frozen=True)
class Stability:
    """Our question (i): the joint schedules with (delta, gamma) = (2, 1.4), (2, 1.5), (2, 2)."""

    runs: dict  # (delta, gamma, schedule) -> results over seeds
    final: pd.DataFrame  # per (delta, gamma, schedule): runs, diverged, largest lr reached, final norm and test accuracy
    per_seed: pd.DataFrame  # per (delta, gamma, schedule, seed): diverged, last finite norm and test accuracy
    trained_on: str
    substitute: str | None
    how: str = ""


def stability(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """Our question (i), on ``loaded`` (:func:`stability_runs`): does gamma >= sqrt(delta) destabilise training?"""
    s = light(scale)
    rows, seeds = [], []
    for (d, g, kind), results in loaded.items():
        finite = [r.log[np.isfinite(r.log.grad_norm.astype(float)) & (r.log.step > 0)] for r in results]
        seeds += [{"delta": d, "gamma": g, "schedule": kind, "seed": r.config.seed,
                   "diverged": int(r.summary["status"] == "diverged"), "grad_norm": float(f.grad_norm.iloc[-1]),
                   "test_acc": float(f.test_acc.iloc[-1])} for r, f in zip(results, finite)]
        rows.append({"delta": d, "gamma": g, "schedule": kind, "runs": len(results),
                     "diverged": sum(r.summary["status"] == "diverged" for r in results),
                     "largest lr": max(float(r.log.lr.max()) for r in results),
                     "grad_norm": float(np.mean([f.grad_norm.iloc[-1] for f in finite])),
                     "min grad_norm": float(np.mean([f.grad_norm.min() for f in finite])),
                     "test_acc": float(np.mean([f.test_acc.iloc[-1] for f in finite])),
                     "steps": float(np.mean([r.summary["steps"] for r in results]))})
    per_seed = pd.DataFrame(seeds)
    data = s["substitute"] or "CIFAR-10, ResNet-18"
    result = Stability(loaded, pd.DataFrame(rows), per_seed, data, s["substitute"], how(s))
    return Result(result, measured.stability_claims(per_seed, substitute=s["substitute"]))


@dataclass(frozen=True)
class Proxy:
    """Our question (ii): the cost of the full-gradient checks, and proxies driving the stages."""

    runs: dict  # proxy name -> adaptive runs over seeds (each measures every proxy)
    switches: pd.DataFrame  # per proxy, seed and stage: the switch step and the exact-norm run's
    cost: pd.DataFrame  # per proxy: examples per check
    shares: pd.DataFrame  # the check share of the joint-comparison runs (the conv network), in time (shown)
    work_shares: pd.Series  # the share of the adaptive conv runs' examples spent in checks, per seed
    comparison: Comparison  # the proxies' runs against each other, on the exact norm
    trained_on: str
    substitute: str | None
    how: str = ""


def proxy(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """Our question (ii), on ``loaded`` ({"proxies": :func:`proxy_runs`, "conv": :func:`joint_runs`
    of "resnet"}): what the checks cost, and whether a fixed sample of 512 examples (plain or
    debiased) triggers the same stages as the exact full-gradient norm."""
    from critbatch.train import measurements

    s = light(scale)
    runs, conv = loaded["proxies"], loaded["conv"]
    reference = next(iter(PROXIES))
    switches = measured.switch_steps(runs, reference)
    n = _train_size(s)
    sample = min(measurements.SAMPLE_SIZE, n)
    cost = pd.DataFrame([{"proxy": name, "examples per check": n if metric == "grad_norm" else sample,
                          "share of a full check": 1.0 if metric == "grad_norm" else sample / n}
                         for name, metric in PROXIES.items()]).set_index("proxy")
    conv_s = setting("resnet", scale)
    claims = measured.proxy_claims(conv["adaptive"], switches, list(PROXIES)[1:], s["check"],
                                   conv_substitute=conv_s["substitute"], substitute=s["substitute"])
    compared = compare(runs, s, ((reference, tuple(list(PROXIES)[1:])),), s["substitute"],
                       faster=measured.QUESTION_FASTER, budget=measured.QUESTION_BUDGET)
    work = pd.Series(measured.check_work_share(conv["adaptive"]), name="checks' share of the examples").rename_axis("seed")
    data = Proxy(runs, switches, cost, measured.check_share(conv), work, compared.data,
                 s["substitute"] or "CIFAR-10, ResNet-18", s["substitute"], how(s))
    return Result(data, claims + compared.claims)


ADAM_PAIRS = (("adaptive", ("periodic", "constant")),)


def adam(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """Our question (iii), on ``loaded`` ({"Adam": :func:`adam_runs`, "SGD": :func:`light_joint_runs`}):
    the joint schedules driving Adam and, for reference, SGD, in the setting of :func:`light`."""
    s = light(scale)
    data, claims = {}, []
    for optimizer, runs in loaded.items():
        label = f"{s['substitute']}, {optimizer}" if s["substitute"] else None
        result = compare(runs, s, ADAM_PAIRS, label, faster=measured.QUESTION_FASTER, budget=measured.QUESTION_BUDGET)
        data[optimizer] = result.data
        claims += [dataclasses.replace(d, setting=f"{optimizer}: {d.setting}") for d in result.claims]
    return Result(data, Claims.of(claims))


@dataclass(frozen=True)
class Theory:
    """The theory figures, from the closed forms of :mod:`.theory` with illustrative constants."""

    c1: float
    c2: float
    epsilons: tuple
    curves: pd.DataFrame  # b, eps, steps, sfo
    critical: pd.Series  # eps -> b* (closed form)
    numeric_critical: pd.Series  # eps -> argmin of N on a fine grid
    ladder: pd.DataFrame  # theory.ladder of the code's settings
    bounds: dict  # (delta, gamma) -> theory.bound table


PAIRS_THEORY = ((2, 1.0), (2, 1.2), (2, 1.4), (2, 1.5))
#: Illustrative constants of the bound figure: the code's eta0 = 0.1 and b0 = 8, stages of 100 steps,
#: L = 0.1 so that eta_m < 2/L for 12 stages even at gamma = 1.5, sigma^2 = 100, f(theta_0) - f* = 1.
BOUND_CONSTANTS = {"steps_per_stage": 100, "eta0": 0.1, "b0": 8, "L": 0.1, "sigma2": 100.0, "gap": 1.0}


def theory_figures(loaded: dict, scale: str = "reduced", seed: int = 0, c1: float = 2000.0, c2: float = 8.0,
                   stages: int = 12, **options) -> Result:
    """U-curves N(b) for eps = 1, 0.5, 0.25, b*(eps) with the code's ladder, and the bound per
    stage for :data:`PAIRS_THEORY`; the derived checks compare each closed form with a numerical
    answer. (No runs: ``loaded`` is empty and the result the same at every scale.)"""
    b = np.logspace(0, 14, 2801, base=2)
    rows, numeric = [], {}
    for eps in EPSILONS:
        n = theory.sfo(b, eps, c1, c2)
        rows.append(pd.DataFrame({"b": b, "eps": eps, "steps": theory.steps(b, eps, c1, c2), "sfo": n}))
        numeric[eps] = float(b[np.argmin(n)])
    curves = pd.concat(rows, ignore_index=True)
    critical = pd.Series({eps: float(theory.critical_batch_size(eps, c2)) for eps in EPSILONS})
    numeric = pd.Series(numeric)
    bounds = {pair: theory.bound(*pair, stages, **BOUND_CONSTANTS) for pair in PAIRS_THEORY}
    ladder = theory.ladder(10, b0=B0, delta=DELTA, gamma=GAMMA, eta0=ETA0, eps0=EPS0)
    decided = [measured.CLOSED_MINIMUM.decide({None: abs(numeric[eps] / critical[eps] - 1)},
                                              setting=f"eps = {eps:g}: b* = {critical[eps]:g}, grid {numeric[eps]:.4g}")
               for eps in EPSILONS]
    decided.append(measured.CLOSED_RATIO.decide({None: abs(numeric[0.5] / numeric[1.0] / 4 - 1)},
                                                setting=f"grid ratio {numeric[0.5] / numeric[1.0]:.4g}"))
    for pair in PAIRS_THEORY:
        long = theory.bound(*pair, 200, eta0=1e-10)
        observed = float(long.ratio.iloc[-1] / long.ratio.iloc[-2])
        expected = theory.ratio_growth(*pair)
        side = "<" if pair[1] < math.sqrt(pair[0]) else ">="
        decided.append(measured.RATIO_GROWTH.decide({None: abs(observed - expected)},
                                                    setting=f"(delta, gamma) = {pair}, gamma {side} sqrt(delta): "
                                                            f"factor {observed:.3f}, expected {expected:.3f}"))
    decided.append(measured.CLOSED_LADDER.decide({None: float(ladder.b_eps2.max() / ladder.b_eps2.min() - 1)},
                                                 setting="the code's ladder, 10 stages"))
    return Result(Theory(c1, c2, EPSILONS, curves, critical, numeric, ladder, bounds), Claims.of(decided))


def speeds(runs: dict) -> pd.DataFrame:
    """Per run: seconds per check and training seconds per 1,000 examples (shown, never decided).
    On a shared machine these vary with the other jobs' load."""
    rows = [{"schedule": name, "seed": r.config.seed, "seconds per check": r.summary["measure_seconds"] / len(r.log),
             "training seconds per 1,000 examples": 1000 * r.summary["seconds"] / max(r.summary["sfo"], 1)}
            for name, results in runs.items() for r in results]
    return pd.DataFrame(rows).set_index(["schedule", "seed"])
