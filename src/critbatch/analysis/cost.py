"""What a set of stored runs cost to make, each distinct run counted once."""

from __future__ import annotations

import pandas as pd

__all__ = ["cost"]


def cost(*groups: dict) -> pd.Series:
    """CPU time of the runs in ``groups`` (dicts of lists of results), each distinct run once:
    training seconds, measuring seconds (the checks and measurements) and their sum, and the
    number of runs."""
    seen = {}
    for runs in groups:
        for results in runs.values():
            for r in results:
                seen[r.key] = r.summary
    train = sum(float(s.get("seconds", 0.0)) for s in seen.values())
    measure = sum(float(s.get("measure_seconds", 0.0)) for s in seen.values())
    return pd.Series({"runs": len(seen), "training seconds": round(train, 1), "check seconds": round(measure, 1),
                      "CPU minutes": round((train + measure) / 60, 1)})
