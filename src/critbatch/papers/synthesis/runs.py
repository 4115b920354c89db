"""The runs the synthesis chapter needs, for ``python -m critbatch.sweep``: its own (the MLP's
probe and gradient-norm runs, the kernel noise trace and the estimator check) and the chapters'
runs it reads (Paper 1's SGD sweep on MNIST, Paper 3's speed-up runs on the MNIST kernel
problem), which the sweep trains once whichever figure lists them first."""

from __future__ import annotations

from critbatch.papers.interpolation import study as interpolation
from critbatch.sweep import figure

from . import problems


def _runs(scale: str, store) -> list:
    sweep = [c for configs in problems.sgd_sweep(scale).values() for c in configs]
    kernel = [c for configs in interpolation.speedup_runs(problems.kernel_panel(scale, store=store), scale).values()
              for c in configs]
    own = [c for configs in problems.gradient_norm_runs(scale).values() for c in configs]
    return [problems.probe_run(scale), *own, problems.kernel_trace(scale, store=store),
            problems.estimator_check(scale, store=store), *sweep, *kernel]


figure("synthesis", "critical-batch")(_runs)
