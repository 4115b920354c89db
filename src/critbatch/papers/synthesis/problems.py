"""The two problems of the synthesis and the runs each needs beyond the chapters' own.

* **Kernel**: Ma, Bassily & Belkin's kernel least squares on MNIST (Gaussian, sigma = 5,
  n = 10^4 at the reduced scale), where beta, lambda_1, and therefore m*, are exact. Its
  measured SFO comes from the speed-up runs of the Paper 3 chapter (steps to each training
  error, m = 1 ... 2048 and n, ten seeds).
* **MLP**: Tsukada & Iiduka's MLP 784-512-256-10 on MNIST, plain SGD. Its measured SFO to a
  training accuracy comes from the Paper 1 chapter's sweep at eta = 0.1 (b = 4 ... 1024, three
  seeds) and from :func:`tuned_sweep`, the same runs at every step size of :data:`TUNED_LRS`
  (the models of Paper 3 and McCandlish et al. assume eta tuned per b); the SFO to a
  full-gradient norm from :func:`gradient_norm_runs`, and the curvature and noise scales along
  training from :func:`probe_run` and :func:`trace_probe_run`.
"""

from __future__ import annotations

import math
from dataclasses import replace

from critbatch import scales
from critbatch.papers.armijo import study as armijo
from critbatch.papers.interpolation import study as interpolation
from critbatch.train import TrainConfig

from .kernel_scales import EstimatorCheck, KernelNoiseTrace

__all__ = ["PAPER", "PROBE_METRICS", "TRACE_METRICS", "TUNED_BELOW", "TUNED_LRS", "estimator_check", "gradient_norm_runs",
           "kernel_panel", "kernel_trace", "probe_run", "sgd_sweep", "trace_probe_run", "tuned_sweep"]

PAPER = "synthesis"
#: What the probe run measures at every evaluation (critbatch.train.curvature).
PROBE_METRICS = ("train_loss", "train_acc", "grad_norm", "hessian_lambda1", "sample_beta", "sample_beta_median",
                 "noise_scale", "noise_trace")
#: What the trace probe measures: Hutchinson's tr H on the examples of the probe run's lambda_1 (Paper 3's m* = tr H / lambda_1).
TRACE_METRICS = ("train_loss", "train_acc", "hessian_trace", "hessian_trace_se")
#: The step sizes of the tuned MLP sweep (Paper 1's SGD runs use 0.1 at every b), run at every b:
#: half-decades from 0.03 to 10, a step beyond the first grid on each side (0.1 to 1 from b = 32
#: up, which chose its top at every b >= 128; a review caught it). The tuning table says where
#: the chosen step still sits on the grid's edge.
#: At the smoke scale only 0.1 and 1 (CI's time).
TUNED_LRS = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
#: One half-decade more below, at the batch sizes where this grid's bottom came first or close
#: (added after seeing 0.03 chosen at b = 4, by the rule the grid's first extension followed:
#: a step beyond the edge the tuning chose).
TUNED_BELOW = {4: (0.01,), 8: (0.01,)}


def kernel_panel(scale: str) -> interpolation.Panel:
    """The Paper 3 chapter's MNIST kernel problem at ``scale`` (its own data at every scale)."""
    return next(p for p in interpolation.panels(scale) if p.name == "MNIST")


def sgd_sweep(scale: str, seed: int = 0) -> dict[int, list[TrainConfig]]:
    """The Paper 1 chapter's plain-SGD runs on MNIST, {b: runs over this chapter's seeds}, each
    stopping at the chapter's training-accuracy target (that chapter may have more seeds: the
    first :func:`seeds` of them, as for the tuned sweep)."""
    chosen = set(seeds(scale, seed))
    return {b: [c for c in configs if c.seed in chosen]
            for (name, b), configs in armijo.sweep_runs(scale, seed).items() if name == "SGD"}


def seeds(scale: str, seed: int = 0) -> range:
    """This chapter's seeds of the MLP runs: three (one at smoke scale)."""
    return range(seed, seed + scales.pick(scale, smoke=1, reduced=3, paper=3))


