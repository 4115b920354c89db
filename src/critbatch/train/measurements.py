"""Measurements: named quantities the training loop records at every evaluation.

A measurement is a function ``measure(probe, wanted) -> {name: value}`` registered under the
names it can produce; the loop calls each registered function once per evaluation with the
subset of its names that the run's config asks for (``TrainConfig.metrics``). A paper adds one
with :func:`measurement` in its own folder, without editing the loop:

>>> @measurement("weight_norm")
... def weight_norm(probe, wanted):
...     return {"weight_norm": sum(float(p.norm()) ** 2 for p in probe.model.parameters()) ** 0.5}
>>> "weight_norm" in known()
True

Measurements never count as SFO; the examples they pass through the network are added to
``probe.examples`` (the run's ``measure_examples``). They must leave the model as they found
it: in train mode, with no gradients.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch.nn import functional as F

__all__ = ["Probe", "full_pass", "known", "measure", "measurement"]

Measure = Callable[["Probe", frozenset], dict]
_REGISTRY: dict[str, Measure] = {}


@dataclass
class Probe:
    """What a measurement may look at: the network, the splits (the test split is loaded the
    first time a measurement asks for it), the evaluation batch size, and a counter of the
    examples it passed through the network."""

    model: torch.nn.Module
    train: tuple[torch.Tensor, torch.Tensor]  # images, labels (the run's training subset)
    load_test: Callable[[], tuple[torch.Tensor, torch.Tensor]]
    eval_batch: int
    examples: int = 0

    @functools.cached_property
    def test(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.load_test()


def measurement(*names: str) -> Callable[[Measure], Measure]:
    """Register a measurement under the ``names`` it produces (each name once, project-wide)."""

    def register(measure: Measure) -> Measure:
        taken = [n for n in names if n in _REGISTRY and _REGISTRY[n] is not measure]
        if taken:
            raise ValueError(f"measurement names already registered: {taken}; choose other names")
        _REGISTRY.update(dict.fromkeys(names, measure))
        return measure

    return register


def known() -> tuple[str, ...]:
    """Every registered measurement name."""
    return tuple(_REGISTRY)


def measure(probe: Probe, names: tuple[str, ...]) -> dict:
    """Call each registered measurement once for the ``names`` it produces; their values."""
    unknown = [n for n in names if n not in _REGISTRY]
    if unknown:
        raise ValueError(f"unknown metrics {unknown}; known: {', '.join(known())}")
    values, done = {}, set()
    for name in names:
        function = _REGISTRY[name]
        if function in done:
            continue
        done.add(function)
        values.update(function(probe, frozenset(n for n in names if _REGISTRY[n] is function)))
    return {n: values[n] for n in names}


def full_pass(model: torch.nn.Module, images, labels, batch: int, gradient: bool) -> dict:
    """Mean cross-entropy and accuracy over a whole split in eval mode, and the norm of the
    full gradient of the mean loss, :math:`\\|\\nabla f(\\theta)\\|`, if ``gradient``."""
    model.eval()
    loss_sum = torch.zeros((), device=images.device)
    correct = torch.zeros((), device=images.device)
    model.zero_grad(set_to_none=True)
    for start in range(0, len(labels), batch):
        x, y = images[start : start + batch], labels[start : start + batch]
        with torch.set_grad_enabled(gradient):
            out = model(x)
            loss = F.cross_entropy(out, y, reduction="sum")
        if gradient:
            (loss / len(labels)).backward()
        loss_sum += loss.detach()
        correct += (out.argmax(1) == y).sum()
    result = {"loss": (loss_sum / len(labels)).item(), "acc": (correct / len(labels)).item()}
    if gradient:
        squares = sum((p.grad**2).sum() for p in model.parameters() if p.grad is not None)
        result["norm"] = math.sqrt(float(squares))
        model.zero_grad(set_to_none=True)
    model.train()
    return result


@measurement("train_loss", "train_acc", "grad_norm")
def training_set(probe: Probe, wanted: frozenset) -> dict:
    """Loss and accuracy on the whole training set, and the full-gradient norm (one pass with
    backward if it is wanted; it then costs two passes' worth of examples)."""
    images, labels = probe.train
    gradient = "grad_norm" in wanted
    full = full_pass(probe.model, images, labels, probe.eval_batch, gradient)
    probe.examples += len(labels) * (2 if gradient else 1)
    return {"train_loss": full["loss"], "train_acc": full["acc"]} | ({"grad_norm": full["norm"]} if gradient else {})


@measurement("test_loss", "test_acc")
def test_set(probe: Probe, wanted: frozenset) -> dict:
    """Loss and accuracy on the whole test set."""
    images, labels = probe.test
    full = full_pass(probe.model, images, labels, probe.eval_batch, gradient=False)
    probe.examples += len(labels)
    return {"test_loss": full["loss"], "test_acc": full["acc"]}
