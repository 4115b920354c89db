"""Training steps per second: critbatch's device-resident pipeline against a plain torchvision
DataLoader pipeline, and the cost of an Armijo step against a plain SGD step.

    python benchmarks/throughput.py --device cuda --model resnet18 --dataset cifar10
    python benchmarks/throughput.py --device cpu --model mlp --dataset mnist --steps 200 \
        --out data/benchmarks/throughput-cpu-mlp-mnist.json

Prints, for each batch size, the steps per second of both pipelines and their ratio, then the
time of an SGD+Armijo step over that of an SGD step (both on the device-resident pipeline).
Every number comes from one run of this script on one machine: compare ratios, not absolute
rates, across machines. With ``--out``, the numbers are also written to a JSON file (atomically),
which the book's appendix shows. The DataLoader pipeline is what the papers' code does: a torchvision
dataset with ToTensor, DataLoader(shuffle=True), and a copy of every batch to the device.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import torch
import torchvision
from torch.nn import functional as F

from critbatch import data, devices, models, optim as optimizers
from critbatch.data import DeviceLoader

MODELS = {"mlp": {"kind": "mlp", "hidden": [512, 256]}, "resnet18": {"kind": "resnet", "depth": 18},
          "resnet34": {"kind": "resnet", "depth": 34}}
TORCHVISION = {"mnist": ("MNIST", torchvision.datasets.MNIST), "cifar10": ("", torchvision.datasets.CIFAR10)}


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed_steps(step, batches, steps: int, warmup: int, device: torch.device) -> float:
    """Steps per second of ``step`` over ``batches`` (an iterator of (x, y)), after a warm-up."""
    for _ in range(warmup):
        step(*next(batches))
    synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        step(*next(batches))
    synchronize(device)
    return steps / (time.perf_counter() - start)


def train_step(model, optimizer):
    def step(x, y):
        def closure(backward=True):
            with torch.set_grad_enabled(backward):
                loss = F.cross_entropy(model(x), y)
            if backward:
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
            return loss

        optimizer.step(closure)

    return step


def ours(loader: DeviceLoader, b: int):
    while True:
        yield loader.next_batch(b)


def torchvision_batches(dataset, b: int, device: torch.device, workers: int):
    while True:
        loader = torch.utils.data.DataLoader(dataset, batch_size=b, shuffle=True, num_workers=workers,
                                             pin_memory=device.type == "cuda", drop_last=True)
        for x, y in loader:
            yield x.to(device, non_blocking=True), y.to(device, non_blocking=True)


def torchvision_dataset(name: str, folder: Path, root: Path):
    """The torchvision dataset, built offline from critbatch's verified archives."""
    subfolder, cls = TORCHVISION[name]
    raw = root / subfolder / "raw" if subfolder else root
    raw.mkdir(parents=True, exist_ok=True)
    for archive in folder.iterdir():
        shutil.copy(archive, raw / archive.name)
    return cls(str(root), train=True, download=True, transform=torchvision.transforms.ToTensor())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--model", choices=MODELS, default="resnet18")
    parser.add_argument("--dataset", choices=TORCHVISION, default="mnist")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 128])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers")
    parser.add_argument("--out", type=Path, help="also write the measurements to this JSON file")
    args = parser.parse_args()
    device = torch.device(devices.resolve(args.device))
    split = data.load(args.dataset, True, device=device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({os.cpu_count()} cores)"
    record = {"device": name, "torch": torch.__version__, "python": platform.python_version(), "model": args.model,
              "dataset": args.dataset, "timed_steps": args.steps, "workers": args.workers, "rows": []}
    print(f"device: {name}, torch {torch.__version__}, model {args.model}, data {args.dataset}, "
          f"{args.steps} timed steps")
    with tempfile.TemporaryDirectory() as root:
        baseline = torchvision_dataset(args.dataset, data.fetch(args.dataset), Path(root))
        for b in args.batch_sizes:
            rates = {}
            for name in ("ours", "torchvision"):
                torch.manual_seed(0)
                model = models.build(MODELS[args.model], tuple(split.images.shape[1:]), split.classes).to(device)
                step = train_step(model, optimizers.build({"kind": "sgd"}, model.parameters(), lr=0.01))
                batches = (ours(DeviceLoader(split.images, split.labels, seed=0), b) if name == "ours"
                           else torchvision_batches(baseline, b, device, args.workers))
                rates[name] = timed_steps(step, batches, args.steps, args.warmup, device)
            print(f"b = {b:4d}: ours {rates['ours']:8.1f} steps/s, torchvision DataLoader "
                  f"{rates['torchvision']:8.1f} steps/s, ratio {rates['ours'] / rates['torchvision']:.2f}")
            times = {}
            armijo = {"kind": "armijo", "c": 0.05, "reset": "grow", "steps_per_epoch": 100}
            for kind, spec in (("sgd", {"kind": "sgd"}), ("armijo", armijo)):
                torch.manual_seed(0)
                model = models.build(MODELS[args.model], tuple(split.images.shape[1:]), split.classes).to(device)
                optimizer = optimizers.build(spec, model.parameters(), lr=0.01)
                batches = ours(DeviceLoader(split.images, split.labels, seed=0), b)
                times[kind] = 1 / timed_steps(train_step(model, optimizer), batches, args.steps, args.warmup, device)
            trials = optimizer.counts["trials"] / (args.steps + args.warmup)
            print(f"b = {b:4d}: an Armijo step costs {times['armijo'] / times['sgd']:.2f} SGD steps "
                  f"({trials:.2f} line-search trials per step)")
            record["rows"].append({"b": b, "ours_steps_per_s": rates["ours"],
                                   "torchvision_steps_per_s": rates["torchvision"],
                                   "pipeline_ratio": rates["ours"] / rates["torchvision"],
                                   "armijo_step_in_sgd_steps": times["armijo"] / times["sgd"],
                                   "trials_per_armijo_step": trials})
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        partial = args.out.with_suffix(".partial")
        partial.write_text(json.dumps(record, indent=1) + "\n")
        partial.replace(args.out)


if __name__ == "__main__":
    main()
