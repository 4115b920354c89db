"""Claims written once, as records, and decided per seed.

A :class:`Claim` says what is claimed, where it comes from and what kind of claim it is (the
paper's own, a derived check with a known answer, or the book's own question), and carries its
test as code: the quantity, the comparison, the threshold and the resolution below which two
values are a tie. The test text the reader sees is generated from those fields, never written
by hand. :meth:`Claim.decide` turns one value per seed (and the value on the seed mean) into a
:class:`Decision`:

* *reproduced* when the claim holds on the seed mean and on every seed;
* *not reproduced* when it fails on the seed mean and on every seed;
* *inconclusive* otherwise: seeds disagree, a value is within the resolution of the threshold
  (a tie never counts as growth or as a win), or a value is missing.

>>> grows = Claim("b* grows", "the critical batch size grows as eps shrinks", "Theorem 3.3",
...               PAPER, "b* at eps/2 over b* at eps", ">", 1.0, quoted="grows")
>>> grows.test
'b* at eps/2 over b* at eps > 1 (equal is a tie)'
>>> grows.decide({0: 2.0, 1: 2.0, 2: 4.0}).verdict
'reproduced'
>>> grows.decide({0: 1.0, 1: 1.0, 2: 1.0}).verdict  # 4 -> 4 three times: a tie, not growth
'inconclusive'
>>> grows.decide({0: 2.0, 1: 0.5, 2: 2.0}).verdict  # one seed disagrees
'inconclusive'
>>> grows.decide({0: 0.5, 1: 0.5}).verdict
'not reproduced'
>>> within = Claim("fit", "b* from the fit within a factor 2 of the measured one", "Section 4",
...                PAPER, "|log2(fit / measured)|", "<=", 1.0, resolution=0.1,
...                resolution_why="one grid point")
>>> within.test
'|log2(fit / measured)| ≤ 1 (within ±0.1 is a tie: one grid point)'
>>> within.decide({0: 0.95}).verdict
'inconclusive'
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import pandas as pd

__all__ = ["DERIVED", "INCONCLUSIVE", "KINDS", "NOT_REPRODUCED", "PAPER", "QUESTION", "REPRODUCED", "VERDICTS",
           "Claim", "Claims", "Decision"]

PAPER, DERIVED, QUESTION = "paper", "derived", "question"
#: What each kind of claim is, as the book names it.
KINDS = {PAPER: "the paper's claim", DERIVED: "derived check", QUESTION: "the book's question"}
REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive"
VERDICTS = (REPRODUCED, INCONCLUSIVE, NOT_REPRODUCED)
_SYMBOLS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "between": "between", "is": "is"}


def _number(value: Any, digits: int = 3) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isnan(value):
            return "none"
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        if float(value).is_integer() and abs(value) < 1e7:
            return f"{int(value):,}" if abs(value) >= 1e4 else str(int(value))
        return f"{value:.{digits}g}"
    return str(value)


@dataclass(frozen=True)
class Claim:
    """One claim and its test, written once.

    ``source`` is where it comes from: the paper's figure, section or equation ("Fig. 3",
    "Theorem 3.2", "rebuttal Fig. R1"), "our notes (...)" or "our question". ``kind`` is
    :data:`PAPER`, :data:`DERIVED` or :data:`QUESTION`. The test is ``quantity op threshold``,
    ``op`` one of ``<``, ``<=``, ``>``, ``>=``, ``between`` (``threshold`` a pair ``(low, high)``)
    and ``is`` (a yes/no quantity, ``threshold`` True or False, never a tie). A value within
    ``resolution`` of a threshold is a tie (why: ``resolution_why``); with the strict ``<`` and
    ``>``, so is an equal value. ``chosen`` says when a target, window or cut-off was fixed
    after seeing the data (empty: fixed before). ``quoted`` is the paper's own value or words.
    """

    name: str
    statement: str
    source: str
    kind: str
    quantity: str
    op: str
    threshold: Any
    resolution: float = 0.0
    resolution_why: str = ""
    quoted: str = ""
    chosen: str = ""
    digits: int = 3

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.name!r}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.op not in _SYMBOLS:
            raise ValueError(f"claim {self.name!r}: op must be one of {', '.join(_SYMBOLS)}, got {self.op!r}")
        if self.op == "between" and not (isinstance(self.threshold, tuple) and len(self.threshold) == 2):
            raise ValueError(f"claim {self.name!r}: 'between' needs a (low, high) threshold, got {self.threshold!r}")
        if self.resolution < 0 or (self.op == "is" and self.resolution):
            raise ValueError(f"claim {self.name!r}: resolution must be >= 0 (and 0 for 'is'), got {self.resolution}")

    @property
    def test(self) -> str:
        """The test as the reader sees it, generated from the fields."""
        if self.op == "between":
            low, high = self.threshold
            text = f"{self.quantity} between {_number(low, self.digits)} and {_number(high, self.digits)}"
        else:
            text = f"{self.quantity} {_SYMBOLS[self.op]} {_number(self.threshold, self.digits)}"
        if self.resolution:
            text += f" (within ±{_number(self.resolution, self.digits)} is a tie"
            text += f": {self.resolution_why})" if self.resolution_why else ")"
        elif self.op in ("<", ">"):
            text += " (equal is a tie)"
        return text

    def holds(self, value: Any) -> bool | None:
        """True or False, or None for a tie or a missing value."""
        if value is None or isinstance(value, str) or (isinstance(value, float) and math.isnan(value)):
            return None
        if self.op == "is":
            return bool(value) == bool(self.threshold)
        value, r = float(value), self.resolution
        if self.op == "between":
            low, high = self.threshold
            if low + r <= value <= high - r:
                return True
            return False if value < low - r or value > high + r else None
        margin = value - self.threshold if self.op in (">", ">=") else self.threshold - value
        if self.op in ("<", ">"):  # strict: equal is a tie
            return True if margin > r else False if margin < -r else None
        return True if margin >= r else False if (margin < -r if r == 0 else margin <= -r) else None

    def decide(self, seeds: Mapping[Any, Any], mean: Any = None, *, setting: str = "", data: str = "",
               scale: str = "", note: str = "") -> "Decision":
        """The decision on ``setting`` from one value per seed (``{seed: value}``; a closed form
        has one entry, keyed ``None``) and the value on the seed mean: give ``mean`` where the
        quantity is computed on seed-averaged data; by default it is the mean of the seeds'
        values (for ``is``, their common value), and missing if any seed's value is."""
        values = {k: _plain(v) for k, v in seeds.items()}
        if mean is None:
            known = [v for v in values.values() if v is not None]
            if known and len(known) == len(values):
                mean = (known[0] if len(set(known)) == 1 else None) if self.op == "is" else sum(known) / len(known)
        return Decision(self, values, _plain(mean), setting=setting, data=data, scale=scale, note=note)


