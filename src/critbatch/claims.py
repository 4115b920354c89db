"""One row of a "paper against ours" table: a claim, the paper's value, ours and a verdict.

>>> claim("4", "MNIST", "steps of m* / GD's (test: < 4)", "< 4", "2.1", True)["verdict"]
'reproduced'
"""

from __future__ import annotations

__all__ = ["claim"]


def claim(figure: str, data: str, text: str, paper: str, ours: str, holds: bool) -> dict:
    """A table row; ``text`` names the claim and the test that turns ``ours`` into ``holds``."""
    return {"figure": figure, "data": data, "claim": text, "paper": paper, "ours": ours,
            "verdict": "reproduced" if holds else "not reproduced"}
