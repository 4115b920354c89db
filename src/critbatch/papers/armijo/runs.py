"""The runs each figure of this chapter needs, for ``python -m critbatch.sweep``: the same
configs the notebooks load (:mod:`.study`), listed without loading anything."""

from __future__ import annotations

from critbatch.sweep import figure

from . import study

SETTINGS = {"mnist": ("mnist",), "cifar": ("cifar10", "cifar100")}  # one substitute for both below paper scale


def _sweep(scale: str, settings: tuple[str, ...]) -> list:
    return [c for s in settings for configs in study.sweep_runs(scale, setting=s).values() for c in configs]


def _curves(scale: str, settings: tuple[str, ...]) -> list:
    return [c for s in settings for c in (*study.step_size_runs(scale, setting=s).values(),
                                         *study.curve_runs(scale, setting=s).values())]


for name in ("mnist-steps-sfo", "mnist-two-targets", "mnist-evaluations"):
    figure("armijo", name)(lambda scale, store: _sweep(scale, SETTINGS["mnist"]))
figure("armijo", "cifar-steps-sfo")(lambda scale, store: _sweep(scale, SETTINGS["cifar"]))
figure("armijo", "mnist-step-sizes")(lambda scale, store: list(study.step_size_runs(scale).values()))
figure("armijo", "mnist-training-curves")(lambda scale, store: list(study.curve_runs(scale).values()))
figure("armijo", "cifar-step-sizes-curves")(lambda scale, store: _curves(scale, SETTINGS["cifar"]))
figure("armijo", "open-questions")(lambda scale, store: [
    *(c for configs in study.round_off_runs(scale).values() for c in configs), *study.trial_bn_runs(scale).values()])
