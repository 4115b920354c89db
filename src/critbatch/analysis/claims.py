"""One row of a "paper against ours" table: a claim, the paper's value, ours and a verdict; and
the verdict sentence that every chapter writes from such a table.

>>> rows = [claim("4", "MNIST", "steps of m* / GD's (test: < 4)", "< 4", "2.1", True),
...         claim("4", "TIMIT", "steps of m* / GD's (test: < 4)", "< 4", "4.4", False)]
>>> rows[0]["verdict"]
'reproduced'
>>> import pandas as pd
>>> verdict(pd.DataFrame(rows))
"1 of 2 checks hold; not: TIMIT: steps of m* / GD's (4.4)"
"""

from __future__ import annotations

import pandas as pd

__all__ = ["claim", "held", "verdict"]

HELD = "reproduced"


def claim(figure: str, data: str, text: str, paper: str, ours: str, holds: bool) -> dict:
    """A table row; ``text`` names the claim and the test that turns ``ours`` into ``holds``."""
    return {"figure": figure, "data": data, "claim": text, "paper": paper, "ours": ours,
            "verdict": HELD if holds else "not reproduced"}


def held(claims: pd.DataFrame) -> pd.Series:
    """Per row of a table of :func:`claim` rows, whether the claim holds."""
    return claims.verdict.eq(HELD)


def verdict(claims: pd.DataFrame, row: str = "{data}: {claim} ({ours})", *, noun: str = "checks",
            every: bool = False, cut: str = " (", after: str = ": ", sep: str = "; ") -> str:
    """"N of M {noun} hold", then the claims as ``row`` (formatted with a row's columns, the
    ``claim`` text cut before ``cut``, where its test begins): by default "; not: " and the claims
    that do not hold (nothing more if all hold); with ``every``, ``after`` and every claim.
    The rows are joined by ``sep``.

    >>> table = pd.DataFrame([claim("5", "MNIST", "saturation: 16 m* / m* (test: >= 4)", "saturate", "9.5", True)])
    >>> verdict(table, "{data}: {claim}: {ours}.", noun="claims", every=True, cut=":", after=". ", sep=" ")
    '1 of 1 claims hold. MNIST: saturation: 9.5.'
    """
    holds = held(claims)
    head = f"{holds.sum()} of {len(claims)} {noun} hold"
    listed = claims if every else claims[~holds]
    if not every and listed.empty:
        return head
    texts = [row.format(**{**r, "claim": r["claim"].split(cut)[0]}) for r in listed.to_dict("records")]
    return head + (after if every else "; not: ") + sep.join(texts)
