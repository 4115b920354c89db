"""Device names as notebooks and runs take them.

>>> resolve("cpu")
'cpu'
>>> resolve("gpu")
Traceback (most recent call last):
ValueError: unknown device 'gpu'; use 'cpu', 'cuda' (or 'cuda:N'), 'mps' or 'auto'
"""

from __future__ import annotations

import re

import torch

__all__ = ["resolve"]


def resolve(name: str) -> str:
    """``"auto"`` is CUDA when a GPU is visible, else the CPU; ``cpu``, ``cuda``, ``cuda:N`` and
    ``mps`` pass through when torch can use them; anything else is an error naming the choices."""
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not isinstance(name, str) or not re.fullmatch(r"cpu|mps|cuda(:\d+)?", name):
        raise ValueError(f"unknown device {name!r}; use 'cpu', 'cuda' (or 'cuda:N'), 'mps' or 'auto'")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but torch sees no CUDA GPU; use 'cpu' or 'auto'")
    if name == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device 'mps' asked for, but torch sees no Apple GPU; use 'cpu' or 'auto'")
    return name
