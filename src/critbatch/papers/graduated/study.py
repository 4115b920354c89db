"""Sato & Iiduka's figures, defined once for every notebook: one call per figure.

Delivered here (closed forms and numpy toys, no trained network): :func:`smoothing` (F1),
:func:`heavy_tails` (F2), :func:`schedules` (F3, the four SGD variants per epoch), :func:`ladder`
(the theory: the delta ladder and the polynomial noise schedule) and :func:`explicit_go` (F8).

The trained figures (F4 to F7, and the smoothing check beyond the paper) are in :mod:`.trained`;
their setting per scale is :func:`setting` here (the book's CPU-sized substitute is
:data:`SUBSTITUTE`).

The four variants (notes Sec. 3.2): every ``every`` epochs delta = eta C / sqrt(b) shrinks by
1/sqrt(2), through eta (x 1/sqrt(2)), b (x 2) or both (eta x sqrt(3)/2, b x 1.5).
:func:`variant_schedules` writes them as ``critbatch.schedules`` specs; the paper's code changes
b one epoch after eta (``offset=True``); the book trains the fixed version (``offset=False``),
where both change at the same epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from critbatch import scales
from critbatch import schedules as sched

from . import quoted, theory

__all__ = [
    "DELTAS", "FUNCTIONS", "GD_STEP", "POWERS", "SUBSTITUTE", "VARIANTS", "VERSIONS", "ExplicitGO", "HeavyTails", "Ladder", "Schedules", "Smoothing",
    "explicit_go", "heavy_tails", "ladder", "lr_schedule_specs", "per_epoch", "schedules", "setting",
    "smoothing", "variant_schedules",
]

VARIANTS = ("constant", "lr", "batch", "hybrid")
#: F1's noise levels (notes Sec. 2.3), with the convexity threshold near 0.52.
DELTAS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.52, 1.0)
#: What the reduced-scale trained figures stand on, for the label on every such figure.
SUBSTITUTE = "Fashion-MNIST (4,096 images), ResNet-18 layout at width 8"


# F1: smoothing toys ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Smoothing:
    """F1: Rastrigin and its Gaussian smoothings, the Monte-Carlo check and the convexity threshold."""

    x: np.ndarray  # the grid on [-5.12, 5.12]
    curves: dict  # delta -> f̂_delta on x (closed form; delta = 0 is f)
    minima: pd.DataFrame  # per delta: argmin, min, local minima on the grid
    monte_carlo: pd.DataFrame  # per delta > 0: samples, max |MC - closed|, max |z|
    curvature: pd.DataFrame  # per delta on [0, 1]: min of f̂'' (closed form, quadrature), local minima
    threshold: float  # closed form
    threshold_numeric: float  # bisection on the quadrature smoothing
    seed: int  # of the Monte-Carlo draws


def smoothing(scale: str, seed: int = 0) -> Smoothing:
    """F1 at ``scale``: the curves for :data:`DELTAS`, the closed form checked against Monte Carlo
    (``seed``), and the convexity threshold derived numerically."""
    points, samples, mc_points = scales.pick(scale, smoke=(513, 2_000, 41), reduced=(2049, 20_000, 201),
                                             paper=(2049, 200_000, 201))
    x = np.linspace(-5.12, 5.12, points)
    curves = {d: theory.rastrigin_smoothed(x, d) for d in DELTAS}
    minima = pd.DataFrame({d: {"argmin": x[np.argmin(v)], "min f̂": v.min(),
                               "local minima": len(theory.local_minima(v))}
                           for d, v in curves.items()}).T.rename_axis("δ")
    minima = minima.astype({"local minima": int})
    minima.attrs["step"] = float(x[1] - x[0])
    rng = np.random.default_rng(seed)
    xs = np.linspace(-5.12, 5.12, mc_points)
    rows = {}
    for d in DELTAS[1:]:
        estimate, error = theory.monte_carlo(theory.rastrigin, xs, d, "Gaussian", samples, rng)
        gap = np.abs(estimate - theory.rastrigin_smoothed(xs, d))
        rows[d] = {"samples per point": samples, "max |MC − closed|": gap.max(), "max |z|": (gap / error).max()}
    monte_carlo = pd.DataFrame(rows).T.rename_axis("δ").astype({"samples per point": int})
    grid = np.linspace(0.0, 1.0, scales.pick(scale, smoke=41, reduced=201, paper=201))
    fine = np.linspace(-5.12, 5.12, 4097)
    h = fine[1] - fine[0]
    numeric = [np.min(np.diff(theory.quadrature(theory.rastrigin, fine, d), 2)) / h**2 for d in grid]
    curvature = pd.DataFrame({"closed form": [theory.rastrigin_smoothed_second(fine, d).min() for d in grid],
                              "quadrature": numeric,
                              "local minima": [len(theory.local_minima(theory.rastrigin_smoothed(fine, d)))
                                               for d in grid]},
                             index=pd.Index(grid, name="δ"))
    threshold, numeric_threshold = theory.convexity_threshold(), theory.convexity_threshold_numeric()
    return Smoothing(x, curves, minima, monte_carlo, curvature, threshold, numeric_threshold, seed)


# F2: light- and heavy-tailed noise -------------------------------------------------------------


@dataclass(frozen=True)
class HeavyTails:
    """F2: Monte-Carlo smoothings of Drop-Wave and Rastrigin under seven noise laws."""

    x: np.ndarray
    delta: float
    samples: int  # per point, for the curves (the authors' 1,000)
    curves: dict  # (function, law) -> estimate on x; (function, None) -> f on x
    convergence: pd.DataFrame  # per function, law, sample size N: median, min and max over repeats of f̂(0)
    settle: pd.DataFrame  # per function and law, at the largest N: the relative spread over repeats
    ranges: pd.DataFrame  # per law: the range of the smoothed Drop-Wave against f's
    seed: int  # of the draws


FUNCTIONS = {"Drop-Wave": theory.drop_wave, "Rastrigin": theory.rastrigin}


def heavy_tails(scale: str, seed: int = 0) -> HeavyTails:
    """F2 at ``scale``: the authors' settings (delta = 0.5, 1,000 draws per point) on a finer
    grid, and, at x = 0, the estimate against the number of draws over repeated estimates, which
    settles only when f(x - delta u) has a finite mean."""
    script = quoted.SMOOTHING_SCRIPT
    delta, samples = script["delta"], script["samples"]
    x = np.linspace(script["x_min"], script["x_max"], scales.pick(scale, smoke=101, reduced=401, paper=401))
    sizes = scales.pick(scale, smoke=[10, 100, 1_000, 10_000], reduced=[10, 100, 1_000, 10_000, 100_000],
                        paper=[10, 100, 1_000, 10_000, 100_000, 1_000_000])
    repeats = scales.pick(scale, smoke=4, reduced=8, paper=8)
    rng = np.random.default_rng(seed)
    curves, rows = {}, []
    for name, f in FUNCTIONS.items():
        curves[name, None] = f(x)
        for law, (tail, _) in theory.NOISE_LAWS.items():
            curves[name, law] = theory.monte_carlo(f, x, delta, law, samples, rng)[0]
            for n in sizes:
                values = [float(f(-delta * theory.sample_noise(law, n, rng)).mean()) for _ in range(repeats)]
                rows.append({"function": name, "law": law, "tail": tail, "samples": n, "median": np.median(values),
                             "min": min(values), "max": max(values), "spread": float(np.std(values))})
    convergence = pd.DataFrame(rows)
    settle = convergence[convergence.samples == sizes[-1]].copy()
    settle["relative spread"] = settle.spread / np.maximum(1.0, settle["median"].abs())
    settle = settle[["function", "law", "tail", "samples", "median", "relative spread"]].reset_index(drop=True)
    base = np.ptp(curves["Drop-Wave", None])
    ranges = pd.DataFrame({law: {"range of f̂": np.ptp(curves["Drop-Wave", law]), "range of f": base}
                           for law in theory.NOISE_LAWS}).T
    return HeavyTails(x, delta, samples, curves, convergence, settle, ranges, seed)


# F3: the four variants' schedules --------------------------------------------------------------


def _sig(value: float) -> float:
    """A schedule value rounded to 12 significant digits, so that specs print and hash cleanly."""
    return float(f"{value:.12g}")


def variant_schedules(variant: str, *, lr0: float, b0: int, epochs: int, every: int,
                      offset: bool = False) -> tuple[dict, dict]:
    r"""The learning-rate and batch-size schedule specs (``critbatch.schedules.from_spec``) of
    one of the four variants: every ``every`` epochs :math:`\eta \leftarrow \eta\,\alpha` and
    :math:`b \leftarrow b\,\beta` with :math:`(\alpha, \beta)` = (1, 1) ``constant``,
    (1/√2, 1) ``lr``, (1, 2) ``batch``, (√3/2, 1.5) ``hybrid`` (``quoted.VARIANTS_PAPER``), read
    per whole epoch. ``offset``: b changes one epoch after :math:`\eta`, as in the paper's code
    (the loader is rebuilt after the epoch at which ``StepLR`` has already changed :math:`\eta`).

    >>> lr, b = variant_schedules("hybrid", lr0=0.1, b0=32, epochs=200, every=40, offset=True)
    >>> lr["boundaries"], lr["values"][:2], b["boundaries"], b["values"]
    ([40, 80, 120, 160], [0.1, 0.0866025403784], [41, 81, 121, 161], [32, 48, 72, 108, 162])
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; use one of {', '.join(VARIANTS)}")
    lr_factor, b_factor = quoted.VARIANTS_PAPER["factors"][variant]
    changes = list(range(every, epochs, every))

    def spec(init, factor, shift, as_int):
        if factor == 1.0 or not changes:
            return {"kind": "constant", "value": init}
        values = [init * factor**k for k in range(len(changes) + 1)]
        values = [sched.as_batch_size(v) for v in values] if as_int else [_sig(v) for v in values]
        return {"kind": "piecewise_constant", "boundaries": [c + shift for c in changes], "values": values,
                "unit": "epoch"}

    return spec(lr0, lr_factor, 0, False), spec(b0, b_factor, 1 if offset else 0, True)


