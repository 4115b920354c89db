"""The three scales every notebook runs at.

* ``smoke``: seconds on a CPU; what CI and nbval run.
* ``reduced``: minutes on one GPU (or a CPU where that suffices); what the book shows.
* ``paper``: the papers' own settings, for users with the hardware and the data.

>>> pick("smoke", smoke=50, reduced=2000, paper=2000)
50
>>> check("full")
Traceback (most recent call last):
ValueError: scale must be one of smoke, reduced, paper; got 'full'
"""

from __future__ import annotations

__all__ = ["SCALES", "check", "pick"]

SCALES = ("smoke", "reduced", "paper")


def check(scale: str) -> str:
    """``scale`` if it is one of :data:`SCALES`; else a one-line error naming them."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}; got {scale!r}")
    return scale


def pick(scale: str, **values):
    """The value given for ``scale``; a clear error for an unknown scale or a missing value."""
    check(scale)
    if scale not in values:
        raise ValueError(f"no setting given for scale {scale!r} (given: {', '.join(values)})")
    return values[scale]
