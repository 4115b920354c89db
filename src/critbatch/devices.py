"""Device names as notebooks and runs take them.

>>> resolve("cpu")
'cpu'
>>> resolve("gpu")
Traceback (most recent call last):
ValueError: unknown device 'gpu'; use 'cpu', 'cuda' (or 'cuda:N'), 'mps' or 'auto'
"""

from __future__ import annotations

import platform
import re
from pathlib import Path

import torch

__all__ = ["cpu_model", "resolve"]


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


def cpu_model() -> str:
    """The CPU's model name as ``/proc/cpuinfo`` gives it (else the platform's processor): the
    reduction order of torch's CPU kernels, and so a result's last bits, can differ between models."""
    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.exists() else []
    model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
                 platform.processor())
    return model or "unknown"
