"""Device names as notebooks take them.

>>> resolve("cpu")
'cpu'
"""

from __future__ import annotations

import torch

__all__ = ["resolve"]


def resolve(name: str) -> str:
    """``"auto"`` is CUDA when a GPU is visible, else the CPU; other names pass through."""
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but torch sees no CUDA GPU; use 'cpu' or 'auto'")
    return name
