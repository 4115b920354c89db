"""Regenerate the book's results without executing notebooks: ``python -m critbatch.sweep``.

Every paper declares, per figure, the runs that figure needs at a scale (its chapter table,
:mod:`critbatch.chapters`); :func:`plan` collects them from every paper,
one entry per distinct run, and :func:`sweep` trains those not yet in the store on an engine:

* ``local`` (the default): one process per core, each run on one pinned thread (the layout
  ``benchmarks/speed.py`` measured fastest here), through :mod:`concurrent.futures`, the
  longest runs first by their estimated cost (:func:`critbatch.estimates.cpu_seconds`),
  so the last runs to start are short ones and no core idles long at the end;
  the workers import critbatch from a snapshot of ``HEAD``'s ``src/`` (:mod:`critbatch.provenance`),
  so every result names the commit that produced it while work goes on in the checkout;
* ``ray``: each run a Ray task with ``num_cpus`` and (fractional) ``num_gpus``, on a local Ray
  instance or a cluster (``address``). Results travel back to the driver, which stores them, so
  workers need no shared disk; a task whose worker dies is retried, and resumes from its
  checkpoint where the checkpoint folder is shared.

A figure's run list may depend on a stored result (Paper 3's problems use a bandwidth found by a
stored search): :func:`plan` reports such prerequisites, and the sweep trains them first.
Results are bit-for-bit the same on every engine: every run pins its thread count
(:func:`critbatch.runs.train`).

Command line::

    python -m critbatch.sweep --scale reduced --dry-run          # what would run, and its cost
    python -m critbatch.sweep --scale reduced                     # train what is missing (all cores)
    python -m critbatch.sweep --paper armijo --figure mnist-steps-sfo --engine ray --address auto
"""

from __future__ import annotations

import argparse
import concurrent.futures as futures
import heapq
import math
import multiprocessing
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Iterable

import pandas as pd
from tqdm import tqdm

from . import chapters, estimates, paths, provenance, runs, scales, validate
from .store import CorruptResult, MissingResult, Store, config_key, index_fields

__all__ = ["Planned", "SweepBar", "dry_run", "figures", "longest_first", "plan", "report",
           "stored", "sweep"]

ENGINES = ("local", "ray")


@dataclass(frozen=True)
class Figure:
    paper: str
    name: str
    runs: Callable[[str], Iterable]  # scale -> the run configs of the figure


def figures() -> dict[tuple[str, str], Figure]:
    """Every figure of every paper's chapter table (:func:`critbatch.chapters.chapters`)."""
    return {(chapter.paper, fig.name): Figure(chapter.paper, fig.name, fig.configs)
            for chapter in chapters.chapters().values() for fig in chapter.figures}


@dataclass(frozen=True)
class Planned:
    """One distinct run: the first figure (and its paper) that needs it, and its config."""

    paper: str
    figure: str
    config: Any

    @cached_property
    def key(self) -> str:  # hashed once: a dry run of every paper asks for it 14,000 times
        return config_key(self.config)


def plan(scale: str, store: Store | None = None, *, paper: str | None = None, figure_name: str | None = None,
         empty: list[str] | None = None) -> tuple[list[Planned], list[Planned]]:
    """The runs the chosen figures need at ``scale`` (each once), and the stored prerequisites
    that are still missing (a figure that needs one lists its runs only once it exists in
    ``store``, where the figures look prerequisites up). The figures that need no run at
    ``scale`` are appended to ``empty`` (``paper/figure``) if given."""
    scales.check(scale)
    store = store if store is not None else Store()
    chosen = [f for f in figures().values()
              if (paper is None or f.paper == paper) and (figure_name is None or f.name == figure_name)]
    if not chosen:
        known = ", ".join(f"{p}/{n}" for p, n in figures())
        raise ValueError(f"no figure matches paper={paper!r} figure={figure_name!r}; known: {known}")
    planned: dict[str, Planned] = {}
    missing: dict[str, Planned] = {}
    for fig in chosen:
        try:
            with paths.results_in(store.root):
                configs = list(fig.runs(scale))
        except MissingResult as error:
            needed = Planned(fig.paper, fig.name, error.config)
            missing.setdefault(needed.key, needed)
            continue
        if not configs and empty is not None:
            empty.append(f"{fig.paper}/{fig.name}")
        for config in configs:
            entry = Planned(fig.paper, fig.name, config)
            planned.setdefault(entry.key, entry)
    return list(planned.values()), list(missing.values())