def per_epoch(lr: dict, batch_size: dict, epochs: int, n: int) -> pd.DataFrame:
    """Evaluate schedule specs at the start of every epoch (as the training loop reads them):
    eta, b, delta/C = eta/sqrt(b), the optimizer steps of the epoch (ceil(n/b): the last
    partial batch is kept) and the steps so far."""
    lr_at, b_at = sched.from_spec(lr), sched.from_spec(batch_size)
    rows = []
    for e in range(epochs):
        progress = sched.Progress(step=0, epoch=float(e), examples=e * n)
        eta, b = lr_at(progress), sched.as_batch_size(b_at(progress))
        rows.append({"epoch": e, "lr": eta, "batch_size": b, "delta/C": float(theory.noise_level(eta, b)),
                     "steps": math.ceil(n / b)})
    table = pd.DataFrame(rows).set_index("epoch")
    table["steps so far"] = table.steps.cumsum()
    return table


@dataclass(frozen=True)
class Schedules:
    """F3: every variant per epoch, in the paper's setting and in the book's substitute, for the
    paper's code (b one epoch late) and the fixed schedules the book trains."""

    settings: pd.DataFrame  # per setting: lr0, b0, epochs, every, n
    tables: dict  # (setting, version, variant) -> per_epoch table
    steps: pd.DataFrame  # total steps per variant (rows) and (setting, version) (columns)
    lag: pd.DataFrame  # per version: the epochs at which batch/hybrid's delta/C differs from lr's
    ends: pd.DataFrame  # per setting (rows) and variant: delta/C at the end over delta/C at the start (fixed)


