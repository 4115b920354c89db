"""A sweep whose one run writes its worker's pid to a file and then sleeps: for the test that
kills the sweep's main process and expects the worker to end with it. Run as a script with the
pid file's path."""

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from critbatch import sweep
from critbatch.runs import register
from critbatch.store import Store


@dataclass(frozen=True)
class Sleeper:
    pid_file: str


def train(config: Sleeper, **options) -> tuple[pd.DataFrame, dict]:
    import os

    Path(config.pid_file).write_text(str(os.getpid()))
    time.sleep(120)
    return pd.DataFrame({"step": [0]}), {"status": "budget"}


register(Sleeper, train)

if __name__ == "__main__":
    pid_file, root = sys.argv[1:]
    sweep.figures = lambda: {("leaktest", "fig"): sweep.Figure("leaktest", "fig", lambda scale: [Sleeper(pid_file)])}
    sweep.sweep("smoke", Store(root, cache_only=False), paper="leaktest", workers=1, progress=False)
