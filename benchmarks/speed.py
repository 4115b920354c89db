"""Speed of critbatch on this machine: every ratio of the book's speed appendix, measured side by
side in one run of this script, written to one file per machine (device and CPU model).

    python benchmarks/speed.py --out data/benchmarks/                   # what `make benchmark` runs:
                                                                         # speed-cpu-<CPU model>.json
    python benchmarks/speed.py --quick --out /tmp/speed.json             # tiny settings: checks the script
    python benchmarks/speed.py --reuse data/benchmarks/speed-cpu-amd-epyc.json --out data/benchmarks/
                                                                         # re-derive the totals only
    python benchmarks/speed.py --only conv --out data/benchmarks/
                                                                         # measure one section again
    python benchmarks/speed.py --only regenerate --out data/benchmarks/
                                                                         # one figure from an empty store

Sections (each a function below, each timing its candidates interleaved, best of ``repeats``):

* **steps**: steps per second of the MNIST MLP (784-512-256-10, plain SGD, one pinned thread) at
  b = 16 and 128: our training loop (:func:`critbatch.train.train`, evaluation only at the two
  ends and not timed), the eager floor (an epoch of pre-permuted tensors, a bare
  forward-backward-step loop), and the papers' pipeline (torchvision MNIST with ToTensor and
  Normalize, a shuffling DataLoader, the best of 0 and 2 workers);
* **armijo**: an SGD+Armijo step against an SGD step and against its floor, one
  forward-backward pass plus one forward pass per line-search trial (the trials counted in the
  same timed steps);
* **shares**: the share of run time spent measuring (evaluation passes, per-step error
  tracking), for a stored config of each study, on a bounded run: the time of one evaluation
  over that of one evaluation interval of training;
* **sweep**: the wall time of one fixed smoke-scale sweep (every run of Paper 1's figures at the
  smoke scale; each file records how many) into fresh stores on one process, on two processes of
  one thread each (the local engine's layout), and on one process with two threads;
* **regenerate** (opt-in, ``--only regenerate [--paper P --figure F|all]``): one figure's (by
  default Paper 1's step sizes, 8 minutes here) or one paper's reduced-scale runs trained
  from an empty store on every core, timed, and compared bit for bit with the stored results;
* **conv**: an SGD step (forward, backward, update; one thread) of the reduced-scale conv
  substitute of Papers 1, 2 and 4 (the width-8 ResNet-18 on Fashion-MNIST) at b = 16 and 128,
  with oneDNN as the training loop has it (off by default): eager, as the loop runs it, against
  the channels_last memory format and against ``torch.compile`` (its first, compiling step timed
  apart; a variant that fails is recorded with its error), side by side; then eager with oneDNN
  on, in a child process (the stored runs made with it on cost this ratio less here). The stored
  configs stay eager: another layout or a compiled network changes their bits;
* **totals** (arithmetic, no timing): the CPU time of the book's stored runs, their unrecorded
  measurement time estimated from the measured evaluation costs, the wall time on every core,
  and each paper's paper-scale cost in GPU-hours from the H100 step times of the paper notes.

Absolute rates depend on the machine; compare ratios. The file records the machine, the torch
version, the date, and the 1-minute load average before and after, with any other sweep that was
running: ratios measured on a busy machine are not worth keeping.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import datetime
import json
import math
import multiprocessing
import os
import platform
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator

import torch
import torchvision
from torch.nn import functional as F

from critbatch import data, devices, models, optim as optimizers
from critbatch.runs import onednn, onednn_wanted, pinned_threads

MLP = {"kind": "mlp", "hidden": [512, 256]}
MNIST_NORMALIZATION = ((0.1307,), (0.3081,))  # the papers' Normalize for MNIST
ARMIJO = {"kind": "armijo", "c": 0.05, "init_step_size": 1.0, "shrink": 0.9, "reset": "grow",
          "steps_per_epoch": "auto", "max_step_size": 10.0}  # Paper 1's SGD+Armijo (study.OPTIMIZERS)
CONV = {"kind": "resnet", "depth": 18, "width": 8}  # the reduced conv substitute (armijo, adaptive, graduated)
CONV_VARIANTS = ("eager", "channels_last", "compile")
SECTIONS = ("steps", "armijo", "shares", "sweep", "conv")  # the timed sections, in the order measured
#: What the opt-in section "regenerate" trains from an empty store by default: one figure (Paper 1's
#: step sizes, 30 MLP runs, 8 minutes on 2 cores); no whole paper fits in under an hour here.
REGENERATED = ("armijo", "mnist-step-sizes")
ENGINE_LAYOUT = "2 processes x 1 thread"  # the local engine's layout on this 2-core machine
GOALS = {  # the goals of issue 10: (ratio, at least (True) or at most (False))
    "sweep_speedup": (1.8, True), "loop_over_floor": (0.95, True), "loop_over_torchvision_16": (2.5, True),
    "loop_over_torchvision_128": (4.0, True), "measure_share": (0.20, False), "armijo_over_floor": (1.10, False),
    "book_wall_hours": (2.0, False)}  # issue 19: the whole book regenerated here in 2 hours at most


# Timing ---------------------------------------------------------------------------------------


def seconds_per_step(step: Callable, batches: Iterator, steps: int, warmup: int = 10) -> float:
    """Seconds per call of ``step(x, y)`` over ``batches``, after ``warmup`` calls."""
    for _ in range(warmup):
        step(*next(batches))
    start = time.perf_counter()
    for _ in range(steps):
        step(*next(batches))
    return (time.perf_counter() - start) / steps


def best_of(repeats: int, candidates: dict[str, Callable[[], float]]) -> dict[str, float]:
    """The smallest of ``repeats`` values of every candidate (a time), the candidates interleaved
    so that a slow spell of the machine hits all of them alike."""
    best = dict.fromkeys(candidates, math.inf)
    for _ in range(repeats):
        for name, measure in candidates.items():
            best[name] = min(best[name], measure())
    return best


# Pipelines ------------------------------------------------------------------------------------


def prepermuted(images: torch.Tensor, labels: torch.Tensor, b: int, seed: int = 0) -> Iterator:
    """The eager floor's batches: one epoch permuted once, before timing, served as slices."""
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    images, labels = images[order].contiguous(), labels[order].contiguous()
    while True:
        for start in range(0, len(labels) - b + 1, b):
            yield images[start : start + b], labels[start : start + b]