def _plain(value: Any) -> Any:
    """A Python number (or bool, or None) from numpy scalars and the like."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        return value
    return float(value)


@dataclass(frozen=True)
class Decision:
    """A claim decided on one setting: its value per seed, on the seed mean, and the verdict."""

    claim: Claim
    seeds: dict
    mean: Any
    setting: str = ""
    data: str = ""  # "real", "substitute: <what>", "none: <why>"
    scale: str = ""
    note: str = ""

    @property
    def outcomes(self) -> list[bool | None]:
        """Per seed: holds, fails, or None (a tie or no value)."""
        return [self.claim.holds(v) for v in self.seeds.values()]

    @property
    def verdict(self) -> str:
        outcomes, on_mean = self.outcomes, self.claim.holds(self.mean)
        if on_mean is True and outcomes and all(o is True for o in outcomes):
            return REPRODUCED
        if on_mean is False and outcomes and all(o is False for o in outcomes):
            return NOT_REPRODUCED
        return INCONCLUSIVE

    @property
    def value(self) -> str:
        """The deciding number: the value on the seed mean."""
        return _number(self.mean, self.claim.digits)

    @property
    def spread(self) -> str:
        """Every seed's value ("seed 0: 4; seed 1: 8"), or the one value of a closed form."""
        if list(self.seeds) == [None]:
            return "one value (no seeds)"
        return "; ".join(f"seed {k}: {_number(v, self.claim.digits)}" for k, v in self.seeds.items())

    def row(self) -> dict:
        c = self.claim
        return {"claim": c.statement, "setting": self.setting, "source": c.source, "kind": KINDS[c.kind],
                "quoted": c.quoted, "test": c.test, "ours": self.value, "seeds": self.spread,
                "verdict": self.verdict, "data": self.data, "scale": self.scale, "chosen": c.chosen,
                "note": self.note, "name": c.name}


