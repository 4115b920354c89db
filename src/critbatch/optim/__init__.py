"""Optimizers by name, from JSON-able specs ``{"kind": ..., **hyper-parameters}``.

The learning rate is not part of the spec: it comes from the run's schedule, which the training
loop writes into every parameter group before each step (as ``torch.optim.lr_scheduler`` does).
``armijo`` (:class:`critbatch.optim.ArmijoSGD`) finds its own step and takes no schedule; its
``steps_per_epoch`` may be ``"auto"``: the steps of one epoch at the first batch size, and its
``"trial_bn": "frozen"`` keeps the BatchNorm running statistics of the network out of the line
search's trial forwards (:func:`critbatch.optim.armijo.batch_norm_statistics`).

>>> import torch
>>> opt = build({"kind": "momentum", "momentum": 0.9}, [torch.zeros(1, requires_grad=True)], lr=0.1)
>>> type(opt).__name__, opt.defaults["momentum"]
('SGD', 0.9)
"""

from __future__ import annotations

from typing import Iterable

import torch

from .armijo import ArmijoSGD, batch_norm_statistics
from ..specs import resolve

__all__ = ["SCHEDULE_FREE", "build"]

#: Optimizers that choose their own step and take no learning-rate schedule.
SCHEDULE_FREE = ("armijo",)


_OPTIMIZERS = {
    "sgd": lambda params, lr, **kw: torch.optim.SGD(params, lr=lr, **kw),
    "momentum": lambda params, lr, momentum=0.9, **kw: torch.optim.SGD(params, lr=lr, momentum=momentum, **kw),
    "adam": lambda params, lr, **kw: torch.optim.Adam(params, lr=lr, **kw),
    "adamw": lambda params, lr, **kw: torch.optim.AdamW(params, lr=lr, **kw),
    "rmsprop": lambda params, lr, **kw: torch.optim.RMSprop(params, lr=lr, **kw),
    "armijo": lambda params, lr, **kw: ArmijoSGD(params, **kw),
}


def _trial_statistics(spec: dict, model: torch.nn.Module | None) -> list[torch.Tensor]:
    """The tensors that an armijo spec's ``"trial_bn": "frozen"`` keeps out of the trial forwards."""
    if spec.get("kind") != "armijo" or spec["trial_bn"] != "frozen" or model is None:
        raise ValueError(f"trial_bn must be 'frozen', in an armijo spec, with the model given; got {spec!r}")
    return batch_norm_statistics(model)


def build(spec: dict, params: Iterable[torch.Tensor], lr: float | None,
          steps_per_epoch: int | None = None, model: torch.nn.Module | None = None) -> torch.optim.Optimizer:
    """The optimizer that ``spec`` names over ``params``, with initial learning rate ``lr``
    (ignored by schedule-free optimizers); ``steps_per_epoch`` replaces a spec's ``"auto"``, and
    ``model`` (the network of ``params``) gives the statistics of a spec's ``"trial_bn"``."""
    spec = {k: (steps_per_epoch if v == "auto" else v) for k, v in spec.items()}
    if "trial_bn" in spec:
        spec = {k: v for k, v in spec.items() if k != "trial_bn"} | {"frozen": _trial_statistics(spec, model)}
    return resolve(spec, _OPTIMIZERS, "optimizer")(params, lr)