VERSIONS = {"paper's code": True, "fixed": False}


def _settings(scale: str) -> dict:
    paper = quoted.VARIANTS_PAPER
    return {"paper (CIFAR-100)": {"lr0": paper["lr0"], "b0": paper["b0"], "epochs": paper["epochs"],
                                  "every": paper["every"], "n": 50_000},
            "book (substitute)": setting(scale)["variants"]}


def schedules(scale: str) -> Schedules:
    """F3: the four variants' eta, b and delta/C per epoch, exact, for both versions and both
    settings (the paper's 200 epochs on CIFAR-100, and the book's substitute at ``scale``)."""
    settings = _settings(scale)
    tables = {}
    for setting, s in settings.items():
        for version, offset in VERSIONS.items():
            for variant in VARIANTS:
                lr, b = variant_schedules(variant, lr0=s["lr0"], b0=s["b0"], epochs=s["epochs"], every=s["every"],
                                          offset=offset)
                tables[setting, version, variant] = per_epoch(lr, b, s["epochs"], s["n"])
    steps = pd.DataFrame({(setting, version): {v: int(tables[setting, version, v]["steps so far"].iloc[-1])
                                               for v in VARIANTS}
                          for setting in settings for version in VERSIONS})
    paper = next(iter(settings))
    lag = pd.DataFrame({version: {v: [int(e) for e in np.flatnonzero(~np.isclose(
        tables[paper, version, v]["delta/C"], tables[paper, version, "lr"]["delta/C"], rtol=1e-9, atol=0))]
        for v in ("batch", "hybrid")} for version in VERSIONS})
    ends = pd.DataFrame({setting: {v: tables[setting, "fixed", v]["delta/C"].iloc[-1]
                                   / tables[setting, "fixed", v]["delta/C"].iloc[0] for v in VARIANTS}
                         for setting in settings}).T
    table = pd.DataFrame(settings).T.astype({"b0": int, "epochs": int, "every": int, "n": int})
    return Schedules(table, tables, steps, lag, ends)


