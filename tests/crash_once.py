"""A run type for the sweep tests: its first attempt kills its own worker process."""

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from critbatch.runs import register


@dataclass(frozen=True)
class CrashOnce:
    marker: str  # a file: the first attempt creates it, then kills its process
    value: int = 0
    seed: int = 0  # runs that differ only here are twins to the sweep's estimates


def train(config: CrashOnce, **options) -> tuple[pd.DataFrame, dict]:
    marker = Path(config.marker)
    if not marker.exists():
        marker.write_text("killed once")
        os._exit(17)
    return pd.DataFrame({"step": [0, 1], "train_loss": [1.0, 0.5 / (1 + config.value)]}), {"status": "budget"}


register(CrashOnce, train)