def tuned_sweep(scale: str, seed: int = 0) -> dict[int, dict[float, list[TrainConfig]]]:
    """{b: {eta: runs over seeds}}, the largest b first (the sweep trains in this order, and a
    large b is cheap), eta in :data:`TUNED_LRS` (and :data:`TUNED_BELOW` at its b): the Paper 1 chapter's plain-SGD run at each b (its first seed's config, for
    its stop rule, checks and budget) with the step size eta and the seeds of this chapter (three;
    one at smoke scale), whatever seeds that chapter's sweep has. At eta = 0.1 these are that
    sweep's own runs."""
    templates = {b: configs[0] for b, configs in sgd_sweep(scale, seed).items()}
    def grid(b: int) -> tuple[float, ...]:
        full = TUNED_BELOW.get(b, ()) + TUNED_LRS
        return scales.pick(scale, smoke=(0.1, 1.0), reduced=full, paper=full)

    return {b: {eta: [replace(templates[b], seed=s, lr={**templates[b].lr, "value": eta}) for s in seeds(scale, seed)]
                for eta in grid(b)}
            for b in sorted(templates, reverse=True)}


def _train_size(config: TrainConfig) -> int:
    return config.train_subset or armijo.TRAIN_SIZES[config.dataset]


def probe_run(scale: str, seed: int = 0) -> TrainConfig:
    """The chapter's SGD run at b = 128 (its curve runs' batch size), for a fixed budget, every half
    epoch (every epoch at the smoke scale) measuring the training loss, accuracy and gradient
    norm, lambda_1 of the Hessian, the per-example curvature and the noise scale
    (:data:`PROBE_METRICS`)."""
    b = scales.pick(scale, smoke=64, reduced=128, paper=128)
    epochs, per_epoch = scales.pick(scale, smoke=(1, 1), reduced=(10, 2), paper=(10, 2))
    chapter = sgd_sweep(scale, seed)[b][0]
    return replace(chapter, epochs=epochs, stop=None, patience=None, metrics=PROBE_METRICS,
                   eval_every=math.ceil(_train_size(chapter) / b / per_epoch))


def trace_probe_run(scale: str, seed: int = 0) -> TrainConfig:
    """:func:`probe_run`'s training (the same seed, batch order and step size; its measurements
    draw no random numbers of the run's), measuring tr H (:data:`TRACE_METRICS`) at every other check of it (every epoch;
    the probe run first reaches each accuracy target at a whole epoch) for 5.5 epochs at the
    reduced and paper scales (it reaches the tightest, 0.97, after 5; CPU time)."""
    probe = probe_run(scale, seed)
    return replace(probe, metrics=TRACE_METRICS, eval_every=2 * probe.eval_every,
                   epochs=scales.pick(scale, smoke=probe.epochs, reduced=5.5, paper=5.5))


def gradient_norm_runs(scale: str, seed: int = 0) -> dict[int, list[TrainConfig]]:
    """{b: runs} of the chapter's SGD runs, one seed, measuring the full-gradient norm (and the
    training accuracy) every n/8 examples but at most every 25 steps, to a training accuracy one
    point past the chapter's target (the gradient-norm targets are the levels every run reaches
    before it stops)."""
    runs = {}
    for b, (chapter, *_) in sgd_sweep(scale, seed).items():
        stop = {**chapter.stop, "target": round(chapter.stop["target"] + 0.01, 2)}
        runs[b] = [replace(chapter, stop=stop, metrics=("train_loss", "train_acc", "grad_norm"),
                           eval_every=max(math.ceil(_train_size(chapter) / b / 8), 25))]
    return runs


def kernel_trace(scale: str, seed: int = 0) -> KernelNoiseTrace:
    """Kernel SGD at m = 8 (the power of two nearest m* = 7.5 of the reduced problem), long
    enough to pass the tightest error every speed-up run reaches, with the exact noise scale
    every 10 steps."""
    panel = kernel_panel(scale)
    steps = scales.pick(scale, smoke=300, reduced=2000, paper=2000)
    return KernelNoiseTrace(panel.problem, 8, steps, 10, seed)


def estimator_check(scale: str, seed: int = 0) -> EstimatorCheck:
    """The estimators against the exact values on 2,000 points of the kernel problem (500 at
    smoke scale), at alpha = 0 and after 300 SGD steps at m = 8."""
    problem = replace(kernel_panel(scale).problem, n=scales.pick(scale, smoke=500, reduced=2000,
                                                                            paper=2000), n_test=0)
    return EstimatorCheck(problem, 8, 300, scales.pick(scale, smoke=128, reduced=1024, paper=1024), seed)