def torchvision_mnist(root: Path):
    """The papers' dataset: torchvision MNIST with ToTensor and Normalize, built offline from
    critbatch's verified archives."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for archive in data.fetch("mnist").iterdir():
        shutil.copy(archive, raw / archive.name)
    transform = torchvision.transforms.Compose([torchvision.transforms.ToTensor(),
                                                torchvision.transforms.Normalize(*MNIST_NORMALIZATION)])
    return torchvision.datasets.MNIST(str(root), train=True, download=True, transform=transform)


def dataloader_batches(dataset, b: int, workers: int) -> Iterator:
    """The papers' batches: a shuffling DataLoader, a new pass (and new workers) every epoch."""
    while True:
        yield from torch.utils.data.DataLoader(dataset, batch_size=b, shuffle=True, num_workers=workers)


def mlp(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return models.build(MLP, (1, 28, 28), 10)


def bare_step(model: torch.nn.Module, optimizer) -> Callable:
    """The eager floor's step: forward, backward, optimizer step; no closure, no bookkeeping."""
    def step(x, y):
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    return step


def closure_step(model: torch.nn.Module, optimizer, part: str = "step") -> Callable:
    """A step through the training loop's closure contract (``closure(backward=True)``), or only
    a part of it: ``"forward_backward"`` (closure()) or ``"forward"`` (closure(backward=False))."""
    def step(x, y):
        def closure(backward=True):
            with torch.set_grad_enabled(backward):
                loss = F.cross_entropy(model(x), y)
            if backward:
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
            return loss

        if part == "step":
            optimizer.step(closure)
        else:
            closure(backward=part == "forward_backward")

    return step


def loop_seconds_per_step(b: int, steps: int, lr: float = 0.1) -> float:
    """Seconds per step of critbatch's training loop on the MNIST MLP with plain SGD; the loop
    evaluates only before the first step and after the last, and leaves that out of its time."""
    from critbatch.train import TrainConfig, train

    config = TrainConfig(dataset="mnist", model=MLP, optimizer={"kind": "sgd"}, lr={"kind": "constant", "value": lr},
                         batch_size={"kind": "constant", "value": b}, steps=steps, eval_unit="step", eval_every=steps)
    _, summary = train(config, progress=False)
    return summary["seconds"] / summary["steps"]


# Sections -------------------------------------------------------------------------------------


def steps_section(batch_sizes: list[int], steps: dict[int, int], repeats: int) -> list[dict]:
    """Per b: seconds per step of our loop, of the eager floor, and of the torchvision pipeline
    with 0 and 2 workers (the same network, SGD with lr 0.1, one thread)."""
    split = data.load("mnist", True)
    rows = []
    with tempfile.TemporaryDirectory() as root:
        papers = torchvision_mnist(Path(root))
        for b in batch_sizes:
            n = steps[b]

            def floor():
                model = mlp()
                return seconds_per_step(bare_step(model, optimizers.build({"kind": "sgd"}, model.parameters(), lr=0.1)),
                                        prepermuted(split.images, split.labels, b), n)

            def papers_with(workers):
                def measure():
                    model = mlp()
                    opt = optimizers.build({"kind": "sgd"}, model.parameters(), lr=0.1)
                    return seconds_per_step(bare_step(model, opt), dataloader_batches(papers, b, workers),
                                            max(n // 4, 50), warmup=20)
                return measure

            best = best_of(repeats, {"loop": lambda: loop_seconds_per_step(b, n), "floor": floor,
                                     "torchvision_0": papers_with(0), "torchvision_2": papers_with(2)})
            rates = {k: 1 / v for k, v in best.items()}
            torchvision_best = max(rates["torchvision_0"], rates["torchvision_2"])
            rows.append({"b": b, "timed_steps": n, **{f"{k}_steps_per_s": v for k, v in rates.items()},
                         "loop_over_floor": rates["loop"] / rates["floor"],
                         "loop_over_torchvision": rates["loop"] / torchvision_best,
                         "torchvision_best_workers": 0 if rates["torchvision_0"] >= rates["torchvision_2"] else 2})
            print(f"  b = {b:4d}: loop {rates['loop']:7.1f} steps/s, floor {rates['floor']:7.1f}, torchvision "
                  f"{rates['torchvision_0']:6.1f} (0 workers) / {rates['torchvision_2']:6.1f} (2 workers); loop/floor "
                  f"{rows[-1]['loop_over_floor']:.3f}, loop/torchvision {rows[-1]['loop_over_torchvision']:.2f}")
    return rows


def armijo_section(batch_sizes: list[int], steps: dict[int, int], repeats: int) -> list[dict]:
    """Per b: seconds of an SGD+Armijo step, of an SGD step, of a forward-backward pass and of a
    forward pass (all through the loop's closure, on the same pre-permuted batches), and the
    line-search trials per step counted in the timed Armijo steps."""
    split = data.load("mnist", True)
    rows = []
    for b in batch_sizes:
        n, trials = steps[b], []

        def part(name):
            def measure():
                model = mlp()
                spec = ARMIJO if name == "armijo" else {"kind": "sgd"}
                opt = optimizers.build(spec, model.parameters(), lr=None if name == "armijo" else 0.1,
                                       steps_per_epoch=math.ceil(len(split.labels) / b))
                step = closure_step(model, opt, "step" if name in ("armijo", "sgd") else name)
                seconds = seconds_per_step(step, prepermuted(split.images, split.labels, b), n, warmup=0)
                if name == "armijo":
                    trials.append(opt.counts["trials"] / n)
                return seconds
            return measure

        t = best_of(repeats, {name: part(name) for name in ("armijo", "sgd", "forward_backward", "forward")})
        per_step = sum(trials) / len(trials)  # the same on every repeat: same seed, same batches
        floor = t["forward_backward"] + per_step * t["forward"]
        rows.append({"b": b, "timed_steps": n, "trials_per_step": per_step,
                     **{f"{k}_ms": 1e3 * v for k, v in t.items()}, "floor_ms": 1e3 * floor,
                     "armijo_over_sgd": t["armijo"] / t["sgd"], "armijo_over_floor": t["armijo"] / floor})
        print(f"  b = {b:4d}: Armijo {1e3 * t['armijo']:.3f} ms/step = {t['armijo'] / t['sgd']:.2f} SGD steps = "
              f"{t['armijo'] / floor:.3f} x its floor ({per_step:.2f} trials/step)")
    return rows


def conv_step(variant: str, images: torch.Tensor) -> tuple[Callable, torch.Tensor, torch.nn.Module]:
    """A fresh conv substitute's SGD step in ``variant`` (one of CONV_VARIANTS), ``images`` in
    the memory format it wants, and the network it trains."""
    torch.manual_seed(0)
    model = models.build(CONV, tuple(images.shape[1:]), 10)
    if variant == "channels_last":
        model, images = model.to(memory_format=torch.channels_last), images.contiguous(memory_format=torch.channels_last)
    optimizer = optimizers.build({"kind": "sgd"}, model.parameters(), lr=0.1)
    return bare_step(torch.compile(model) if variant == "compile" else model, optimizer), images, model


def conv_seconds_per_step(variant: str, images: torch.Tensor, labels: torch.Tensor, b: int, steps: int,
                          first: dict | None = None) -> float:
    """Seconds per SGD step of a fresh conv substitute in ``variant``, after its first step
    (timed into ``first[variant]`` if given: the compiling one, for torch.compile) and 3 more."""
    step, images, _ = conv_step(variant, images)
    batches = prepermuted(images, labels, b)  # slices keep the layout
    start = time.perf_counter()
    step(*next(batches))
    if first is not None:
        first.setdefault(variant, time.perf_counter() - start)  # the first repeat's: the coldest
    return seconds_per_step(step, batches, steps, warmup=3)


def _eager_with_onednn(b: int, steps: int, repeats: int) -> float:
    """Child process: the eager step's seconds with oneDNN on (best of ``repeats``)."""
    split = data.load("fashion-mnist", True)
    with pinned_threads(1), onednn(True):
        return min(conv_seconds_per_step("eager", split.images, split.labels, b, steps) for _ in range(repeats))


def _one_line(error: Exception) -> str:
    """An error as the benchmark records it: its type and the first 200 characters of its first line.

    >>> _one_line(ValueError("bad stride\\nmore")), _one_line(RuntimeError())
    ('ValueError: bad stride', 'RuntimeError: ')
    """
    return f"{type(error).__name__}: {(str(error).splitlines() or [''])[0][:200]}"


def conv_section(batch_sizes: list[int], steps: dict[int, int], repeats: int) -> list[dict]:
    """Per b: seconds per SGD step of the conv substitute in each of CONV_VARIANTS with oneDNN as
    the training loop has it (:func:`critbatch.runs.onednn_wanted`), after a first step timed apart,
    and the speed-ups over eager; a variant that fails is NaN with its error. Then eager with
    oneDNN on, in a child process (oneDNN's convolution backward can crash this machine's process,
    README "Known problems"), for the cost of the stored runs made with it on."""
    split = data.load("fashion-mnist", True)
    wanted = onednn_wanted()
    rows = []
    for b in batch_sizes:
        first, failed = {}, {}

        def timed(variant):
            def measure():
                if variant in failed:
                    return math.nan
                try:
                    with onednn(wanted):
                        return conv_seconds_per_step(variant, split.images, split.labels, b, steps[b], first)
                except Exception as error:  # e.g. torch.compile, which failed once here with oneDNN off: recorded
                    failed[variant] = _one_line(error)
                    return math.nan
            return measure

        t = best_of(repeats, {variant: timed(variant) for variant in CONV_VARIANTS})
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
            try:
                onednn_s = child.submit(_eager_with_onednn, b, steps[b], repeats).result()
            except Exception as error:  # a crash (BrokenProcessPool) or an error in the child: recorded
                onednn_s, failed["eager_onednn"] = math.nan, _one_line(error)
        rows.append({"b": b, "timed_steps": steps[b], "onednn": "on" if wanted else "off",
                     **{f"{v}_ms": 1e3 * t[v] for v in CONV_VARIANTS}, "eager_onednn_on_ms": 1e3 * onednn_s,
                     "compile_first_step_s": first.get("compile", math.nan), "failed": failed,
                     **{f"{v}_speedup": t["eager"] / t[v] for v in CONV_VARIANTS[1:]},
                     "onednn_on_speedup": t["eager"] / onednn_s})
        print(f"  b = {b:4d}: eager {1e3 * t['eager']:.1f} ms/step (oneDNN {rows[-1]['onednn']}); channels_last "
              f"x{rows[-1]['channels_last_speedup']:.2f}, torch.compile x{rows[-1]['compile_speedup']:.2f}, "
              f"eager with oneDNN on x{rows[-1]['onednn_on_speedup']:.2f}{'; failed: ' + str(failed) if failed else ''}")
    return rows


def bounded(config, intervals: int):
    """``config`` cut to ``intervals`` evaluation intervals, its stopping rules removed."""
    return dataclasses.replace(config, steps=intervals * config.eval_every, epochs=None, stop=None, patience=None,
                               eval_unit="step")


def interval_share(evaluations: int, measure_seconds: float, steps: int, seconds: float, every: int) -> dict:
    """From a bounded run: seconds per evaluation, per step, and the share of a long run's time
    spent measuring, one evaluation per ``every`` steps.

    >>> r = interval_share(3, 3.0, 200, 2.0, 100)
    >>> r["evaluation_s"], r["step_ms"], r["share"]
    (1.0, 10.0, 0.5)
    """
    per_eval, per_step = measure_seconds / evaluations, seconds / steps
    return {"evaluation_s": per_eval, "step_ms": 1e3 * per_step, "share": per_eval / (per_eval + every * per_step)}


def train_share(label: str, config, intervals: int) -> dict:
    """The measurement share of a stored TrainConfig, from ``intervals`` evaluation intervals
    (trained without a checkpoint: nothing is written, nothing resumed)."""
    from critbatch.train import train

    short = bounded(config, intervals)
    _, summary = train(short, progress=False)
    result = interval_share(intervals + 1, summary["measure_seconds"], summary["steps"], summary["seconds"],
                            config.eval_every if config.eval_unit == "step" else short.eval_every)
    return {"study": label, "b": config.batch_size["value"], "eval_every": short.eval_every,
            "metrics": list(config.metrics), **result}


def kernel_share(label: str, config, epochs: float) -> dict:
    """The measurement share of a kernel run (per-step training error, epoch-end rows): its
    loop's time against the same SGD steps with nothing measured, on ``epochs`` epochs."""
    from critbatch.data import DeviceLoader
    from critbatch.papers.interpolation import kernel_sgd, theory

    short = dataclasses.replace(config, epochs=epochs, steps=None)
    kernel_sgd.train(short, progress=False)  # builds the kernel matrices (cached), untimed
    _, summary = kernel_sgd.train(short, progress=False)
    problem = kernel_sgd.load_problem(config.problem, "cpu", None, None)
    m, n, steps = summary["batch_size"], config.problem.n, summary["steps"]
    sampler = DeviceLoader(torch.arange(n), torch.arange(n), seed=config.seed, sampling=config.sampling)
    alpha, f = torch.zeros_like(problem.y), torch.zeros_like(problem.y)
    rate = float(theory.practical_step(m, problem.beta, problem.lambda_1, n)) * config.step_factor / m
    start = time.perf_counter()
    for _ in range(steps):
        epoch = sampler.epoch
        kernel_sgd.sgd_step(problem.k, problem.y, alpha, f, sampler.next_indices(m), rate)
        if sampler.epoch != epoch:
            f = problem.k @ alpha
    bare = time.perf_counter() - start
    loop = summary["seconds"] + summary["measure_seconds"]
    return {"study": label, "b": m, "steps": steps, "loop_s": loop, "bare_s": bare, "share": max(0.0, 1 - bare / loop)}


def shares_section(quick: bool) -> dict:
    """Measurement shares of a stored config of every study (Paper 1's MLP sweep and ResNet
    substitute at several b, Paper 3's kernel runs at m = 1 and m = m*)."""
    from critbatch.papers.armijo import study as armijo
    from critbatch.papers.interpolation import study as interpolation

    scale = "smoke" if quick else "reduced"
    rows = []
    for label, setting in (("Paper 1 MNIST MLP sweep", "mnist"), ("Paper 1 ResNet substitute", "cifar10")):
        runs = armijo.sweep_runs(scale, setting=setting)
        sizes = sorted(b for _, b in runs)
        for b in ([sizes[0], sizes[-1]] if quick else [16, 128, 1024]):
            rows.append(train_share(label, runs["SGD", b][0], 2))
            row = rows[-1]
            print(f"  {label}, b = {b}: evaluation {row['evaluation_s']:.3f} s, step {row['step_ms']:.2f} ms, "
                  f"every {rows[-1]['eval_every']} steps: {100 * rows[-1]['share']:.1f}% measuring")
    curves = armijo.curve_runs(scale, setting="cifar10")["SGD"], armijo.curve_runs(scale)["SGD"]
    for label, config in zip(("Paper 1 ResNet substitute curves", "Paper 1 MNIST MLP curves"), curves):
        steps_per_epoch = math.ceil((config.train_subset or 60_000) / config.batch_size["value"])
        rows.append(train_share(label, dataclasses.replace(config, eval_unit="step", eval_every=steps_per_epoch), 1))
        print(f"  {label}: {100 * rows[-1]['share']:.1f}% measuring")
    panel = interpolation.panels(scale)[0]  # MNIST: the paper's own problem, no bandwidth search
    for name in ("m = 1", "m = m*"):
        config = interpolation.figure5_runs(panel, scale)[name][0]
        rows.append(kernel_share(f"Paper 3 kernel runs, {name}", config, 0.2 if quick else 1.0))
        print(f"  {rows[-1]['study']}: {100 * rows[-1]['share']:.1f}% measuring")
    return {"rows": rows}


def sweep_into_empty_store(scale: str, workers: int, threads: int = 1, **chosen) -> tuple[list, float, Path]:
    """A sweep of the chosen figures at ``scale`` into a fresh store under a temporary folder
    (checkpoints too: data/ is never touched): what it trained, its wall time, and the folder
    (the caller removes it)."""
    from critbatch.store import Store
    from critbatch.sweep import sweep

    root = Path(tempfile.mkdtemp(prefix="critbatch-speed-"))
    os.environ["CRITBATCH_CHECKPOINTS"] = str(root / "checkpoints")
    start = time.perf_counter()
    trained = sweep(scale, Store(root / "results", cache_only=False), workers=workers, threads=threads,
                    progress=False, **chosen)
    return trained, time.perf_counter() - start, root


def sweep_section(quick: bool) -> dict:
    """Wall time of one smoke-scale sweep of Paper 1's figures (every one of their smoke runs, a few
    seconds each, MLP and conv) into fresh stores: one process; two processes of one thread each;
    one process with two threads."""
    layouts = {"1 process x 1 thread": (1, 1), ENGINE_LAYOUT: (2, 1), "1 process x 2 threads": (1, 2)}
    chosen = {"paper": "armijo", "figure_name": "mnist-step-sizes" if quick else None}
    rows = []
    for name, (workers, threads) in layouts.items():
        trained, wall, root = sweep_into_empty_store("smoke", workers, threads, **chosen)
        shutil.rmtree(root)
        rows.append({"layout": name, "workers": workers, "threads": threads, "runs": len(trained), "wall_s": wall})
        print(f"  {name}: {len(trained)} runs in {wall:.1f} s")
    one = rows[0]["wall_s"]
    for row in rows:
        row["speedup"] = one / row["wall_s"]
    return {"figures": f"{chosen['paper']}/{chosen['figure_name'] or 'every figure'}", "scale": "smoke", "rows": rows}


def regenerate_section(paper: str, figure: str | None) -> dict:
    """One paper's reduced-scale results (or one ``figure``'s) regenerated from an empty store on
    every core (what ``make results`` does for them): the wall time, the recorded CPU time of the new runs, the stored
    runs' recorded time (what the estimate of the whole book reads), and how many new runs have the
    stored bits (runs made on this CPU model should; ``critbatch.verify``)."""
    from critbatch import verify
    from critbatch.store import Store

    trained, wall, root = sweep_into_empty_store("reduced", os.cpu_count() or 1, paper=paper, figure_name=figure)
    try:
        new, stored = Store(root / "results"), Store()
        keys = [p.key for p in trained]
        new_index, old_index = new.index().set_index("key").loc[keys], stored.index().set_index("key").reindex(keys)
        differences = [verify.compare(new.load_key(k), stored.load_key(k)) for k in keys if k in old_index.type.dropna()]
    finally:
        shutil.rmtree(root)
    same = sum(not d for d in differences)
    # A summary without "onednn" predates the default off; an MLP's bits do not depend on it.
    same_bits = sum(all(p in ("summary onednn",) for p in d) for d in differences)
    cpu = lambda index: float(index.seconds.fillna(0).sum() + index.measure_seconds.fillna(0).sum())
    print(f"  {paper}/{figure or 'every figure'}: {len(keys)} runs in {wall:.0f} s on {os.cpu_count()} cores ({cpu(new_index):.0f} CPU-s "
          f"recorded; the stored runs recorded {cpu(old_index):.0f}); {same_bits} with the stored bits")
    return {"paper": paper, "figure": figure, "scale": "reduced", "workers": os.cpu_count(), "runs": len(keys),
            "sweep_wall_s": wall, "cpu_s": cpu(new_index), "stored_cpu_s": cpu(old_index),
            "stored_without_measure_s": int(old_index.measure_seconds.isna().sum()), "identical": same,
            "identical_bits": same_bits,
            "stored_elsewhere": int((old_index.cpu.fillna("") != new_index.cpu.fillna("")).sum())}


# Totals ---------------------------------------------------------------------------------------

#: H100 fp32 ms per training step, measured by the paper notes (/work/shared/specs, "Compute
#: cost"): ResNet-18 on 32x32 images (Paper 2 notes, section 7.1); b = 4, not measured there, is
#: taken as b = 8 (small steps are launch-bound: the time hardly changes up to b = 128).
H100_RESNET18_MS = {4: 7.5, 8: 7.5, 16: 9.1, 32: 9.1, 64: 9.6, 128: 7.8, 256: 13.8, 512: 25.8, 1024: 49.5, 2048: 97,
                    4096: 193}
RESNET34_OVER_18 = 2.0  # assumed: ResNet-34 has twice the blocks (3.6 vs 1.8 GFLOP per image, and twice the launches)


def evaluations(steps: int, every: int, unit: str, steps_per_epoch: int) -> int:
    """Evaluations a finished TrainConfig run made: one before the first step, one per interval,
    one at the end if the last interval was cut short.

    >>> evaluations(250, 100, "step", 7), evaluations(200, 100, "step", 7), evaluations(40, 1, "epoch", 10)
    (4, 3, 5)
    """
    interval = every if unit == "step" else every * steps_per_epoch
    return 1 + steps // interval + (steps % interval > 0)


def study_of(row) -> str | None:
    """The study a stored TrainConfig belongs to, as the shares name it."""
    model = "MNIST MLP" if row["model.kind"] == "mlp" else "ResNet substitute"
    kind = "curves" if row["eval_unit"] == "epoch" else "sweep"
    return f"Paper 1 {model} {kind}"


def measurement_estimate(index, evaluation_s: dict[str, float]) -> list[dict]:
    """Per study, the stored TrainConfig runs' loop time (``seconds``) and measurement time:
    ``measure_seconds`` where the run recorded it; else its evaluations (from its steps and
    cadence) times the seconds per evaluation measured here for its study."""
    runs = index[index.type == "TrainConfig"].copy()
    recorded = runs.measure_seconds.notna()
    out = [{"study": f"{paper} (measure_seconds recorded)", "runs": len(group), "evaluations": None,
            "training_s": float(group.seconds.sum()), "evaluation_s": None,
            "measure_recorded_s": float(group.measure_seconds.sum()), "measure_estimated_s": 0.0}
           for paper, group in runs[recorded].groupby("paper")]
    old = runs[~recorded].copy()
    if old.empty:
        return out
    sizes = {"mnist": 60_000, "fashion-mnist": 60_000, "cifar10": 50_000, "cifar100": 50_000}
    old["n"] = old.train_subset.fillna(old.dataset.map(sizes)).astype(int)
    old["evaluations"] = [evaluations(int(r.steps), int(r.eval_every), r.eval_unit,
                                      math.ceil(r.n / int(r["batch_size.value"]))) for _, r in old.iterrows()]
    old["study"] = old.apply(study_of, axis=1)
    for study, group in old.groupby("study"):
        count = int(group.evaluations.sum())
        out.append({"study": study, "runs": len(group), "evaluations": count, "training_s": float(group.seconds.sum()),
                    "evaluation_s": evaluation_s[study], "measure_recorded_s": 0.0,
                    "measure_estimated_s": count * evaluation_s[study]})
    return out


def paper1_gpu_hours(index, armijo_over_sgd: float) -> dict:
    """Paper 1's CIFAR runs at paper scale (ResNet-34, every run the sweep plans) on one H100:
    training steps at the H100 step time of their b, plus evaluation passes."""
    from critbatch.sweep import plan

    planned, _ = plan("paper", paper="armijo")
    cifar = [p.config for p in planned if p.config.dataset.startswith("cifar")]
    used = _budget_fraction(index)
    n, n_test = 50_000, 10_000
    # One evaluation pass over the training set: a forward pass, a third of an epoch's forward-backward at b = 1024.
    pass_s = RESNET34_OVER_18 * H100_RESNET18_MS[1024] * math.ceil(n / 1024) / 1e3 / 3
    steps, passes = {}, [0.0, 0.0]  # b -> [SGD-step equivalents at the full budget, where stopping runs stop early]
    for config in cifar:
        b = config.batch_size["value"]
        budget = config.epochs * math.ceil(n / b)
        fraction = used if config.stop is not None else 1.0
        equivalents = budget * (armijo_over_sgd if config.optimizer["kind"] == "armijo" else 1)
        full, early = steps.get(b, (0.0, 0.0))
        steps[b] = (full + equivalents, early + equivalents * fraction)
        interval = config.eval_every * (1 if config.eval_unit == "step" else math.ceil(n / b))
        size = 1 + (n_test / n if any(m.startswith("test") for m in config.metrics) else 0)
        passes[0] += budget / interval * size
        passes[1] += budget / interval * size * fraction
    ms = {b: RESNET34_OVER_18 * H100_RESNET18_MS[b] for b in steps}
    train = [sum(steps[b][i] * ms[b] for b in steps) / 3.6e6 for i in (0, 1)]
    measure = [passes[i] * pass_s / 3600 for i in (0, 1)]
    terms = ", ".join(f"b={b}: {steps[b][0] / 1e6:.2f}M x {ms[b]:.1f} ms" for b in sorted(steps))
    return {"paper": "1, CIFAR-10/100 on ResNet-34", "runs": len(cifar),
            "gpu_hours_budget": train[0] + measure[0], "gpu_hours_to_target": train[1] + measure[1],
            "arithmetic": (f"{len(cifar)} paper-scale runs (sweeps of 6 optimizers x 9 b x 3 seeds, curves and step "
                           "sizes at b = 128, on both data sets), each at its full budget of 200 epochs of "
                           f"ceil(50000/b) steps, an Armijo step counted as {armijo_over_sgd:.2f} SGD steps (measured "
                           f"here), an SGD step {RESNET34_OVER_18:g} x the H100 ResNet-18 time at its b: {terms} = "
                           f"{train[0]:.0f} GPU-h of training; {passes[0]:,.0f} evaluation passes over the 50,000 "
                           f"training images (test images add a fifth where measured) x {pass_s:.2f} s (a third of "
                           f"a b = 1024 epoch) = {measure[0]:.0f} GPU-h; total {train[0] + measure[0]:.0f} GPU-h. The "
                           f"stored substitute sweeps stopped at {100 * used:.0f}% of their budget on average: sweeps "
                           f"stopping as early make it {train[1] + measure[1]:.0f} GPU-h.")}


def gpu_hours(index, armijo_over_sgd: float) -> list[dict]:
    """Paper-scale cost per paper on one H100, with its arithmetic in words: Paper 1 from the
    planned paper-scale runs, the others from their notes' estimates (H100 step times times
    budgets, section 7)."""
    mlp = index[(index.type == "TrainConfig") & (index.paper == "armijo") & (index["model.kind"] == "mlp")]
    return [
        paper1_gpu_hours(index, armijo_over_sgd),
        {"paper": "1, MNIST MLP", "runs": len(mlp), "gpu_hours_budget": None, "gpu_hours_to_target": None,
         "arithmetic": f"the paper's own scale is the book's: stored, {mlp.seconds.sum() / 3600:.2f} CPU-hours of "
                       "loop time"},
        {"paper": "2", "runs": None, "gpu_hours_budget": 3 * 7 + 3 + 15, "gpu_hours_to_target": 3 * 5 + 1.5 + 2,
         "arithmetic": "notes, section 7.2 (H100 step times x budgets): Figure 2, DenseNet on CIFAR-100, 5-7 GPU-h per "
                       "seed x 3 seeds; Figure 3, ResNet-18, 1.5-3 GPU-h for 3 seeds; Figure 1's SFO curve 2-4 GPU-h "
                       "stopping at the target, 10-15 at the full budget: 18.5-39 GPU-h"},
        {"paper": "3", "runs": None, "gpu_hours_budget": 0.1, "gpu_hours_to_target": 0.1,
         "arithmetic": "notes, section 6: kernel matrices in seconds and Figure 3 under a minute on the H100; every "
                       "figure together takes minutes"},
        {"paper": "4, CIFAR-100 part", "runs": None, "gpu_hours_budget": 3 * 2.2 + 3 * 4 + 8 + 250,
         "gpu_hours_to_target": 3 * 2.2 + 3 * 4 + 6 + 150,
         "arithmetic": "notes, section 7.2: ResNet-18 2.2 GPU-h and WRN-28-10 4 GPU-h per seed (3 seeds), the "
                       "lr-schedule figure 6-8 GPU-h, the (eta, b) sweep 150-250 GPU-h: 175-277 GPU-h; ImageNet "
                       "(300-430 GPU-h more) is not reachable here"},
    ]


def _budget_fraction(index) -> float:
    """Mean steps of the stored ResNet-substitute sweep runs over their epoch budgets."""
    runs = index[(index.type == "TrainConfig") & (index.paper == "armijo") & (index["model.kind"] == "resnet")
                 & (index.eval_unit == "step")]
    budget = runs.epochs * (runs.train_subset / runs["batch_size.value"]).apply(math.ceil)
    return float((runs.steps / budget).mean()) if len(runs) else 1.0


def checks_an_exact_cut_could_end(accuracy: list[float], looser: float) -> int:
    """Of a stopping run's checks after its first, those whose pass could have ended early without
    changing any decision: a pass may stop once the examples left cannot lift the accuracy to the
    looser target a figure reads nor above the best so far (the patience rule compares with it);
    so only checks that neither reach ``looser`` nor beat the best could be cut.

    >>> checks_an_exact_cut_could_end([0.1, 0.5, 0.4, 0.96, 0.94], 0.95)
    2
    """
    best, count = accuracy[0], 0
    for value in accuracy[1:]:
        count += not (value > best or value >= looser)
        best = max(best, value)
    return count


def exact_cut_potential(index) -> list[dict]:
    """Per data set of Paper 1's stopping sweeps (stored logs, nothing timed): the checks, and how
    many an exact early end of the evaluation pass could cut (:func:`checks_an_exact_cut_could_end`,
    the looser of the study's two targets): the most any exact scheme saves of those runs' passes."""
    from critbatch.papers.armijo import study
    from critbatch.store import Store

    store, rows = Store(), []
    sweeps = index[(index.paper == "armijo") & (index["stop.metric"] == "train_acc")]
    for dataset, runs in sweeps.groupby("dataset"):
        looser = min(study.targets("reduced", "mnist" if dataset == "mnist" else "cifar10"))
        logs = [store.load_key(key).log.train_acc.tolist() for key in runs.key]
        checks, cut = sum(len(a) - 1 for a in logs), sum(checks_an_exact_cut_could_end(a, looser) for a in logs)
        rows.append({"dataset": dataset, "runs": len(logs), "looser_target": looser, "checks": checks,
                     "cuttable": cut, "cuttable_share": cut / checks})
    return rows


def onednn_factor(record: dict) -> float:
    """How much longer a conv step takes here with oneDNN off than on (the conv section's mean over
    its batch sizes; 1 where it was not measured): the stored conv runs made with it on cost this
    much more to regenerate with the loop's default.

    >>> onednn_factor({"conv": {"rows": [{"onednn_on_speedup": 2.0}, {"onednn_on_speedup": 2.5}]}}), onednn_factor({})
    (2.25, 1.0)
    """
    rows = [r for r in record.get("conv", {}).get("rows", []) if math.isfinite(r.get("onednn_on_speedup", math.nan))]
    return statistics.mean(r["onednn_on_speedup"] for r in rows) if rows else 1.0


def totals(record: dict) -> dict:
    """The book's regeneration time on this machine and the paper-scale GPU-hours, from the
    stored runs' timings and the measurements in ``record``."""
    from critbatch.store import Store

    index = Store().index()
    shares = {r["study"]: r for r in record["shares"]["rows"]}
    per_eval = {study: statistics.mean(r["evaluation_s"] for r in record["shares"]["rows"] if r["study"] == study)
                for study in ("Paper 1 MNIST MLP sweep", "Paper 1 ResNet substitute")}
    evaluation_s = {"Paper 1 MNIST MLP sweep": per_eval["Paper 1 MNIST MLP sweep"],
                    "Paper 1 ResNet substitute sweep": per_eval["Paper 1 ResNet substitute"],
                    "Paper 1 MNIST MLP curves": shares["Paper 1 MNIST MLP curves"]["evaluation_s"],
                    "Paper 1 ResNet substitute curves": shares["Paper 1 ResNet substitute curves"]["evaluation_s"]}
    train = measurement_estimate(index, evaluation_s)
    other = index[index.type != "TrainConfig"]
    train_s = sum(r["training_s"] for r in train) + float(other.seconds.fillna(0).sum())
    measure_s = (sum(r["measure_recorded_s"] + r["measure_estimated_s"] for r in train)
                 + float(other.measure_seconds.fillna(0).sum()))
    speedup = next(r["speedup"] for r in record["sweep"]["rows"] if r["layout"] == ENGINE_LAYOUT)
    cpu_s = train_s + measure_s
    factor = onednn_factor(record)
    conv_on = index[(index["model.kind"] == "resnet") & (index.onednn.fillna("on") == "on")]
    conv_on_s = float(conv_on.seconds.fillna(0).sum() + conv_on.measure_seconds.fillna(0).sum())
    here_s = cpu_s + (factor - 1) * conv_on_s
    recorded = index.measure_seconds.notna()
    per_paper = (index.assign(cpu_s=index.seconds.fillna(0) + index.measure_seconds.fillna(0),
                              measured_s=index.measure_seconds.where(recorded, 0.0),
                              both_s=(index.seconds + index.measure_seconds).where(recorded, 0.0))
                 .groupby("paper").agg(runs=("key", "size"), cpu_s=("cpu_s", "sum"), measured_s=("measured_s", "sum"),
                                       both_s=("both_s", "sum"), recorded=("measure_seconds", "count")))
    armijo = record["armijo"]["rows"]
    result = {
        "stored_runs": len(index), "by_study": train,
        "other_runs": {t: {"runs": int((other.type == t).sum()), "seconds": float(other[other.type == t].seconds.sum())}
                       for t in sorted(other.type.unique())},
        "by_paper_recorded": {paper: {"runs": int(row.runs), "cpu_s": float(row.cpu_s),
                                      "runs_recording_measure_s": int(row.recorded),
                                      "measure_share": float(row.measured_s / row.both_s) if row.both_s else None}
                              for paper, row in per_paper.iterrows()},
        "training_s": train_s, "measure_s": measure_s, "cpu_s": cpu_s, "sweep_speedup": speedup,
        "wall_s": cpu_s / speedup, "onednn_off_factor": factor, "conv_onednn_on_runs": len(conv_on),
        "conv_onednn_on_s": conv_on_s, "cpu_here_s": here_s, "wall_here_s": here_s / speedup,
        "arithmetic": (f"{len(index)} stored runs: {train_s / 3600:.2f} h of recorded loop time (`seconds`) + "
                       f"{measure_s / 3600:.2f} h of measurement (recorded where `measure_seconds` exists, else "
                       "evaluations "
                       f"x measured seconds per evaluation) = {cpu_s / 3600:.2f} CPU-hours on one thread as recorded; "
                       f"{len(conv_on)} conv runs ({conv_on_s / 3600:.2f} CPU-h) were made with oneDNN on, which a "
                       f"conv step here needs {factor:.2f}x the time without (the loop's default): "
                       f"{here_s / 3600:.2f} CPU-hours here; on {os.cpu_count()} cores at the measured sweep speed-up "
                       f"{speedup:.2f}: {here_s / 3600 / speedup:.2f} h wall time. Runs of other types stored before "
                       "they recorded `measure_seconds` have their measurements in `seconds`; data loading, kernel "
                       "matrices and process start-up are not included"),
        "gpu": gpu_hours(index, max(r["armijo_over_sgd"] for r in armijo)),
        "exact_cut": exact_cut_potential(index),
    }
    if "regenerate" in record:
        r = record["regenerate"]
        predicted = r["stored_cpu_s"] / speedup if r["stored_cpu_s"] else math.nan
        result["regenerate"] = {**{k: r.get(k) for k in ("paper", "figure", "runs", "sweep_wall_s", "identical_bits")},
                                "predicted_wall_s": predicted, "measured_over_predicted": r["sweep_wall_s"] / predicted,
                                "arithmetic": (f"{r['paper']}/{r.get('figure') or 'every figure'} from an empty store: "
                                               f"{r['runs']} runs in {r['sweep_wall_s'] / 60:.1f} min on "
                                               f"{r['workers']} cores; its stored runs recorded "
                                               f"{r['stored_cpu_s'] / 60:.1f} CPU-min ({r['stored_without_measure_s']} of "
                                               f"them without their measurement time), {predicted / 60:.1f} min at the "
                                               f"sweep speed-up measured on {ENGINE_LAYOUT}: measured / predicted "
                                               f"{r['sweep_wall_s'] / predicted:.2f} (process start-up and data loading "
                                               f"are not in the recorded time); {r['identical_bits']} of {r['runs']} "
                                               f"results have the stored bits ({r['identical']} identical in every "
                                               "field: a stored summary without `onednn` predates the default off, "
                                               "which an MLP's numbers do not depend on)")}
    return result


# Goals and the machine --------------------------------------------------------------------------


def verdicts(record: dict) -> dict:
    """Each goal of issue 10 with its measured value(s) and whether every one meets it."""
    steps = {r["b"]: r for r in record["steps"]["rows"]}
    values = {
        "sweep_speedup": [next(r["speedup"] for r in record["sweep"]["rows"] if r["layout"] == ENGINE_LAYOUT)],
        "loop_over_floor": [r["loop_over_floor"] for r in steps.values()],
        "loop_over_torchvision_16": [steps[16]["loop_over_torchvision"]] if 16 in steps else [],
        "loop_over_torchvision_128": [steps[128]["loop_over_torchvision"]] if 128 in steps else [],
        "measure_share": [r["share"] for r in record["shares"]["rows"]],
        "armijo_over_floor": [r["armijo_over_floor"] for r in record["armijo"]["rows"]],
        "book_wall_hours": [record["totals"]["wall_here_s"] / 3600] if "totals" in record else [],
    }
    return {name: {"goal": GOALS[name][0], "at_least": GOALS[name][1], "values": v,
                   "met": bool(v) and all(x >= GOALS[name][0] if GOALS[name][1] else x <= GOALS[name][0] for x in v)}
            for name, v in values.items()}


def busy(record: dict, tolerance: float = 0.05) -> list[str]:
    """The timed sections during which other processes used more than ``tolerance`` of one core.

    >>> busy({"steps": {"wall_s": 100.0, "others_cpu_s": 1.0}, "sweep": {"wall_s": 10.0, "others_cpu_s": 2.0}})
    ['sweep']
    """
    return [name for name in (*SECTIONS, "regenerate")
            if name in record and record[name].get("others_cpu_s", 0.0) > tolerance * record[name]["wall_s"]]


def other_sweeps() -> list[str]:
    """Command lines of running ``critbatch.sweep`` processes that are not this script's."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            line = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        if "critbatch.sweep" in line and int(proc.name) != os.getpid():
            found.append(line[:120])
    return found


def busy_seconds() -> tuple[float, float]:
    """CPU seconds every process on the machine has used since boot, and of them the seconds the
    hypervisor gave to other machines while this one had work ("steal"; /proc/stat)."""
    user, nice, system, _, _, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq + steal) / tick, steal / tick


def own_seconds() -> float:
    """CPU seconds of this process and of its finished children (sweep workers, DataLoader workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed_section(function: Callable[[], dict]) -> dict:
    """``function()``'s result, with its wall time and the CPU seconds that other processes used
    meanwhile (the machine's busy time less this process tree's): near 0 on a quiet machine;
    ``steal_s`` is the part of them a virtual machine's host gave to its other guests, which no
    rerun on this machine can avoid."""
    (busy, steal), own, start = busy_seconds(), own_seconds(), time.perf_counter()
    result = function()
    (busy_after, steal_after) = busy_seconds()
    others = (busy_after - busy) - (own_seconds() - own)
    return {**result, "wall_s": time.perf_counter() - start, "others_cpu_s": max(0.0, others),
            "steal_s": steal_after - steal}


def machine() -> dict:
    return {"device": f"cpu ({os.cpu_count()} cores)", "cpu": devices.cpu_model(), "torch": torch.__version__,
            "python": platform.python_version(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def machine_file(folder: Path, cpu: str) -> Path:
    """This machine's measurement file in ``folder``: one per CPU model, since ratios differ between
    models and the appendix shows every machine's side by side.

    >>> machine_file(Path("data/benchmarks"), "Intel(R) Xeon(R) Processor").name
    'speed-cpu-intel-xeon-processor.json'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", cpu.lower().replace("(r)", "").replace("(tm)", "")).strip("-")
    return folder / f"speed-cpu-{slug}.json"


def out_path(out: str | None, cpu: str) -> Path | None:
    """Where ``--out`` puts a record measured on ``cpu``: the file it names, or the machine's file
    (:func:`machine_file`) in the folder it names (one that exists, or any ending in "/").

    >>> out_path("results/", "AMD EPYC"), out_path("results/speed.json", "AMD EPYC"), out_path(None, "AMD EPYC")
    (PosixPath('results/speed-cpu-amd-epyc.json'), PosixPath('results/speed.json'), None)
    """
    if out is None:
        return None
    return machine_file(Path(out), cpu) if out.endswith("/") or Path(out).is_dir() else Path(out)


def write_atomically(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(record, indent=1) + "\n")
    partial.replace(path)


def measure(quick: bool, repeats: int, only: str | None = None, regenerated: tuple = REGENERATED) -> dict:
    """Every timed section (or ``only`` one, or the opt-in ``regenerate`` of the ``regenerated``
    paper and figure), in one run, with the machine's load around it."""
    batch_sizes = [16, 128]
    steps = {16: 300, 128: 100} if quick else {16: 2000, 128: 600}
    record = {**machine(), "quick": quick, "repeats": repeats, "load_before": os.getloadavg()[0],
              "other_sweeps_before": other_sweeps()}
    sections = {  # name: (title, measure, on one pinned thread)
        "steps": ("steps per second, MNIST MLP (one thread)",
                  lambda: {"rows": steps_section(batch_sizes, steps, repeats)}, True),
        "armijo": ("SGD+Armijo step", lambda: {"rows": armijo_section(batch_sizes, steps, repeats)}, True),
        "shares": ("measurement shares", lambda: shares_section(quick), True),
        "sweep": ("sweep layouts", lambda: sweep_section(quick), False),
        "conv": ("conv substitute: eager, channels_last, torch.compile, eager with oneDNN on (one thread)",
                 lambda: {"rows": conv_section(batch_sizes, {16: 20, 128: 5} if quick else {16: 200, 128: 40},
                                               repeats)}, True),
        "regenerate": (f"{'/'.join(filter(None, regenerated))} regenerated from an empty store",
                       lambda: regenerate_section(*regenerated), False)}
    for name, (title, section, pinned) in sections.items():
        if (only and name != only) or (name not in SECTIONS and name != only):
            continue
        print(title)
        with pinned_threads(1) if pinned else contextlib.nullcontext():
            record[name] = timed_section(section)
        print(f"  {name}: {record[name]['wall_s']:.0f} s, other processes used {record[name]['others_cpu_s']:.1f} CPU-s "
              f"(of them the host's other guests, steal: {record[name]['steal_s']:.1f})")
    record["load_after"] = os.getloadavg()[0]
    record["other_sweeps_after"] = other_sweeps()
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="write the measurements to this JSON file (atomically); a folder (one that exists, "
                                      "or ending in /): to the measured machine's file in it, speed-cpu-<CPU model>.json")
    parser.add_argument("--quick", action="store_true", help="tiny settings, to check that the script runs")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many interleaved repeats")
    parser.add_argument("--reuse", type=Path, help="re-derive totals and verdicts from this file's measurements")
    parser.add_argument("--only", choices=SECTIONS + ("regenerate",),
                        help="measure this section alone, into the --out file's other measurements if it exists "
                             "(regenerate: only so)")
    parser.add_argument("--paper", default=REGENERATED[0], help=f"the paper regenerate trains (default {REGENERATED[0]})")
    parser.add_argument("--figure", default=REGENERATED[1],
                        help=f"its figure (default {REGENERATED[1]}); 'all' for every figure of the paper")
    args = parser.parse_args()
    if args.reuse:
        record = json.loads(args.reuse.read_text())
        out = out_path(args.out, record["cpu"])
    else:
        record = measure(args.quick, args.repeats, args.only, (args.paper, None if args.figure == "all" else args.figure))
        out = out_path(args.out, record["cpu"])
        if args.only and out and out.is_file():  # the section keeps its own date and load
            alone = {k: record[k] for k in ("date", "quick", "load_before", "load_after")}
            record = {**json.loads(out.read_text()), args.only: {**record[args.only], **alone}}
        if out:  # keep the measurements even if the arithmetic below fails
            write_atomically(out, record)
    if not {"steps", "armijo", "shares", "sweep"} <= set(record):
        return  # a section measured alone: no totals to derive
    record["totals"] = totals(record)
    record["goals"] = verdicts(record)
    record["busy_sections"] = busy(record)
    print(record["totals"]["arithmetic"])
    for row in record["totals"]["gpu"]:
        print(f"  Paper {row['paper']}: {row['arithmetic']}")
    for name, goal in record["goals"].items():
        print(f"  {name}: {'met' if goal['met'] else 'NOT met'} ({', '.join(f'{v:.3g}' for v in goal['values'])} vs "
              f"{'>=' if goal['at_least'] else '<='} {goal['goal']})")
    if record["other_sweeps_before"] or record["busy_sections"]:
        stolen = ", ".join(f"{name} {min(record[name]['steal_s'], record[name]['others_cpu_s']):.1f} of "
                           f"{record[name]['others_cpu_s']:.1f} CPU-s"
                           for name in record["busy_sections"] if "steal_s" in record[name])
        print(f"WARNING: other processes ran during {', '.join(record['busy_sections']) or 'the run'} (other sweeps: "
              f"{len(record['other_sweeps_before'])}; the host's other guests, steal: {stolen or 'none'}): those "
              "ratios are not worth keeping; rerun on an idle machine (steal comes from outside it)")
    if out:
        write_atomically(out, record)


if __name__ == "__main__":
    main()