def _label(entry: Planned) -> str:
    return f"{entry.key[:8]} {entry.paper}/{entry.figure}"


def _known(seconds: float | None) -> bool:
    return seconds is not None and math.isfinite(seconds)


def longest_first(todo: list[Planned], seconds: pd.Series) -> list[Planned]:
    """``todo`` in the order to start it: the longest estimated runs first, so that no long run
    starts last while the other cores have nothing left to do; a run without an estimate (its
    type never stored) counts as the longest, and ties keep the plan's order."""
    return sorted(todo, key=lambda p: -s if _known(s := seconds.get(p.key)) else -math.inf)


class SweepBar:
    """The sweep's progress bar: runs done, the estimated CPU-hours left and the estimated time
    to the end, from every run's estimated seconds (:func:`critbatch.estimates.cpu_seconds`) less the time the runs in
    flight have been running, the queue started longest-first on ``workers`` (``None``: a Ray
    cluster, whose size the bar does not know, so no ETA)."""

    def __init__(self, todo: list[Planned], seconds: pd.Series, workers: int | None, bar: tqdm,
                 clock: Callable[[], float] = time.monotonic):
        self.estimates = {p.key: float(seconds.get(p.key, math.nan)) for p in todo}
        self.labels = {p.key: _label(p) for p in todo}
        self.workers, self.bar, self.clock = workers, bar, clock
        self.started: dict[str, float] = {}  # runs in flight: when they started

    def start(self, entry: Planned) -> None:
        self.started[entry.key] = self.clock()
        self.refresh()

    def lost(self, entry: Planned) -> None:
        """A run whose worker died: queued again, its time in flight lost."""
        self.started.pop(entry.key)

    def finish(self, entry: Planned) -> None:
        self.started.pop(entry.key, None)  # (a Ray task's start is not seen)
        self.estimates.pop(entry.key)
        self.bar.update(1)
        self.refresh()

    def seconds_left(self) -> dict[str, float]:
        """The estimated CPU seconds left of every unfinished run with an estimate (a run in
        flight past its estimate has none left)."""
        now = self.clock()
        return {key: max(seconds - (now - self.started.get(key, now)), 0.0)
                for key, seconds in self.estimates.items() if _known(seconds)}

    def eta(self) -> float:
        """Seconds to the end: the runs in flight finish their estimates, the queued runs start
        longest-first on the first free worker."""
        left = self.seconds_left()
        free = [left.get(key, 0.0) for key in self.started] + [0.0] * (self.workers - len(self.started))
        heapq.heapify(free)
        for seconds in sorted((s for key, s in left.items() if key not in self.started), reverse=True):
            heapq.heappush(free, heapq.heappop(free) + seconds)
        return max(free)

    def describe(self) -> str:
        unknown = sum(not _known(s) for s in self.estimates.values())
        text = f"{sum(self.seconds_left().values()) / 3600:.2f} CPU-h left"
        if unknown:
            text += f" (+{unknown} runs without an estimate)"
        if self.workers is not None:
            text += f", ETA {tqdm.format_interval(self.eta())}"
        running = "; ".join(self.labels[key] for key in self.started)
        return text + (f"; running: {running}" if running else "")

    def refresh(self) -> None:
        self.bar.set_postfix_str(self.describe(), refresh=True)


def _train_locally(config: Any, root: str, paper: str, options: dict) -> dict:
    """Worker: train (or load) one run into the store at ``root``; its key and how it ended.
    The papers' figure modules are loaded first, so measurements a paper registers exist here."""
    figures()
    result = runs.run(config, Store(root, cache_only=False), paper=paper, progress=False, **options)
    return {"key": result.key, "status": result.summary.get("status")}


def _train_remotely(config: Any, **options) -> tuple:
    """Ray task: :func:`critbatch.runs.train` after loading the papers' figure modules."""
    figures()
    return runs.train(config, **options)


