r"""SGD against variance-reduction methods in the interpolation regime (Ma et al., Section 3.1).

The paper's table lists, for losses :math:`\ell_i` that are :math:`\beta`-smooth and convex with an
:math:`\alpha`-strongly convex average :math:`\mathcal L`, each method's step size and the number
of iterations its guarantee needs to reach a fixed error. :func:`table` evaluates those
expressions (without their hidden constants) for given :math:`n, \beta, \alpha`.

The solvers below run the methods with exactly those step sizes on a least-squares problem
:math:`\ell_i(w) = (x_i^T w - y_i)^2` that can be fit exactly, so that the table's claim
(plain SGD with step :math:`1/\beta`, eq. 1, is the fastest) can be measured. Every solver counts
component gradients :math:`\nabla \ell_i` and records the loss against that count.
:class:`VarianceRun` names one such run, so that ``critbatch.run`` stores it like any other.

Katyusha (adaptive steps and momentum) is listed but not run.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critbatch import validate
from critbatch.runs import Stopwatch, register

__all__ = ["LeastSquares", "METHODS", "Trace", "VarianceRun", "interpolating_problem", "sag", "saga", "sgd", "svrg",
           "table", "train"]


def table(n: int, beta: float, alpha: float) -> list[dict]:
    r"""The rows of the Section 3.1 table evaluated at :math:`(n, \beta, \alpha)`.

    Each row has the method, its step size (``None`` for Katyusha's adaptive step) and the
    order of its iteration count with the constant set to 1.
    """
    kappa = beta / alpha
    return [
        {"method": "SGD (eq. 1)", "step": 1 / beta, "iterations": kappa},
        {"method": "SAG", "step": 1 / (2 * n * beta), "iterations": n * kappa},
        {"method": "SVRG", "step": 1 / (10 * beta), "iterations": n + kappa},
        {"method": "SAGA", "step": 1 / (3 * beta), "iterations": n + kappa},
        {"method": "Katyusha", "step": None, "iterations": n + np.sqrt(n * kappa)},
    ]


@dataclass(frozen=True)
class LeastSquares:
    r"""Data of :math:`\mathcal L(w) = \frac1n \sum_i (x_i^T w - y_i)^2`."""

    x: np.ndarray  # (n, d)
    y: np.ndarray  # (n,)

    @property
    def n(self) -> int:
        return self.x.shape[0]

    @property
    def beta(self) -> float:
        r"""Smoothness of every :math:`\ell_i`: :math:`\max_i 2\|x_i\|^2`."""
        return float(2 * np.max(np.sum(self.x**2, axis=1)))

    @property
    def alpha(self) -> float:
        r"""Strong convexity of :math:`\mathcal L` on the span of the data: :math:`2\lambda_{\min}^+(XX^T/n)`.

        Iterates started at 0 stay in the row space of :math:`X`, where :math:`\mathcal L` is
        strongly convex with this constant even when :math:`d > n`.
        """
        eig = np.linalg.eigvalsh(self.x @ self.x.T / self.n)
        return float(2 * eig[eig > 1e-12 * eig[-1]][0])

    def loss(self, w: np.ndarray) -> float:
        return float(np.mean((self.x @ w - self.y) ** 2))

    def grad_i(self, w: np.ndarray, i: int) -> np.ndarray:
        return 2 * (self.x[i] @ w - self.y[i]) * self.x[i]


def interpolating_problem(n: int, d: int, seed: int) -> LeastSquares:
    """Gaussian rows scaled to unit norm and targets of a random linear model, so that
    :math:`\\min \\mathcal L = 0` (Assumption 1) whenever ``d >= n``."""
    if d < n:
        raise ValueError(f"need d >= n for an interpolating solution, got n={n}, d={d}")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return LeastSquares(x=x, y=x @ rng.standard_normal(d))


@dataclass
class Trace:
    """Loss recorded every ``every`` component gradients, whether the target was reached, and
    the time spent computing the recorded losses."""

    gradients: list
    loss: list
    reached: bool = False
    measuring: Stopwatch = field(default_factory=Stopwatch, compare=False)


class _Recorder:
    """Counts component gradients; records the loss at a fixed cadence; stops at the target."""

    def __init__(self, problem: LeastSquares, budget: int, tol: float, every: int):
        self.problem, self.budget, self.every = problem, budget, every
        self.trace = Trace(gradients=[0], loss=[])
        with self.trace.measuring:
            self.trace.loss.append(problem.loss(np.zeros(problem.x.shape[1])))
        self.target = tol * self.trace.loss[0]
        self.count = 0

    def add(self, w: np.ndarray, gradients: int) -> bool:
        """Count ``gradients`` more; return True when the run must stop."""
        before, self.count = self.count, self.count + gradients
        if self.count // self.every > before // self.every or self.count >= self.budget:
            with self.trace.measuring:
                loss = self.problem.loss(w)
            self.trace.gradients.append(self.count)
            self.trace.loss.append(loss)
            if loss <= self.target:
                self.trace.reached = True
                return True
        return self.count >= self.budget


def sgd(problem: LeastSquares, *, budget: int, tol: float, seed: int, every: int) -> Trace:
    r"""SGD with constant step :math:`1/\beta`, eq. 1 of the paper."""
    rng, rec = np.random.default_rng(seed), _Recorder(problem, budget, tol, every)
    w, step = np.zeros(problem.x.shape[1]), 1 / problem.beta
    while True:
        w -= step * problem.grad_i(w, rng.integers(problem.n))
        if rec.add(w, 1):
            return rec.trace


def sag(problem: LeastSquares, *, budget: int, tol: float, seed: int, every: int) -> Trace:
    r"""SAG (Roux, Schmidt & Bach 2012) with the table's step :math:`1/(2n\beta)`."""
    rng, rec = np.random.default_rng(seed), _Recorder(problem, budget, tol, every)
    w, step = np.zeros(problem.x.shape[1]), 1 / (2 * problem.n * problem.beta)
    memory, total = np.zeros_like(problem.x), np.zeros(problem.x.shape[1])
    while True:
        i = rng.integers(problem.n)
        g = problem.grad_i(w, i)
        total += g - memory[i]
        memory[i] = g
        w -= step * total / problem.n
        if rec.add(w, 1):
            return rec.trace


def saga(problem: LeastSquares, *, budget: int, tol: float, seed: int, every: int) -> Trace:
    r"""SAGA (Defazio, Bach & Lacoste-Julien 2014) with the table's step :math:`1/(3\beta)`.

    The table of gradients starts at the gradients of :math:`w_0` (``n`` evaluations, counted).
    """
    rng, rec = np.random.default_rng(seed), _Recorder(problem, budget, tol, every)
    w, step = np.zeros(problem.x.shape[1]), 1 / (3 * problem.beta)
    memory = 2 * (problem.x @ w - problem.y)[:, None] * problem.x
    mean = memory.mean(axis=0)
    if rec.add(w, problem.n):
        return rec.trace
    while True:
        i = rng.integers(problem.n)
        g = problem.grad_i(w, i)
        w -= step * (g - memory[i] + mean)
        mean += (g - memory[i]) / problem.n
        memory[i] = g
        if rec.add(w, 1):
            return rec.trace


def svrg(problem: LeastSquares, *, budget: int, tol: float, seed: int, every: int) -> Trace:
    r"""SVRG (Johnson & Zhang 2013) with the table's step :math:`1/(10\beta)`.

    Each outer loop computes the full gradient at a snapshot (``n`` gradients), then takes
    ``2n`` inner steps of two gradients each; the snapshot is the last inner iterate.
    """
    rng, rec = np.random.default_rng(seed), _Recorder(problem, budget, tol, every)
    w, step = np.zeros(problem.x.shape[1]), 1 / (10 * problem.beta)
    while True:
        snapshot = w.copy()
        full = 2 * problem.x.T @ (problem.x @ snapshot - problem.y) / problem.n
        if rec.add(w, problem.n):
            return rec.trace
        for _ in range(2 * problem.n):
            i = rng.integers(problem.n)
            w -= step * (problem.grad_i(w, i) - problem.grad_i(snapshot, i) + full)
            if rec.add(w, 2):
                return rec.trace


#: The solvers by name, in the table's order.
METHODS = {"sgd": sgd, "sag": sag, "svrg": svrg, "saga": saga}


@dataclass(frozen=True)
class VarianceRun:
    """One solver on one interpolating least-squares problem (everything that fixes its result)."""

    method: str  # a key of METHODS
    n: int  # points of interpolating_problem(n, d, problem_seed)
    d: int  # parameters
    epochs: float  # budget: epochs * n component gradients
    tol: float  # stop once the loss is at most tol times the initial loss
    problem_seed: int = 0
    seed: int = 0  # the solver's sampling
    eval_every: int | None = None  # component gradients between records (None: n, once per epoch)

    def __post_init__(self):
        validate.seed(self.seed)
        validate.seed(self.problem_seed, "problem_seed")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")
        if not (self.n >= 1 and self.d >= 1 and self.epochs > 0 and 0 < self.tol < 1):
            raise ValueError(f"need n, d >= 1, epochs > 0 and tol in (0, 1), got {self}")


def train(config: VarianceRun, **options) -> tuple[pd.DataFrame, dict]:
    """Run ``config``: the loss against component gradients, and whether it reached the target.
    ``options`` (device, progress, ...) have no effect on these NumPy solvers."""
    problem = interpolating_problem(config.n, config.d, seed=config.problem_seed)
    started = time.perf_counter()
    trace = METHODS[config.method](problem, budget=round(config.epochs * config.n), tol=config.tol,
                                   seed=config.seed, every=config.eval_every or config.n)
    log = pd.DataFrame({"gradients": trace.gradients, "train_loss": trace.loss})
    return log, {"status": "reached" if trace.reached else "budget", "gradients": trace.gradients[-1],
                 "seconds": time.perf_counter() - started - trace.measuring.seconds,
                 "measure_seconds": trace.measuring.seconds, "device": "cpu (NumPy)",
                 "python": platform.python_version()}


register(VarianceRun, train)
