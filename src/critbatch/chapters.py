"""Each paper's table of figures: the one place that links a figure to its runs and its claims.

A paper declares one :class:`Chapter`, ``CHAPTER`` in ``papers/<paper>/chapter.py``, and names it
in the package's entry points (group :data:`GROUP`, pyproject.toml), where :func:`chapters` finds it
(the core names no paper and imports none by name): a tuple of :class:`Figure` entries,
each naming its notebook (``notebooks/<paper>/<name>.ipynb``), the runs it needs at a scale
(``runs(scale, seed)``: configs nested in dicts, lists and tuples, in whatever shape the figure
wants them) and the function that measures it (``measure(loaded, scale, seed, **options)``,
where ``loaded`` is that same shape with every config replaced by its stored result, and
``options`` are what cannot change a result: ``device``, ``data_root``). Everything
else is derived from the tables:

* calling a figure, ``figure(scale, seed, **options)``, loads its declared runs (:func:`load`),
  measures them and returns a :class:`Result` (its data and its claims); a measure that loads
  a run it did not declare is an error (:func:`critbatch.runs.declared_only`);
* the sweep trains what :meth:`Figure.configs` lists;
* the tests execute one notebook per figure and check each figure loads exactly its runs;
* the front page gathers every figure's claims.

Adding a figure is one entry and one notebook; adding a paper is one folder and its entry point.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
from dataclasses import dataclass
from typing import Any, Callable

from . import runs, scales
from .analysis.verdicts import Claims
from .store import MissingResult, Store, config_key

__all__ = ["GROUP", "Chapter", "Figure", "Result", "chapters", "configs_in", "load"]

#: The entry-point group in which each paper names its ``CHAPTER`` (``name = "module:CHAPTER"``).
GROUP = "critbatch.chapters"

@dataclass(frozen=True)
class Result:
    """What a figure computes: ``data``, whatever its notebook draws (the paper's own object),
    and its decided ``claims``."""

    data: Any
    claims: Claims = Claims()


def _is_config(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type) and runs.registered(value)


def _walk(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """``value`` with every run config replaced by ``leaf(config)``, dicts, lists and tuples kept."""
    if _is_config(value):
        return leaf(value)
    if isinstance(value, dict):
        return {k: _walk(v, leaf) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_walk(v, leaf) for v in value)
    return value


def configs_in(structure: Any) -> list:
    """Every run config in ``structure``, once each, in order."""
    found: dict[str, Any] = {}
    _walk(structure, lambda c: found.setdefault(config_key(c), c))
    return list(found.values())


def load(structure: Any, store: Store | None = None, **options) -> Any:
    """``structure`` with every run config replaced by its result (:func:`critbatch.runs.run`)."""
    store = store if store is not None else Store()
    return _walk(structure, lambda c: runs.run(c, store, **options))


def _no_runs(scale: str, seed: int) -> dict:
    return {}


@dataclass(frozen=True)
class Figure:
    """One figure of a paper: its notebook ``name``, its ``runs(scale, seed)`` and its
    ``measure(loaded, scale, seed, **options) -> Result``; ``data`` describes what it was computed on
    ("real", "substitute: <what>", or "none: <why>"), for the claims that do not say."""

    name: str
    measure: Callable[..., Result]
    runs: Callable[[str, int], Any] = _no_runs
    data: str = "real"

    def configs(self, scale: str, seed: int = 0) -> list:
        """The run configs this figure needs at ``scale`` (what the sweep trains)."""
        return configs_in(self.runs(scale, seed))

    def at_paper_scale(self, scale: str, seed: int = 0) -> bool:
        """Whether the runs at ``scale`` are exactly the paper-scale runs (a figure with no runs
        computes the same thing at every scale only if it says so by having none)."""
        try:
            return [config_key(c) for c in self.configs(scale, seed)] == [
                config_key(c) for c in self.configs("paper", seed)]
        except MissingResult:  # the paper-scale list needs a result not stored here
            return False

    def __call__(self, scale: str, seed: int = 0, *, store: Store | None = None, **options) -> Result:
        """Load the declared runs (cache-only where the store is) and measure them; every
        decided claim that does not name its data and scale gets the figure's."""
        scales.check(scale)
        loaded = load(self.runs(scale, seed), store, **options)
        with runs.declared_only(f"{self.name} at scale {scale}"):
            result = self.measure(loaded, scale, seed, **options)
        if not isinstance(result, Result):
            raise TypeError(f"figure {self.name!r}: measure must return a critbatch.chapters.Result, "
                            f"got {type(result).__name__}")
        untagged = [d for d in result.claims if not d.scale]
        shown = ("paper" if self.at_paper_scale(scale, seed) else scale) if untagged else None  # once: it builds every config
        tagged = [dataclasses.replace(d, data=d.data or self.data, scale=d.scale or shown) for d in result.claims]
        return dataclasses.replace(result, claims=Claims(tuple(tagged)))


@dataclass(frozen=True)
class Chapter:
    """A paper's table of figures, in the book's order."""

    paper: str  # its folder under papers/ and notebooks/
    title: str  # as the front page names it
    figures: tuple[Figure, ...]

    def __post_init__(self):
        names = [f.name for f in self.figures]
        if len(set(names)) != len(names):
            raise ValueError(f"chapter {self.paper!r} declares a figure twice: {names}")

    def __getitem__(self, name: str) -> Figure:
        for figure in self.figures:
            if figure.name == name:
                return figure
        raise KeyError(f"{self.paper} has no figure {name!r}; its figures: {', '.join(f.name for f in self.figures)}")


def chapters() -> dict[str, Chapter]:
    """Every paper's chapter (the entry points of :data:`GROUP`), by paper, in the order of their
    titles (which start with the paper's number)."""
    declared = {entry.name: entry for entry in importlib.metadata.entry_points(group=GROUP)}
    if not declared:
        raise RuntimeError(f"no paper declares a chapter (entry points {GROUP!r}): install critbatch first "
                           "(`make setup`, or `pip install -e .` in the repository)")
    found = []
    for name, entry in declared.items():
        chapter = entry.load()
        if not isinstance(chapter, Chapter) or chapter.paper != name:
            raise TypeError(f"entry point {name} = {entry.value} ({GROUP}) must be a critbatch.chapters.Chapter "
                            f"for paper {name!r}")
        found.append(chapter)
    return {c.paper: c for c in sorted(found, key=lambda c: c.title)}