#: Seconds between two refreshes of the bar's estimates while no run ends.
REFRESH_S = 30


def _pool(queue: list[Planned], store: Store, workers: int, options: dict, bar: SweepBar) -> list[Planned]:
    """Train ``queue`` in its order on ``workers`` spawned processes (one thread each): a run
    starts as soon as a worker is free, at most ``workers`` runs in flight so the bar can say
    what each worker runs. Returns the runs in flight when a worker died (the pool is lost with
    it); the queue keeps the runs not started."""
    context = multiprocessing.get_context("spawn")
    with futures.ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_exit_with,
                                     initargs=(os.getpid(),)) as pool:
        flying: dict[futures.Future, Planned] = {}
        while queue or flying:
            while queue and len(flying) < workers:
                entry = queue.pop(0)
                flying[pool.submit(_train_locally, entry.config, str(store.root), entry.paper, options)] = entry
                bar.start(entry)
            done, _ = futures.wait(flying, timeout=REFRESH_S, return_when=futures.FIRST_COMPLETED)
            for future in done:
                try:
                    future.result()
                except futures.process.BrokenProcessPool:  # a worker died: every run in flight is lost
                    for entry in flying.values():
                        bar.lost(entry)
                    return list(flying.values())
                bar.finish(flying.pop(future))
            bar.refresh()
    return []


def _local(todo: list[Planned], store: Store, workers: int, options: dict, bar: SweepBar, retries: int) -> None:
    """The local engine. Runs lost with a dead worker are tried again one at a time, so the run
    that kills its worker is known: it gets ``retries`` more tries (resuming from its checkpoint)."""
    queue = list(todo)
    while queue:
        for entry in _pool(queue, store, workers, options, bar):
            for _ in range(retries + 1):
                if not _pool([entry], store, 1, options, bar):
                    break
            else:
                raise RuntimeError(f"run {_label(entry)} killed its worker {retries + 1} times in a row; giving up "
                                   "(a checkpoint, if any, is under data/checkpoints)")


def _ray(todo: list[Planned], store: Store, options: dict, bar: SweepBar, *, address: str | None, cpus: float,
         gpus: float, retries: int) -> None:
    """Each run a Ray task; the driver saves what comes back."""
    import ray

    if address not in (None, "auto"):
        _reachable(address)
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    _fits(cpus, gpus, [node["Resources"] for node in ray.nodes() if node["Alive"]])
    task = ray.remote(max_retries=retries, retry_exceptions=False)(_train_remotely)
    pending = {task.options(num_cpus=cpus, num_gpus=gpus).remote(entry.config, progress=False, **options): entry
               for entry in todo}
    bar.refresh()
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        entry = pending.pop(done[0])
        log, summary = ray.get(done[0])
        store.save(entry.config, log, summary, paper=entry.paper)
        bar.finish(entry)


def _reachable(address: str, timeout: float = 5.0) -> None:
    """Fail at once, in one line, where ``host:port`` does not answer (Ray would retry for minutes)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except (OSError, ValueError) as error:
        raise ValueError(f"--address {address}: no Ray cluster answers there ({error}); start one with `ray start "
                         "--head` on that host, or give its host:port (or 'auto' on a node of the cluster)") from None


def _fits(cpus: float, gpus: float, nodes: list[dict]) -> None:
    """Fail where no node has ``cpus`` CPUs and ``gpus`` GPUs: Ray would wait for one forever."""
    if not any(n.get("CPU", 0) >= cpus and n.get("GPU", 0) >= gpus for n in nodes):
        most = ", ".join(f"{n.get('CPU', 0):g} CPUs and {n.get('GPU', 0):g} GPUs" for n in nodes) or "no live node"
        raise ValueError(f"each run asks for {cpus:g} CPUs and {gpus:g} GPUs (--cpus, --gpus) but no node of the Ray "
                         f"cluster has them (its nodes: {most}); ask for less, or add a node that has them")


def _exit_with(parent: int) -> None:
    """Pool initializer: end this worker as soon as its parent (the sweep) is gone, instead of
    finishing its run and then waiting forever for the next one (the run resumes from its checkpoint)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="exit-with-the-sweep").start()


