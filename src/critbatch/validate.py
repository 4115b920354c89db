"""Checks of user-given parameters, each failing with one line that names the fix, before any
data loads.

>>> positive_int(8, "batch_size")
8
>>> positive_int(2.5, "batch_size")
Traceback (most recent call last):
ValueError: batch_size must be a positive integer, got 2.5 (float); give a whole number such as 2 or 3
>>> finite({"lr": {"kind": "constant", "value": float("nan")}}, "TrainConfig")
Traceback (most recent call last):
ValueError: TrainConfig.lr.value is nan; give a finite number
"""

from __future__ import annotations

import math
import numbers
from pathlib import Path

__all__ = ["existing_folder", "finite", "positive", "positive_int", "seed"]


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def positive_int(value, name: str):
    """``value`` if it is an integer >= 1 (not a float, not a bool)."""
    if _is_int(value) and value >= 1:
        return value
    hint = (f"give a whole number such as {int(value)} or {int(value) + 1}" if isinstance(value, float)
            and value >= 1 else "give an integer of at least 1")
    raise ValueError(f"{name} must be a positive integer, got {value!r} ({type(value).__name__}); {hint}")


def positive(value, name: str, *, zero: bool = False):
    """``value`` if it is a finite real number above 0 (or at least 0 with ``zero``)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value) and (
            value > 0 or zero and value == 0):
        return value
    bound = "at least 0" if zero else "above 0"
    raise ValueError(f"{name} must be a finite number {bound}, got {value!r}; give e.g. 1")


def finite(value, name: str):
    """``value`` if every number in it (through dicts, lists and tuples) is finite; else the
    error names the first field that is not (``name.field.subfield``)."""
    if isinstance(value, dict):
        for key, item in value.items():
            finite(item, f"{name}.{key}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            finite(item, f"{name}[{i}]")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} is {value}; give a finite number")
    return value


def seed(value, name: str = "seed"):
    """``value`` if it is a non-negative integer."""
    if _is_int(value) and value >= 0:
        return value
    raise ValueError(f"{name} must be a non-negative integer, got {value!r} ({type(value).__name__}); "
                     "give 0, 1, 2, ...")


def existing_folder(path, name: str = "data_root") -> Path | None:
    """``path`` as a Path if it is an existing folder (None passes through: the default applies)."""
    if path is None:
        return None
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"{name} {str(folder)!r} is not an existing folder; create it, or pass "
                                f"{name}=None to use the default")
    return folder
