"""Sato & Iiduka's trained figures, one call each: the four variants (F4), the learning-rate
schedules (F5), the (eta, b) sweep against sharpness (F6), the gradient noise of one checkpoint
(F7), and, beyond the paper, the smoothing claim measured along the F4 runs.

The runs per figure are :func:`substitute_configs` (``smoke`` and ``reduced``, the book's CPU
substitute :data:`.study.SUBSTITUTE`) and :func:`paper_configs` (the paper's CIFAR-100 settings,
for a GPU cluster; the ImageNet figure keeps its config but is not run here), both listed by
:func:`figure_configs`. Each figure function receives its runs, loaded (the chapter table,
:mod:`.chapter`, declares and loads them), and returns the tables its notebook shows, mean
over seeds and per seed; the claims are decided from these by :mod:`.claims`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from critbatch import data, models
from critbatch.train import TrainConfig
from critbatch.train.measurements import (SMOOTHING_SIZE, noise_draw_metrics, noise_norm_metric, noise_shape_metric,
                                          sharpness_metric)

from . import quoted
from .study import SUBSTITUTE, VARIANTS, lr_schedule_specs, setting, variant_schedules

__all__ = ["CURVES", "SMOOTHING", "Noise", "Schedules", "Sweep", "SmoothingCheck", "Variants", "figure_configs",
           "checkpoint_noise", "four_variants", "gradient_noise", "lr_schedules", "paper_configs", "sharpness_sweep",
           "smoothing_check", "measured_deltas", "pooled_gaussian_kurtosis", "substitute_configs", "trained_on"]

CURVES = ("train_loss", "test_loss", "test_acc")  # besides batch_loss, the paper's training loss (always logged)
#: The smoothing check (beyond the paper), measured along every seed of each F4 variant.
SMOOTHING = ("smoothing_f", "smoothing_gd", "smoothing_sgd", "smoothing_ball", "smoothing_delta")


# The runs ------------------------------------------------------------------------------------------


def _train(s: dict, lr: dict, batch_size: dict, seed: int, epochs: int, **changes) -> TrainConfig:
    cifar = s["dataset"].startswith("cifar")
    return TrainConfig(dataset=s["dataset"], model=s["model"], optimizer={"kind": "sgd"}, lr=lr, batch_size=batch_size,
                       seed=seed, epochs=epochs, train_subset=s["train_subset"], test_subset=s.get("test_subset"),
                       normalize=True, augment=cifar,
                       **{"metrics": CURVES, **changes})


def _figure_configs(s: dict, seed: int) -> dict[str, dict[str, list[TrainConfig]]]:
    seeds, lr_seeds = range(seed, seed + s["seeds"]), range(seed, seed + s["lr_seeds"])
    v = s["variants"]
    variants = {name: [_train(s, *variant_schedules(name, lr0=v["lr0"], b0=v["b0"], epochs=v["epochs"],
                                                    every=v["every"]), k, v["epochs"],
                              metrics=CURVES + SMOOTHING) for k in seeds]
                for name in VARIANTS}
    constant_b = {"kind": "constant", "value": s["lr_b"]}
    lr_comparison = {name: [_train(s, spec, constant_b, k, s["lr_epochs"]) for k in lr_seeds]
                     for name, spec in lr_schedule_specs(v["lr0"], s["lr_epochs"]).items()}
    sweep = s["sweep"]
    delta_sweep = {f"η = {eta:g}, b = {b}": [
        _train(s, {"kind": "constant", "value": eta}, {"kind": "constant", "value": b}, k, sweep["epochs"],
               metrics=(*CURVES, sharpness_metric(sweep["sharpness_steps"]), noise_norm_metric(b)),
               eval_every=sweep["epochs"])
        for k in seeds] for eta in sweep["lr"] for b in sweep["batch_sizes"]}
    lr, b = variant_schedules("constant", lr0=v["lr0"], b0=v["b0"], epochs=v["epochs"], every=v["every"])
    noise = {"constant η and b": [_train(s, lr, b, k, v["epochs"], eval_every=v["epochs"],
                                         metrics=(*CURVES, *(noise_norm_metric(n) for n in s["noise_sizes"]),
                                                  *(noise_draw_metrics(n)[0] for n in s["noise_sizes"]),
                                                  *(noise_draw_metrics(n)[1] for n in s["shape_sizes"]),
                                                  *(m for n in s["shape_sizes"] for m in noise_shape_metric(n))))
                                  for k in seeds]}
    return {"F4 four variants": variants, "F5 LR schedules": lr_comparison, "F6 (η, b) sweep": delta_sweep,
            "F7 gradient noise": noise}


def substitute_configs(scale: str, seed: int = 0) -> dict[str, dict[str, list[TrainConfig]]]:
    """The runs of F4-F7 at ``scale`` (``smoke`` or ``reduced``), per figure
    ``{label: [config per seed]}``: the four variants (the fixed schedules of
    :func:`.study.variant_schedules`; the first seed also measures the smoothing check); the LR
    schedules at constant b; the (eta, b) sweep, measuring sharpness and the gradient noise at
    its own b at the end; one constant run measuring the noise at every power-of-two b, and its
    shape, at the end (F7). :func:`.study.setting` gives the budgets."""
    if scale == "paper":
        raise ValueError("the paper's configurations are paper_configs(); substitute_configs is for smoke and reduced")
    return _figure_configs(setting(scale), seed)


def paper_configs(seed: int = 0) -> dict[str, dict[str, list[TrainConfig]]]:
    """The paper's runs (notes Sec. 3-4): ResNet-18 on CIFAR-100 for F4-F7 (200 epochs, eta0 = 0.1,
    b0 = 32, plain SGD, crop-and-flip augmentation, normalised; the paper's RandomRotation(15) is
    not in our loader), WRN-28-10 for the F4 variants, and the ImageNet figure (ResNet-34, four
    variants, 200 epochs), which keeps its config but is not run here (no offline ImageNet, no
    ImageNet ResNet-34 or loader in the core, and 300-430 GPU-hours; notes Sec. 7.2). Three seeds."""
    s = setting("paper")
    configs = _figure_configs(s, seed)
    v = s["variants"]
    wide = {**s, "model": {"kind": "wideresnet", "depth": 28, "widen": 10}}
    configs["F4 four variants, WRN-28-10"] = _figure_configs(wide, seed)["F4 four variants"]
    imagenet = {**s, "dataset": "imagenet", "model": {"kind": "torchvision-resnet34"},
                "variants": {**v, "n": 1_281_167}}
    configs["ImageNet four variants (not run here)"] = _figure_configs(imagenet, seed)["F4 four variants"]
    return configs


def figure_configs(scale: str, seed: int = 0) -> dict[str, dict[str, list[TrainConfig]]]:
    """The runs per figure at ``scale``: :func:`paper_configs` at ``paper``, else :func:`substitute_configs`."""
    return paper_configs(seed) if scale == "paper" else substitute_configs(scale, seed)


def trained_on(scale: str) -> str | None:
    """What the trained figures stand on at ``scale``, for their label (None: the paper's own)."""
    return None if scale == "paper" else SUBSTITUTE if scale == "reduced" else SUBSTITUTE.replace(
        "4,096", "256").replace("width 8", "width 4")


def _final(results: list, column: str) -> tuple[float, float, float]:
    """The mean, min and max over seeds of ``column`` at the last evaluation."""
    values = np.array([float(r.log[column].iloc[-1]) for r in results])
    return float(values.mean()), float(values.min()), float(values.max())


def _finals(runs: dict) -> pd.DataFrame:
    rows = {}
    for label, results in runs.items():
        acc, acc_min, acc_max = _final(results, "test_acc")
        loss, loss_min, loss_max = _final(results, "train_loss")
        rows[label] = {"steps": int(results[0].log.step.iloc[-1]), "test acc (%)": 100 * acc,
                       "test acc range": 100 * (acc_max - acc_min), "train loss": loss,
                       "train loss min": loss_min, "train loss max": loss_max, "seeds": len(results)}
    return pd.DataFrame(rows).T.astype({"steps": int, "seeds": int})


def _by_seed(runs: dict) -> dict[int, dict[str, list]]:
    """``{label: [result per seed]}`` split into ``{seed: {label: [that seed's result]}}``."""
    seeds = [r.config.seed for r in next(iter(runs.values()))]
    return {seed: {label: [r for r in results if r.config.seed == seed] for label, results in runs.items()}
            for seed in seeds}


# F4: the four variants --------------------------------------------------------------------------


@dataclass(frozen=True)
class Variants:
    """F4: the four variants trained, per variant a list of results (one per seed)."""

    runs: dict
    finals: pd.DataFrame  # per variant: steps, final test accuracy and training loss over seeds
    seeds: dict  # seed -> the same table on that seed's runs
    substitute: str | None
    how: str  # the budget, for the substitute label


def four_variants(runs: dict, scale: str) -> Variants:
    """F4 at ``scale``: constant, decaying eta, growing b and both, each shrinking
    delta = eta C / sqrt(b) by 1/sqrt(2) per stage (fixed schedules: eta and b change at the
    same epoch, not one epoch apart as in the paper's code); ``runs``: ``{variant: [result per seed]}``."""
    v = setting(scale)["variants"]
    how = f"{v['epochs']} epochs, a stage every {v['every']}; fixed schedules"
    seeds = {seed: _finals(of_seed) for seed, of_seed in _by_seed(runs).items()}
    return Variants(runs, _finals(runs), seeds, trained_on(scale), how)


# F5: learning-rate schedules -------------------------------------------------------------------


@dataclass(frozen=True)
class Schedules:
    """F5: the LR schedules at constant b, ours beside the paper's final numbers."""

    runs: dict
    finals: pd.DataFrame  # per schedule: ours (mean and range over seeds) and the paper's
    seeds: dict  # seed -> the same table on that seed's runs
    substitute: str | None
    how: str  # the budget, for the substitute label


def lr_schedules(runs: dict, scale: str) -> Schedules:
    """F5 at ``scale``: polynomial decay for seven powers, cosine and exponential decay, from
    eta0 = 0.1 at constant b, stepped once per epoch; the paper's final test accuracy and
    training loss (200 epochs on CIFAR-100) beside ours; ``runs``: ``{schedule: [result per seed]}``."""
    paper = pd.DataFrame(quoted.LR_SCHEDULES, index=["paper test acc (%)", "paper train loss"]).T
    seeds = {seed: _finals(of_seed).join(paper) for seed, of_seed in _by_seed(runs).items()}
    s = setting(scale)
    how = f"{s['lr_epochs']} epochs, b = {s['lr_b']}"
    return Schedules(runs, _finals(runs).join(paper), seeds, trained_on(scale), how)


# F6: the (eta, b) sweep --------------------------------------------------------------------------


@dataclass(frozen=True)
class Sweep:
    """F6: one row per trained model of the (eta, b) sweep."""

    runs: dict
    points: pd.DataFrame  # per run: eta, b, seed, C, delta, eta/sqrt(b), sharpness, test accuracy
    correlations: pd.DataFrame  # Spearman's rho of each pair the paper plots, delta with each run's C and one C
    substitute: str | None
    how: str  # the budget, for the substitute label


def sharpness_sweep(runs: dict, scale: str) -> Sweep:
    """F6 at ``scale``: constant (eta, b) per run; at the end, the worst-case adaptive sharpness
    (rho = 2e-4) and the noise norm at the run's own b, which gives the run's C = sqrt(b) E||omega||
    and delta = eta C / sqrt(b) = eta E||omega|| (notes Sec. 3.4; the paper does not say how it
    estimated C). Correlations are Spearman's, over all runs and seeds; ``runs``:
    ``{"η = ..., b = ...": [result per seed]}``."""
    rows, sharpness = [], sharpness_metric(setting(scale)["sweep"]["sharpness_steps"])
    for results in runs.values():
        for r in results:
            eta, b = r.config.lr["value"], r.config.batch_size["value"]
            last = r.log.iloc[-1]
            noise = float(last[noise_norm_metric(b)])
            rows.append({"η": eta, "b": b, "seed": r.config.seed, "C": math.sqrt(b) * noise, "δ": eta * noise,
                         "η/√b": eta / math.sqrt(b), "sharpness": float(last[sharpness]),
                         "test acc (%)": 100 * float(last["test_acc"]), "train loss": float(last["train_loss"])})
    points = pd.DataFrame(rows)
    pairs = {"δ, sharpness": ("sharpness",), "sharpness, test acc": ("test acc (%)",),
             "δ, test acc": ("test acc (%)",)}
    correlations = pd.DataFrame({
        pair: {"δ with each run's C": points[("δ" if pair.startswith("δ") else "sharpness")].corr(
                   points[y], method="spearman"),
               "δ ∝ η/√b (one C)": points[("η/√b" if pair.startswith("δ") else "sharpness")].corr(
                   points[y], method="spearman")}
        for pair, (y,) in pairs.items()}).T
    correlations.index.name = "pair"
    how = f"{setting(scale)['sweep']['epochs']} epochs per (η, b)"
    return Sweep(runs, points, correlations, trained_on(scale), how)


# F7: gradient noise ------------------------------------------------------------------------------


#: The smallest batch size whose 16 noise draws see at least 128 training examples.
SEEN = 8


@dataclass(frozen=True)
class Noise:
    """F7: the noise norm against b on one checkpoint, and the shape of its components (the
    first seed's, drawn; ``by_seed`` holds every seed's, each with the same fields)."""

    runs: dict  # {"constant η and b": [the run per seed]}
    norms: pd.DataFrame  # per b: mean ||omega||, sqrt(b) times it, the finite-population model
    slope: float  # fitted log-log slope over b <= n / 16
    slope_seen: float  # the same over SEEN <= b <= n / 16
    C: float  # the estimate of C from the finite-population fit over SEEN <= b < n
    shapes: dict  # b -> (quantile levels, quantiles of the components of one omega)
    kurtosis: dict  # b -> excess kurtosis of the components
    intervals: dict  # "b <= n/16", "8 <= b <= n/16" -> 95 % bootstrap interval of the slope over the draws
    windows: pd.DataFrame  # the slope over every window of at least three sizes (rows: first b, columns: last b)
    layers: dict  # b -> per parameter tensor: its components and the excess kurtosis pooled over the draws
    pooled_gaussian: dict  # b -> the excess kurtosis Gaussian components would show, pooled over the draws
    n: int
    seed: int  # the run's seed
    substitute: str | None
    how: str  # the budget, for the substitute label
    by_seed: dict = field(default_factory=dict)  # seed -> that seed's checkpoint (a Noise)

    def seed_table(self) -> pd.DataFrame:
        """Per seed: the slope and its 95 % interval over each window, C, and the excess kurtosis
        of one ω's components at each b measured."""
        rows = {}
        for seed, noise in self.by_seed.items():
            row = {}
            for window, slope in (("b ≤ n/16", noise.slope), ("8 ≤ b ≤ n/16", noise.slope_seen)):
                low, high = noise.intervals[window]
                row |= {f"slope, {window}": slope, f"95 % interval, {window}": f"[{low:.3f}, {high:.3f}]"}
            row["C"] = noise.C
            row |= {f"excess kurtosis, b = {b}": k for b, k in noise.kurtosis.items()}
            row |= {f"pooled Gaussian's, b = {b}": k for b, k in noise.pooled_gaussian.items()}
            rows[seed] = row
        return pd.DataFrame(rows).T.rename_axis("seed")


def gradient_noise(runs: dict, scale: str) -> Noise:
    """F7 at ``scale`` (:func:`checkpoint_noise`) on the constant run of every seed (``runs``:
    ``{"constant η and b": [result per seed]}``): the first seed's, with every seed's in ``by_seed``."""
    each = {r.config.seed: checkpoint_noise(r, scale) for r in runs["constant η and b"]}
    return replace(next(iter(each.values())), runs=runs, by_seed=each)


def checkpoint_noise(result, scale: str) -> Noise:
    r"""F7 at ``scale`` on one run: at its end, :math:`E\|\nabla f_B - \nabla f\|` for
    every power-of-two b (16 mini-batches each, eval mode). Mini-batches are drawn without
    replacement from :math:`n` examples, so :math:`E\|\omega\|^2 = \frac{\sigma^2}{b}\frac{n-b}{n-1}`:
    the slope is -1/2 only for b much smaller than n. Fitted: the slope over b <= n/16, and
    C in :math:`E\|\omega\| \approx \frac{C}{\sqrt b}\sqrt{\frac{n-b}{n-1}}` over
    :data:`SEEN` <= b < n (least squares on the logarithms). Every mean is over 16 mini-batches:
    below b = :data:`SEEN` they see fewer than 128 of the n examples, too few where a handful of
    examples carry the gradient (a checkpoint that fits its training set); so the slope is also
    fitted from b = :data:`SEEN` on, and C only from there."""
    last = result.log.iloc[-1]
    n = result.config.train_subset
    sizes = sorted(int(c.removeprefix("noise_norm_b")) for c in result.log.columns if c.startswith("noise_norm_b"))
    norms = pd.DataFrame({"E‖ω‖": [float(last[noise_norm_metric(b)]) for b in sizes]},
                         index=pd.Index(sizes, name="b"))
    norms["√b E‖ω‖"] = norms["E‖ω‖"] * np.sqrt(norms.index)
    correction = np.sqrt((n - norms.index) / (n - 1))
    small = norms[norms.index <= n // 16]
    slope = float(np.polyfit(np.log(small.index), np.log(small["E‖ω‖"]), 1)[0])
    seen = small[small.index >= SEEN]
    slope_seen = float(np.polyfit(np.log(seen.index), np.log(seen["E‖ω‖"]), 1)[0])
    below = (norms.index < n) & (norms.index >= SEEN)
    C = float(np.exp(np.mean(np.log(norms["√b E‖ω‖"][below] / correction[below]))))
    norms["model C/√b √((n−b)/(n−1))"] = C / np.sqrt(norms.index) * correction
    norms["model / measured"] = norms["model C/√b √((n−b)/(n−1))"] / norms["E‖ω‖"]
    shapes, kurtosis = {}, {}
    for column in result.log.columns:
        if column.startswith("noise_quantiles_b"):
            b = int(column.removeprefix("noise_quantiles_b"))
            quantiles = np.asarray(last[column], dtype=float)
            shapes[b] = (np.linspace(0, 1, len(quantiles)), quantiles)
            kurtosis[b] = float(last[f"noise_kurtosis_b{b}"])
    draws = {b: np.asarray(last[f"noise_draws_b{b}"], dtype=float) for b in sizes if f"noise_draws_b{b}" in last}
    intervals = {"b ≤ n/16": _slope_interval(draws, small.index), "8 ≤ b ≤ n/16": _slope_interval(draws, seen.index)}
    layers = {int(c.removeprefix("noise_layer_kurtosis_b")): _layer_table(result.config, last[c])
              for c in result.log.columns if c.startswith("noise_layer_kurtosis_b")}
    how = (f"one checkpoint after {result.config.epochs:g} epochs, η = {result.log.lr.iloc[-1]:g}, "
           f"b = {int(result.log.batch_size.iloc[-1])}")
    pooled = {b: pooled_gaussian_kurtosis(draws[b]) for b in layers if b in draws}
    return Noise({"constant η and b": [result]}, norms, slope, slope_seen, C, shapes, kurtosis, intervals,
                 _windows(small["E‖ω‖"]), layers, pooled, n, result.config.seed, trained_on(scale), how)


def pooled_gaussian_kurtosis(norms) -> float:
    r"""The excess kurtosis of Gaussian components pooled over draws whose scales differ as the
    draws' ``norms`` do: a scale mixture, :math:`3\,E[s^4]/E[s^2]^2 - 3` with :math:`s` the norm
    of each draw (0 when every draw has the same norm). Pooling a tensor's components over the 16
    draws adds this much excess kurtosis to light tails (the whole ω's norm stands in for each
    tensor's, whose per-draw norms are not stored)."""
    s2 = np.asarray(norms, dtype=float) ** 2
    return float(3 * np.mean(s2**2) / np.mean(s2) ** 2 - 3)


#: Bootstrap resamples of the slope's interval, and their seed (fixed, so the interval is too).
BOOTSTRAP, BOOTSTRAP_SEED = 2000, 0


def _slope_interval(draws: dict, sizes) -> tuple[float, float]:
    """The 95 % percentile-bootstrap interval of the log-log slope of the mean noise norm over
    ``sizes``: each b's draws resampled with replacement (NaNs if the run stored no draws)."""
    if not all(b in draws for b in sizes):
        return (math.nan, math.nan)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    x = np.log(np.asarray(sizes, dtype=float))
    means = np.stack([rng.choice(draws[b], (BOOTSTRAP, len(draws[b]))).mean(1) for b in sizes], axis=1)
    slopes = np.polyfit(x, np.log(means).T, 1)[0]
    low, high = np.percentile(slopes, [2.5, 97.5])
    return (float(low), float(high))


def _windows(norms: pd.Series) -> pd.DataFrame:
    """The log-log slope of ``norms`` (indexed by b) over every window of at least three
    consecutive sizes: no window is chosen, every one is shown."""
    b = list(norms.index)
    rows = {lo: {hi: float(np.polyfit(np.log(b[i:j + 1]), np.log(norms.iloc[i:j + 1]), 1)[0])
                 for j, hi in enumerate(b) if j >= i + 2} for i, lo in enumerate(b[:-2])}
    return pd.DataFrame(rows).T.rename_axis(index="from b", columns="to b")


def _layer_table(config, kurtosis: list) -> pd.DataFrame:
    """Per parameter tensor of ``config``'s network (named as torch names them): its components
    and the excess kurtosis of its noise components."""
    source = data.SOURCES[config.dataset]
    model = models.build(config.model, tuple(source.shape), source.classes)
    named = [(name, p.numel()) for name, p in model.named_parameters() if p.requires_grad]
    return pd.DataFrame({"components": [k for _, k in named], "excess kurtosis": list(kurtosis)},
                        index=pd.Index([name for name, _ in named], name="parameter"))


# Beyond the paper: is SGD gradient descent on the delta-smoothed loss? ----------------------------


#: The round-off of a float32 mean loss, relative to the loss (about 8 units in the last place):
#: a smaller excess is not told apart from zero, and the ratio uses this in its place.
RESOLUTION = 1e-6


@dataclass(frozen=True)
class SmoothingCheck:
    """The smoothing claim measured along every seed of each F4 variant."""

    runs: dict  # per variant, [the run of each seed]
    trace: pd.DataFrame  # per seed, variant and evaluation: epoch, eta, b, delta, the losses; "degenerate" rows
    summary: pd.DataFrame  # per seed and variant: medians of the excesses and of their ratio (degenerate rows left out)
    deltas: pd.DataFrame  # per seed and variant: measured delta = eta E||omega|| first and last, against the schedule's
    seeds: list  # the runs' seeds, the first one drawn as lines in the figure
    substitute: str | None
    how: str  # the budget, for the substitute label


def smoothing_check(runs: dict, scale: str) -> SmoothingCheck:
    r"""Beyond the paper, along every seed's F4 runs (``runs``: ``{variant: [run per seed]}``):
    after each epoch, the loss one SGD step leads to, against the Monte-Carlo :math:`\hat f_\delta`
    at the predicted :math:`\delta = \eta C/\sqrt b` (the ``smoothing_*`` measurements of
    :func:`critbatch.train.measurements.smoothing`). Both are compared through their excess over
    the plain gradient step, :math:`f(\theta - \eta\nabla f)`: SGD's excess comes from its noise
    :math:`\eta\omega_B`, the smoothing's from a uniform vector of the same mean length. Where the
    smoothing's excess is below :data:`RESOLUTION` of the loss, the ratio SGD / smoothing uses
    that resolution instead, so it is a lower bound."""
    frames = []
    for variant, results in runs.items():
        for result in results:
            frame = result.log[["epoch", "step", "lr", "batch_size", *SMOOTHING]].copy()
            frame.insert(0, "variant", variant)
            frame.insert(0, "seed", result.config.seed)
            frames.append(frame)
    trace = pd.concat(frames, ignore_index=True)
    trace = trace[trace.step > 0].reset_index(drop=True)  # at initialisation the network has not been trained
    trace["degenerate"] = trace.batch_size >= SMOOTHING_SIZE  # B is the whole sample: omega = 0 by construction
    trace["SGD excess"] = trace.smoothing_sgd - trace.smoothing_gd
    trace["smoothing excess"] = trace.smoothing_ball - trace.smoothing_gd
    trace["resolution"] = RESOLUTION * trace.smoothing_gd.abs()
    trace["below resolution"] = trace["smoothing excess"].abs() < trace["resolution"]
    trace["ratio"] = trace["SGD excess"] / np.maximum(trace["smoothing excess"].abs(), trace["resolution"])
    summary = trace[~trace.degenerate].groupby(["seed", "variant"], sort=False).agg(**{
        "median δ": ("smoothing_delta", "median"), "median SGD excess": ("SGD excess", "median"),
        "median |smoothing excess|": ("smoothing excess", lambda e: e.abs().median()),
        "smoothing excess below resolution": ("below resolution", "mean"),
        "median ratio (at least)": ("ratio", "median")})
    seeds = list(trace.seed.unique())
    how = f"{len(seeds)} seed{'s' if len(seeds) > 1 else ''} of each F4 variant, {SMOOTHING_SIZE} fixed images"
    return SmoothingCheck(runs, trace, summary, measured_deltas(trace), seeds, trained_on(scale), how)


def measured_deltas(trace: pd.DataFrame) -> pd.DataFrame:
    r"""Per seed and variant, the measured :math:`\delta = \eta\,E\|\omega_B\|` (``smoothing_delta``)
    at the first and the last checkpoint of ``trace`` (:func:`smoothing_check`), its shrink factor,
    and the factor the schedule gives with one :math:`C`, :math:`(\eta_0/\sqrt{b_0}) / (\eta/\sqrt b)`:
    the two agree only if :math:`C = \sqrt b\,E\|\omega\|` stays constant along the run."""
    rows = {}
    for (seed, variant), t in trace.groupby(["seed", "variant"], sort=False):
        first, last = t.iloc[0], t.iloc[-1]
        scheduled = (first.lr / math.sqrt(first.batch_size)) / (last.lr / math.sqrt(last.batch_size))
        measured = first.smoothing_delta / last.smoothing_delta
        rows[seed, variant] = {"first epoch": first.epoch, "last epoch": last.epoch, "δ first": first.smoothing_delta,
                               "δ last": last.smoothing_delta, "measured shrink": measured,
                               "scheduled shrink": scheduled, "measured / scheduled": measured / scheduled,
                               "last b": int(last.batch_size), "last degenerate": bool(last.degenerate)}
    return pd.DataFrame(rows).T.rename_axis(["seed", "variant"])