def sweep(scale: str, store: Store | None = None, *, paper: str | None = None, figure_name: str | None = None,
          engine: str = "local", workers: int | None = None, address: str | None = None, cpus: float = 1,
          gpus: float = 0, retries: int = 2, progress: bool = True, **options) -> list[Planned]:
    """Train every run the chosen figures need that ``store`` does not hold yet (prerequisites
    first); return what was trained. ``options`` go to every run (``device``, ``data_root``, ...)."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    workers = os.cpu_count() or 1 if workers is None else validate.positive_int(workers, "workers")
    validate.positive(cpus, "cpus")
    validate.positive(gpus, "gpus", zero=True)
    validate.existing_folder(options.get("data_root"), "--data-root")
    if engine == "ray" and not provenance.src_is_clean():
        raise ValueError("src/ has uncommitted changes, and Ray workers train with the code they import: commit "
                         "first (every stored result must name the commit that produced it)")
    store = store if store is not None else Store(cache_only=False)
    trained: list[Planned] = []
    while True:
        planned, prerequisites = plan(scale, store, paper=paper, figure_name=figure_name)
        corrupt = [store.path(p.config) for p in planned if stored(p.config, store) == "corrupt"]
        if corrupt:
            raise CorruptResult(f"{len(corrupt)} stored results the figures need fail their checks ({corrupt[0]}"
                                f"{' and others' if len(corrupt) > 1 else ''}); restore them from git or delete "
                                "them, then sweep again")
        todo = prerequisites + [p for p in planned if p.config not in store]
        if not todo:
            return trained
        seconds = estimates.cpu_seconds([p.config for p in todo], store, estimates.cpu())
        todo = longest_first(todo, seconds)
        with tqdm(total=len(todo), disable=not progress, unit="run", desc=f"sweep {scale}",
                  bar_format="{desc}: {n_fmt}/{total_fmt} runs in {elapsed}{postfix}") as line:
            bar = SweepBar(todo, seconds, workers if engine == "local" else None, line)
            if engine == "local":
                with provenance.workers_from(provenance.snapshot("HEAD")):  # a clean commit, whatever the checkout holds
                    _local(todo, store, workers, options, bar, retries)
            else:
                _ray(todo, store, options, bar, address=address, cpus=cpus, gpus=gpus, retries=retries)
        trained += todo
        if not prerequisites:
            return trained


def stored(config: Any, store: Store) -> str:
    """``"yes"`` if ``store`` holds an intact result for ``config``, ``"no"`` if none, ``"corrupt"``
    if its file fails its checks (:class:`CorruptResult`)."""
    if config not in store:
        return "no"
    try:
        store.load(config)
    except CorruptResult:
        return "corrupt"
    return "yes"


def dry_run(scale: str, store: Store, **chosen) -> pd.DataFrame:
    """One row per needed run: paper, figure, key, run type, whether it is stored (``yes``, ``no``
    or ``corrupt``), whether it is a prerequisite, and the estimated seconds to train it on one
    CPU thread and on one GPU (:mod:`critbatch.estimates`; NaN: unknown, 0 for a stored run).
    ``attrs["empty"]`` names the chosen figures that need no run at ``scale``."""
    empty: list[str] = []
    planned, prerequisites = plan(scale, store, empty=empty, **chosen)
    entries = planned + prerequisites
    held = {p.key: stored(p.config, store) for p in entries}
    todo = [p.config for p in entries if held[p.key] != "yes"]
    cpu = estimates.cpu_seconds(todo, store, estimates.cpu())
    gpu = {config_key(c): _seconds(estimates.work(c), estimates.GPU) for c in todo}
    table = pd.DataFrame([{"paper": p.paper, "figure": p.figure, "key": p.key, "type": type(p.config).__name__,
                          "stored": held[p.key], "prerequisite": p in prerequisites,
                          "cpu_seconds": cpu.get(p.key, 0.0), "gpu_seconds": gpu.get(p.key, 0.0)} for p in entries],
                        columns=["paper", "figure", "key", "type", "stored", "prerequisite", "cpu_seconds",
                                 "gpu_seconds"])
    table.attrs["empty"] = empty  # figures that need no run at this scale, for the report
    return table


def _seconds(work, device) -> float:
    return math.nan if work is None else estimates.seconds(work, device)


def _hours(seconds: pd.Series) -> str:
    """Known hours, and how many runs are unknown (never 0.00 for nothing known)."""
    unknown = int(seconds.isna().sum())
    if unknown == len(seconds) and unknown:
        return f"unknown for all {unknown} runs"
    known = f"{seconds.sum() / 3600:,.2f}"
    return known if not unknown else f"{known} + unknown for {unknown} runs"


def report(table: pd.DataFrame, scale: str) -> str:
    """The dry run's summary: per paper, the runs to train and their CPU-hours and GPU-hours,
    then what the estimates assumed."""
    todo = table[table.stored != "yes"]
    lines = [f"{len(table)} runs needed at scale {scale}: {int((table.stored == 'yes').sum())} stored, "
             f"{len(todo)} to train ({int((todo.stored == 'corrupt').sum())} of them corrupt in the store, "
             f"{int(todo.prerequisite.sum())} prerequisites, whose dependent runs are listed once they exist)"]
    for paper, runs in todo.groupby("paper"):
        lines.append(f"  {paper}: {len(runs)} runs to train, CPU-hours {_hours(runs.cpu_seconds)} (one thread each), "
                     f"GPU-hours {_hours(runs.gpu_seconds)}")
    for paper in sorted(set(table.paper) - set(todo.paper)):
        lines.append(f"  {paper}: every run stored, nothing to train")
    if table.attrs.get("empty"):
        lines.append(f"  figures that need no run at scale {scale}: {', '.join(table.attrs['empty'])}")
    cpu = estimates.cpu()
    lines.append("Estimated from each run's work at its full budget (FLOPs and operator launches per step of its "
                 "network, examples from its budget, measurement passes; runs that stop at a target take less), "
                 f"CPU: {cpu.source if cpu else 'unknown: no data/benchmarks/throughput-cpu.json (run benchmarks/throughput.py)'}"
                 ", scaled by stored runs of the same network and data at the same scale where there are some; "
                 f"GPU: {estimates.GPU.source}. Run types without a FLOP model (kernel runs) are known on the CPU "
                 "only from a stored twin (the same config but its seed), and unknown on the GPU.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m critbatch.sweep", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="reduced", help="smoke, reduced or paper (default: reduced)")
    parser.add_argument("--paper", help="only this paper's figures (its folder name under papers/)")
    parser.add_argument("--figure", help="only this figure (a notebook name, without .ipynb)")
    parser.add_argument("--dry-run", action="store_true", help="list the runs and their estimated cost; train nothing")
    parser.add_argument("--engine", choices=ENGINES, default="local")
    parser.add_argument("--workers", type=int, help="local engine: processes (default: every core)")
    parser.add_argument("--address", help="ray engine: the cluster to join ('auto', or host:port; default: a local instance)")
    parser.add_argument("--cpus", type=float, default=1, help="ray engine: CPUs per run (default 1)")
    parser.add_argument("--gpus", type=float, default=0, help="ray engine: GPUs per run, fractions allowed (default 0)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (default cpu)")
    parser.add_argument("--data-root", help="dataset archives (default: $CRITBATCH_DATA or <repo>/data/raw)")
    args = parser.parse_args(argv)
    store = Store(cache_only=False)
    chosen = {"paper": args.paper, "figure_name": args.figure}
    try:
        if args.dry_run:
            table = dry_run(args.scale, store, **chosen)
            with pd.option_context("display.max_rows", None, "display.width", 200):
                print(table.to_string(index=False))
            print("\n" + report(table, args.scale))
            return 0
        started = time.perf_counter()
        trained = sweep(args.scale, store, engine=args.engine, workers=args.workers, address=args.address,
                        cpus=args.cpus, gpus=args.gpus, device=args.device, data_root=args.data_root, **chosen)
        print(f"trained {len(trained)} runs in {time.perf_counter() - started:.0f} s; every run the figures "
              "need is in the store")
        return 0
    except (ValueError, MissingResult, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # run the imported module's main, whose registry the papers fill
    from critbatch.sweep import main as main_of_module

    sys.exit(main_of_module())
