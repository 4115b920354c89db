"""Small JSON-able specs, ``{"kind": name, **arguments}``, that name a factory in a registry.

Configs hold specs rather than objects so that a run's config can be hashed and stored.

>>> resolve({"kind": "double", "x": 2}, {"double": lambda x: 2 * x}, "demo")()
4
"""

from __future__ import annotations

import functools
from typing import Callable

__all__ = ["resolve"]


def resolve(spec: dict, registry: dict[str, Callable], what: str) -> Callable:
    """The factory that ``spec["kind"]`` names, with the spec's other entries bound to it."""
    arguments = dict(spec)
    kind = arguments.pop("kind", None)
    if kind not in registry:
        raise ValueError(f"unknown {what} kind {kind!r} in {spec!r}; known: {', '.join(registry)}")
    return functools.partial(registry[kind], **arguments)