# Theory: the delta ladder and the polynomial noise schedule -----------------------------------


@dataclass(frozen=True)
class Ladder:
    """The delta = eta C / sqrt(b) ladder of each variant, and the ratios of polynomial decay."""

    stages: pd.DataFrame  # per variant and stage: eta, b, delta/C, ratio to the previous stage
    halving: pd.DataFrame  # ways to halve delta: eta/2, b x 4, and the variants' steps
    ratios: pd.DataFrame  # per power p: M and the smallest gamma_m
    curves: dict  # p -> (delta_m, gamma_m) over M rounds
    lr_ratios: pd.DataFrame  # per LR schedule of F5: the smallest per-epoch ratio of eta over 200 epochs


POWERS = (0.5, 1.0, 2.0, 4.0)


def lr_schedule_specs(lr0: float, epochs: int) -> dict[str, dict]:
    """The LR schedules of the paper's comparison (notes Sec. 3.3) as specs, stepped once per
    epoch: ``PolynomialLR(total_iters=epochs, power=p)``, ``CosineAnnealingLR(T_max=epochs)`` and
    ``ExponentialLR(gamma)``, with gamma = 0.9 per epoch over 200 epochs and 0.9^(200/epochs)
    over fewer, to keep the same total decay."""
    specs = {f"polynomial p = {p:g}": {"kind": "polynomial", "init": lr0, "end": 0.0, "power": p, "horizon": epochs,
                                        "unit": "epoch", "staircase": True}
             for p in (0.1, 0.5, 0.9, 1.0, 2.0, 4.0, 8.0)}
    specs["cosine"] = {"kind": "cosine", "init": lr0, "end": 0.0, "horizon": epochs, "unit": "epoch", "staircase": True}
    specs["exponential"] = {"kind": "exponential", "init": lr0, "rate": _sig(0.9 ** (200 / epochs)), "unit": "epoch",
                            "staircase": True}
    return specs


