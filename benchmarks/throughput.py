"""One CPU thread's training throughput, for the sweep's cost model (:mod:`critbatch.estimates`):

    python benchmarks/throughput.py --out data/benchmarks/throughput-cpu.json

* ``flops_per_s``: FLOPs of a forward-backward-update step of the CIFAR ResNet-18 (3x32x32, 100
  classes, b = 8; FLOPs counted by :func:`critbatch.estimates.model_work`) over its time, best of
  ``repeats`` timings of ``steps`` steps on one pinned thread: the arithmetic rate of the
  paper-scale convolutional networks;
* ``seconds_per_op``: the time of a step of the MNIST MLP at b = 1 (arithmetic negligible) over
  its operators (forward, backward and update), the launch floor of small steps.

Absolute numbers depend on the machine and its load: the file records both.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

import torch
from torch.nn import functional as F

from critbatch import estimates, models
from critbatch.runs import pinned_threads


def step_seconds(model: dict, shape: tuple, classes: int, b: int, steps: int, repeats: int) -> float:
    """Best over ``repeats`` of the mean seconds of a plain SGD step (after two warm-up steps)."""
    torch.manual_seed(0)
    net = models.build(model, shape, classes)
    opt = torch.optim.SGD(net.parameters(), lr=1e-3)
    x, y = torch.randn(b, *shape), torch.randint(0, classes, (b,))

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(x), y).backward()
        opt.step()

    for _ in range(2):
        step()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(steps):
            step()
        best = min(best, (time.perf_counter() - started) / steps)
    return best


def measure(repeats: int = 3) -> dict:
    with pinned_threads(1):
        resnet = {"kind": "resnet", "depth": 18}
        _, both, _ = estimates.model_work(resnet, "cifar100")
        conv_s = step_seconds(resnet, (3, 32, 32), 100, 8, 3, repeats)
        mlp = {"kind": "mlp", "hidden": [512, 256]}
        _, _, ops = estimates.model_work(mlp, "mnist")
        small_s = step_seconds(mlp, (1, 28, 28), 10, 1, 200, repeats)
    return {"cpu": platform.processor() or platform.machine(), "torch": torch.__version__,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "load_before": os.getloadavg()[0], "flops_per_s": 8 * both / conv_s, "seconds_per_op": small_s / ops,
            "how": f"CIFAR ResNet-18, b = 8: {8 * both / 1e9:.1f} GFLOP per step in {conv_s * 1e3:.0f} ms; "
                   f"MNIST MLP, b = 1: {ops} operators in {small_s * 1e6:.0f} us; one pinned thread, "
                   f"best of {repeats}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    record = measure(parser.parse_args().repeats)
    print(json.dumps(record, indent=1))
    parser.parse_args().out.write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