@dataclass(frozen=True)
class Claims:
    """The decided claims of one figure, in order: shown as a table (HTML and text) and
    summed up by :meth:`sentence`."""

    decisions: tuple[Decision, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, decisions: Iterable[Decision | "Claims"]) -> "Claims":
        out: list[Decision] = []
        for d in decisions:
            out += d.decisions if isinstance(d, Claims) else [d]
        return cls(tuple(out))

    def __add__(self, other: "Claims") -> "Claims":
        return Claims(self.decisions + other.decisions)

    def __len__(self) -> int:
        return len(self.decisions)

    def __iter__(self):
        return iter(self.decisions)

    def table(self, columns: tuple[str, ...] = ("claim", "setting", "source", "kind", "quoted", "test", "ours",
                                                "seeds", "verdict")) -> pd.DataFrame:
        rows = [d.row() for d in self.decisions]
        return pd.DataFrame(rows, columns=list(Decision(_EMPTY, {}, None).row()))[list(columns)]

    def of_kind(self, kind: str) -> "Claims":
        return Claims(tuple(d for d in self.decisions if d.claim.kind == kind))

    def named(self, *names: str) -> "Claims":
        return Claims(tuple(d for d in self.decisions if d.claim.name in names))

    def count(self) -> dict:
        verdicts = [d.verdict for d in self.decisions]
        return {v: verdicts.count(v) for v in VERDICTS}

    def sentence(self) -> str:
        """"N of M tests reproduced, ...", then each that was not, with its number."""
        if not self.decisions:
            return "No claims."
        counts = self.count()
        head = (f"{counts[REPRODUCED]} of {len(self)} tests reproduced, {counts[INCONCLUSIVE]} inconclusive, "
                f"{counts[NOT_REPRODUCED]} not reproduced")
        rest = [f"{d.claim.statement}{f' ({d.setting})' if d.setting else ''}: {d.verdict}, {d.value}"
                for d in self.decisions if d.verdict != REPRODUCED]
        return head + (". Not reproduced or inconclusive: " + "; ".join(rest) + "." if rest else ".")

    def _repr_html_(self) -> str:
        return _html(self.table())

    def __repr__(self) -> str:
        with pd.option_context("display.max_colwidth", None, "display.width", None):
            return self.table().to_string(index=False)


_EMPTY = Claim("", "", "", PAPER, "", "is", True)


def _html(table: pd.DataFrame) -> str:
    """A table that wraps its text instead of growing sideways (the book's pages are 1400 px)."""
    cells = table.map(lambda v: html.escape(str(v)))
    body = cells.to_html(index=False, escape=False, classes="claims")
    return ('<style>table.claims{table-layout:auto;width:100%;font-size:0.85em}'
            'table.claims td,table.claims th{white-space:normal;overflow-wrap:anywhere;'
            'vertical-align:top;text-align:left}</style>' + body)
