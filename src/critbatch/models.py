"""Networks used by the papers, built from small JSON-able specs ``{"kind": ..., **arguments}``.

>>> net = build({"kind": "mlp", "hidden": [512, 256]}, in_shape=(1, 28, 28), classes=10)
>>> sum(p.numel() for p in net.parameters())  # Tsukada & Iiduka's MNIST MLP
535818
>>> net = build({"kind": "resnet", "depth": 34}, in_shape=(3, 32, 32), classes=10)
>>> round(sum(p.numel() for p in net.parameters()) / 1e6, 1)  # the CIFAR ResNet-34: 21.3M
21.3
>>> net = build({"kind": "resnet", "depth": 18, "width": 8}, in_shape=(1, 28, 28), classes=10)
>>> sum(p.numel() for p in net.parameters())  # the same layout, narrower: the CPU-sized substitute
176258
>>> build({"kind": "resnet", "width": 0}, in_shape=(1, 28, 28), classes=10)
Traceback (most recent call last):
...
ValueError: width must be a positive number of channels, got 0
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .specs import resolve

__all__ = ["build", "densenet", "mlp", "resnet", "wideresnet"]


def mlp(in_shape: tuple[int, ...], classes: int, hidden: list[int]) -> nn.Sequential:
    """Flatten, then ``Linear -> ReLU`` for each hidden width, then a linear read-out."""
    widths = [math.prod(in_shape), *hidden]
    layers: list[nn.Module] = [nn.Flatten()]
    for a, b in zip(widths, widths[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(widths[-1], classes))


class _Block(nn.Module):
    """Basic residual block: two 3x3 convolutions with batch norm, a projection when the shape changes."""

    def __init__(self, width_in: int, width: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(width_in, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width))
        self.shortcut = nn.Sequential()
        if stride != 1 or width_in != width:
            self.shortcut = nn.Sequential(nn.Conv2d(width_in, width, 1, stride, bias=False), nn.BatchNorm2d(width))

    def forward(self, x):
        return nn.functional.relu(self.body(x) + self.shortcut(x))


def resnet(in_shape: tuple[int, ...], classes: int, depth: int = 18, width: int = 64) -> nn.Sequential:
    """The CIFAR ResNet of the papers' code (the kuangliu/pytorch-cifar layout): a 3x3 stem with
    ``width`` channels (64 in the papers) and no max-pool, four stages of basic blocks of widths
    ``width`` x 1, 2, 4, 8 with strides 1, 2, 2, 2, global average pooling and a linear read-out;
    ``depth`` 18 ([2, 2, 2, 2]) or 34 ([3, 4, 6, 3]). A smaller ``width`` gives the same network,
    narrower, for CPU-sized substitutes."""
    blocks = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3]}
    if depth not in blocks:
        raise ValueError(f"depth must be 18 or 34, got {depth}")
    if width < 1:
        raise ValueError(f"width must be a positive number of channels, got {width}")
    layers: list[nn.Module] = [nn.Conv2d(in_shape[0], width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
    width_in = width
    for stage, count, stride in zip((1, 2, 4, 8), blocks[depth], (1, 2, 2, 2)):
        for i in range(count):
            layers.append(_Block(width_in, stage * width, stride if i == 0 else 1))
            width_in = stage * width
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width_in, classes))


class _DenseLayer(nn.Module):
    """Bottleneck layer: BN -> ReLU -> 1x1 conv (4k) -> BN -> ReLU -> 3x3 conv (k), concatenated to the input."""

    def __init__(self, width_in: int, growth: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.BatchNorm2d(width_in), nn.ReLU(), nn.Conv2d(width_in, 4 * growth, 1, bias=False),
            nn.BatchNorm2d(4 * growth), nn.ReLU(), nn.Conv2d(4 * growth, growth, 3, 1, 1, bias=False))

    def forward(self, x):
        return torch.cat([self.body(x), x], 1)


def densenet(in_shape: tuple[int, ...], classes: int, growth: int = 12, blocks: list[int] = (6, 12, 24, 16),
             reduction: float = 1.0) -> nn.Sequential:
    """The bottleneck DenseNet of Umeda & Iiduka's code (``densenet121`` there, but with growth
    rate k = 12 and no compression by default): a 3x3 stem to 2k channels, dense blocks of
    ``blocks`` bottleneck layers, transitions BN -> 1x1 conv (``reduction`` x the channels) ->
    2x2 average pooling, then BN -> ReLU -> global average pooling -> linear read-out.

    >>> net = build({"kind": "densenet"}, in_shape=(3, 32, 32), classes=100)
    >>> round(sum(p.numel() for p in net.parameters()) / 1e6, 2)  # the code's 1.79M
    1.79
    """
    width = 2 * growth
    layers: list[nn.Module] = [nn.Conv2d(in_shape[0], width, 3, 1, 1, bias=False)]
    for i, count in enumerate(blocks):
        for _ in range(count):
            layers.append(_DenseLayer(width, growth))
            width += growth
        if i < len(blocks) - 1:
            out = int(math.floor(width * reduction))
            layers += [nn.BatchNorm2d(width), nn.Conv2d(width, out, 1, bias=False), nn.AvgPool2d(2)]
            width = out
    return nn.Sequential(*layers, nn.BatchNorm2d(width), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(width, classes))


class _WideBlock(nn.Module):
    """Pre-activation basic block: BN -> ReLU -> 3x3 conv, twice; a 1x1 projection of the
    activated input when the shape changes."""

    def __init__(self, width_in: int, width: int, stride: int):
        super().__init__()
        self.first = nn.Sequential(nn.BatchNorm2d(width_in), nn.ReLU())
        self.body = nn.Sequential(
            nn.Conv2d(width_in, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, 1, 1, bias=False))
        self.project = (nn.Conv2d(width_in, width, 1, stride, bias=False)
                        if stride != 1 or width_in != width else None)

    def forward(self, x):
        activated = self.first(x)
        return self.body(activated) + (self.project(activated) if self.project is not None else x)


def wideresnet(in_shape: tuple[int, ...], classes: int, depth: int = 28, widen: int = 10) -> nn.Sequential:
    """The wide residual network WRN-``depth``-``widen`` (Zagoruyko & Komodakis 2016), as in Sato
    & Iiduka's code (``WideResNet28_10``, dropout 0): a 3x3 stem of 16 channels, three groups of
    (depth - 4) / 6 pre-activation blocks of widths 16, 32, 64 x ``widen`` with strides 1, 2, 2,
    then BN -> ReLU -> global average pooling -> linear read-out; Kaiming-normal (fan-out)
    convolutions.

    >>> net = build({"kind": "wideresnet", "depth": 28, "widen": 10}, in_shape=(3, 32, 32), classes=100)
    >>> round(sum(p.numel() for p in net.parameters()) / 1e6, 1)  # the code's 36.5M
    36.5
    """
    if depth < 10 or (depth - 4) % 6:
        raise ValueError(f"depth must be 6n + 4 with n >= 1 (28 for WRN-28-10), got {depth}")
    if widen < 1:
        raise ValueError(f"widen must be a positive integer, got {widen}")
    count = (depth - 4) // 6
    layers: list[nn.Module] = [nn.Conv2d(in_shape[0], 16, 3, 1, 1, bias=False)]
    width_in = 16
    for width, stride in zip((16 * widen, 32 * widen, 64 * widen), (1, 2, 2)):
        for i in range(count):
            layers.append(_WideBlock(width_in, width, stride if i == 0 else 1))
            width_in = width
    net = nn.Sequential(*layers, nn.BatchNorm2d(width_in), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                        nn.Linear(width_in, classes))
    for module in net.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
    return net


_MODELS = {"mlp": mlp, "resnet": resnet, "densenet": densenet, "wideresnet": wideresnet}


def build(spec: dict, in_shape: tuple[int, ...], classes: int) -> nn.Module:
    """Build the network that ``spec`` names, for inputs of ``in_shape`` and ``classes`` outputs."""
    return resolve(spec, _MODELS, "model")(in_shape, classes)
