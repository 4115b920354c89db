"""Networks used by the papers, built from small JSON-able specs ``{"kind": ..., **arguments}``.

>>> net = build({"kind": "mlp", "hidden": [512, 256]}, in_shape=(1, 28, 28), classes=10)
>>> sum(p.numel() for p in net.parameters())  # Tsukada & Iiduka's MNIST MLP
535818
"""

from __future__ import annotations

import math

from torch import nn

from .specs import resolve

__all__ = ["build", "mlp"]


def mlp(in_shape: tuple[int, ...], classes: int, hidden: list[int]) -> nn.Sequential:
    """Flatten, then ``Linear -> ReLU`` for each hidden width, then a linear read-out."""
    widths = [math.prod(in_shape), *hidden]
    layers: list[nn.Module] = [nn.Flatten()]
    for a, b in zip(widths, widths[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(widths[-1], classes))


_MODELS = {"mlp": mlp}


def build(spec: dict, in_shape: tuple[int, ...], classes: int) -> nn.Module:
    """Build the network that ``spec`` names, for inputs of ``in_shape`` and ``classes`` outputs."""
    return resolve(spec, _MODELS, "model")(in_shape, classes)