def ladder(scale: str) -> Ladder:
    """The theory the notebooks can show exactly: each variant's stage-wise delta/C in the
    paper's setting, the per-round ratios gamma_m of the polynomial noise schedule over M = 200
    rounds (one per epoch, as PolynomialLR) for p in :data:`POWERS`, and the smallest per-epoch
    ratio of each LR schedule of the comparison figure. ``scale`` is unused (exact)."""
    scales.check(scale)
    paper = quoted.VARIANTS_PAPER
    rows = []
    for variant in VARIANTS:
        lr, b = variant_schedules(variant, lr0=paper["lr0"], b0=paper["b0"], epochs=paper["epochs"],
                                  every=paper["every"])
        table = per_epoch(lr, b, paper["epochs"], 50_000).iloc[::paper["every"]]
        for stage, (epoch, r) in enumerate(table.iterrows()):
            rows.append({"variant": variant, "stage": stage, "first epoch": epoch, "lr": r.lr,
                         "batch_size": r.batch_size, "delta/C": r["delta/C"]})
    stages = pd.DataFrame(rows).astype({"batch_size": int})
    stages["ratio"] = stages.groupby("variant")["delta/C"].transform(lambda d: d / d.shift())
    eta, b = paper["lr0"], paper["b0"]
    halving = pd.DataFrame([
        {"change": "none", "lr": eta, "batch_size": b},
        {"change": "η / 2", "lr": eta / 2, "batch_size": b},
        {"change": "b × 4", "lr": eta, "batch_size": 4 * b},
        {"change": "η × 3/4 and b × 2.25 (two hybrid stages)", "lr": eta * 0.75, "batch_size": round(b * 2.25)},
    ])
    halving["delta/C"] = theory.noise_level(halving.lr, halving.batch_size)
    halving["relative to none"] = halving["delta/C"] / halving["delta/C"].iloc[0]
    rounds = paper["epochs"]
    curves = {p: (theory.polynomial_noise(rounds, p), theory.polynomial_ratios(rounds, p)) for p in POWERS}
    ratios = pd.DataFrame({p: {"M": rounds, "min γ": c[1].min(), "2^-p": 2.0**-p}
                           for p, c in curves.items()}).T.astype({"M": int})
    ratios.index.name = "p"
    lr_ratios = {}
    for name, spec in lr_schedule_specs(paper["lr0"], rounds).items():
        values = per_epoch(spec, {"kind": "constant", "value": b}, rounds, 50_000)["lr"].to_numpy()
        lr_ratios[name] = {"first η": values[0], "last η": values[-1],
                           "min η_{e+1}/η_e": (values[1:] / values[:-1]).min()}
    lr_ratios = pd.DataFrame(lr_ratios).T
    lr_ratios["γ ≥ 1/2 at every epoch"] = lr_ratios["min η_{e+1}/η_e"] >= 0.5 - 1e-12
    return Ladder(stages, halving, ratios, curves, lr_ratios)


# F8: explicit graduated optimisation -------------------------------------------------------------


@dataclass(frozen=True)
class ExplicitGO:
    """F8: explicit graduated optimisation on Rastrigin with the polynomial noise schedule."""

    setting: dict  # dimension, starts, steps per round, lr, delta_1, last delta
    success: pd.DataFrame  # rows: rounds M; columns "p = ..." and "no smoothing": share of starts that succeed, seed mean
    final: pd.DataFrame  # same layout: mean final f, seed mean
    budget: int  # ego.py's number of rounds
    seeds: dict  # seed of the starting points -> its success table


#: Gradient descent on Rastrigin itself: the step 1/L with L = max f'' = 2 + 40 pi^2.
GD_STEP = 1 / (2 + 40 * math.pi**2)


def _success(x: np.ndarray) -> float:
    """The share of final points (rows) with every coordinate in the global minimiser's basin."""
    return float(np.all(np.abs(x) < 0.5, 1).mean())


def explicit_go(scale: str, seed: int = 0) -> ExplicitGO:
    """F8 at ``scale``: for budgets of M rounds (ego.py's 50 among them), explicit graduated
    optimisation with delta_m = ((M - m + 1)/M)^p (notes Sec. 5.5), p in :data:`POWERS`, then a
    last round at delta = 0.01, each round 20 exact gradient steps of size 0.01 delta_m (ego.py;
    :func:`theory.explicit_go`), against gradient descent on f itself for as many steps, with
    the step 1/L, L = 2 + 40 pi^2 the smoothness of Rastrigin (:data:`GD_STEP`; ego.py's 0.01
    exceeds 2/L, so plain gradient descent would oscillate instead of settling). Success: every
    coordinate ends within 0.5 of 0, the global minimiser's basin. :data:`EGO_SEEDS` sets of
    starting points (one at smoke), from ``seed`` on."""
    ego = quoted.EGO
    dimension, starts = scales.pick(scale, smoke=(10, 20), reduced=(ego["dimension"], 100),
                                    paper=(ego["dimension"], 100))
    budgets = scales.pick(scale, smoke=[5, 10, 20, 50], reduced=[5, 10, 15, 20, 30, 50, 100],
                          paper=[5, 10, 15, 20, 30, 50, 100])
    seeds = range(seed, seed + scales.pick(scale, smoke=1, reduced=EGO_SEEDS, paper=EGO_SEEDS))
    success, final = {}, {}
    for s in seeds:
        start = np.random.default_rng(s).uniform(-ego["box"], ego["box"], (starts, dimension))
        success[s], final[s] = _explicit_go_tables(start, budgets, ego)
    setting = {"dimension": dimension, "starts": starts,
               **{k: ego[k] for k in ("steps", "lr", "delta_1", "last_delta")},
               "GD step without smoothing": GD_STEP}
    return ExplicitGO(setting, sum(success.values()) / len(seeds), sum(final.values()) / len(seeds),
                      ego["rounds"], success)


#: F8's independent sets of starting points (each of ``starts`` points): a toy run costs seconds.
EGO_SEEDS = 5


def _explicit_go_tables(start: np.ndarray, budgets: list[int], ego: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The success and mean-final-f tables (rows: rounds M) of F8 from one set of starting points."""
    success, final = {}, {}
    for rounds in budgets:
        row_s, row_f = {}, {}
        for p in POWERS:
            deltas = np.r_[theory.polynomial_noise(rounds, p, ego["delta_1"]), ego["last_delta"]]
            x = theory.explicit_go(start, deltas, ego["steps"], ego["lr"])
            row_s[f"p = {p:g}"], row_f[f"p = {p:g}"] = _success(x), theory.rastrigin(x).sum(1).mean()
        x = theory.explicit_go(start, np.zeros(rounds + 1), ego["steps"], GD_STEP, scale_lr=False)
        row_s["no smoothing"], row_f["no smoothing"] = _success(x), theory.rastrigin(x).sum(1).mean()
        success[rounds], final[rounds] = row_s, row_f
    return (pd.DataFrame(success).T.rename_axis("rounds M"), pd.DataFrame(final).T.rename_axis("rounds M"))


# F4-F7: the settings of the trained figures (their runs: :mod:`.trained`) -------------------------


def setting(scale: str) -> dict:
    """The trained figures' setting at ``scale``: data, network, the variants, the LR comparison's
    epochs and batch size, the (eta, b) sweep (with the gradients of its sharpness search: the
    authors' 20, two at ``smoke``), seeds (``seeds`` for the four variants and the
    sweep, ``lr_seeds`` for the LR comparison) and the noise batch sizes (the book's substitute at ``smoke`` and ``reduced``,
    the paper's CIFAR-100 at ``paper``)."""
    return scales.pick(
        scale,
        smoke={"dataset": "fashion-mnist", "model": {"kind": "resnet", "depth": 18, "width": 4}, "train_subset": 256,
               "test_subset": 256,
               "variants": {"lr0": 0.1, "b0": 32, "epochs": 5, "every": 1, "n": 256}, "lr_epochs": 4, "lr_b": 32,
               "sweep": {"lr": [0.05, 0.5], "batch_sizes": [16, 64], "epochs": 2, "sharpness_steps": 2},
               "seeds": 1, "lr_seeds": 1,
               "noise_sizes": [4, 16, 64], "shape_sizes": [32]},
        reduced={"dataset": "fashion-mnist", "model": {"kind": "resnet", "depth": 18, "width": 8}, "train_subset": 4096,
                 "variants": {"lr0": 0.1, "b0": 32, "epochs": 40, "every": 8, "n": 4096}, "lr_epochs": 10,
                 "lr_b": 32, "sweep": {"lr": [0.01, 0.05, 0.1, 0.5], "batch_sizes": [32, 128, 512], "epochs": 6,
                                    "sharpness_steps": 20},
                 "seeds": 3, "lr_seeds": 3, "noise_sizes": [2**k for k in range(12)],
                 "shape_sizes": [32, 512]},
        paper={"dataset": "cifar100", "model": {"kind": "resnet", "depth": 18}, "train_subset": None,
               "variants": {"lr0": 0.1, "b0": 32, "epochs": 200, "every": 40, "n": 50_000}, "lr_epochs": 200,
               "lr_b": 32, "sweep": {"lr": [0.01, 0.05, 0.1, 0.5], "batch_sizes": [2**k for k in range(1, 14)],
                                     "epochs": 200, "sharpness_steps": 20},
               "seeds": 3, "lr_seeds": 3, "noise_sizes": [2**k for k in range(3, 13)],
               "shape_sizes": [32, 512]},
    )
