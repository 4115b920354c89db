r"""Mini-batch SGD for kernel least squares, as in the experiments of Ma, Bassily & Belkin.

The model is :math:`f(x) = \sum_j \alpha_j k(x_j, x)` with coefficients :math:`\alpha \in
\mathbb R^{n \times c}` (one column per class, one-hot targets, :math:`\alpha_0 = 0`). One step of
batch :math:`m` (eq. 2, indices drawn uniformly **with replacement**, duplicates accumulated) is

.. math::
    R = K_{B,:}\,\alpha - Y_B, \qquad \alpha_B \leftarrow \alpha_B - \frac{\eta}{m} R,

the gradient step on half the squared loss, for which the step of eq. 11 (Theorem 5) is
derived: :math:`\eta = \hat\eta(m)` from :math:`\beta`, :math:`\lambda_1` of :math:`K/n` and
:math:`n`. Full gradient descent (:math:`m = n`) steps
:math:`\alpha \leftarrow \alpha - \frac{\eta}{n}(K\alpha - Y)`.

The predictions :math:`F = K\alpha` on the training set are updated along with :math:`\alpha`
(:math:`F \leftarrow F - K_{:,B}\,\frac{\eta}{m}R`, the same cost as computing :math:`R`), so the
training error is known exactly after every step, and :math:`F` is recomputed from scratch at
each epoch end to stop float32 drift. The *training error* is the mean over points of the
squared norm :math:`\|f(x_i) - y_i\|^2` over the :math:`c` outputs (the per-point loss of the
paper's Figure 3).

EigenPro (Ma & Belkin 2017, "Diving into the shallows") flattens the top of the spectrum with
a Nystrom estimate of the top eigensystem on a subsample :math:`S` of size :math:`s`: with
:math:`K_{SS}/s = U\Lambda U^T` (top :math:`q`), directions :math:`j < q` are damped by
:math:`d_j = 1 - (\lambda_q/\lambda_j)^a`, which is SGD with the kernel
:math:`k_P(x, z) = k(x, z) - \sum_{j<q} d_j e_j(x)e_j(z)`,
:math:`e_j = (s\lambda_j)^{-1/2}\sum_{i \in S} U_{ij} k(x_i, \cdot)`. Each step adds the
correction :math:`\alpha_S \leftarrow \alpha_S + U\,\mathrm{diag}(d_j/(s\lambda_j))\,U^T K_{S,B}\,
\frac{\eta}{m}R`; :math:`\beta` and :math:`\lambda_1` are those of :math:`k_P`, computed exactly.
"""

from __future__ import annotations

import functools
import math
import platform
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from critbatch import data as datasets
from critbatch import validate
from critbatch.data import DeviceLoader
from critbatch.runs import Stopwatch, register

from . import kernels, theory

__all__ = ["EigenPro", "KernelProblem", "KernelRun", "Problem", "eigenpro", "load_problem", "sgd_step", "train", "training_points"]


@dataclass(frozen=True)
class KernelProblem:
    """A kernel least-squares problem: which data, how much of it, which kernel."""

    dataset: str  # "mnist" or "fashion-mnist" (critbatch.data), "timit" or "hint-s" (user features)
    n: int  # training points: a random subset of the training split
    n_test: int  # test points: a random subset of the test split (0: none)
    kernel: str  # "gaussian" or "laplace" (critbatch.kernels)
    bandwidth: float  # sigma of the kernel, in the units of the features (pixels in [0, 1])
    data_seed: int = 0  # which subsets


@dataclass(frozen=True)
class KernelRun:
    """One SGD run on a :class:`KernelProblem` (everything that determines its result)."""

    problem: KernelProblem
    batch_size: int | str  # m; problem.n for full gradient descent; "critical": round(m*) (eq. 14)
    batch_factor: int = 1  # with batch_size="critical": m = batch_factor * round(m*)
    steps: int | None = None  # budget in steps ...
    epochs: float | None = None  # ... or in epochs (n * epochs = m * steps)
    step_factor: float = 1.0  # multiplies the step of eq. 11 (1: the paper's rule)
    sampling: str = "replacement"  # eq. 2; "epoch": shuffled passes (the EigenPro codes)
    seed: int = 0  # batch sampling
    eval_every: int = 1  # steps between log rows (rows are also logged at every epoch end)
    targets: tuple[float, ...] = ()  # training errors: record the first step reaching each
    point_losses: bool = False  # log every point's loss at epoch ends (Figure 3)
    test: bool = False  # log test error (mse and misclassification) at every row
    eigenpro: dict | None = None  # {"subsample": s, "top": q, "damping": a, "max_batch": cap}

    def __post_init__(self):
        if (self.steps is None) == (self.epochs is None):
            raise ValueError("give exactly one budget: steps or epochs")
        if (self.steps is not None and self.steps < 1) or (self.epochs is not None and self.epochs <= 0):
            raise ValueError(f"the budget must be positive, got steps={self.steps}, epochs={self.epochs}")
        if isinstance(self.batch_size, str) and self.batch_size != "critical":
            raise ValueError(f"batch_size must be an integer or 'critical', got {self.batch_size!r}")
        validate.seed(self.seed)
        if not isinstance(self.batch_size, str):
            validate.positive_int(self.batch_size, "batch_size")
        if not isinstance(self.batch_size, str) and self.batch_size > self.problem.n:
            raise ValueError(f"batch_size must be in 1..n={self.problem.n}, got {self.batch_size}")
        if self.test and self.problem.n_test == 0:
            raise ValueError("test=True needs a problem with n_test > 0")


@dataclass
class Problem:
    """A loaded problem on a device: kernel matrices, one-hot targets and spectrum."""

    k: torch.Tensor  # (n, n) training kernel matrix
    y: torch.Tensor  # (n, c) one-hot targets
    k_test: torch.Tensor | None  # (n_test, n)
    y_test: torch.Tensor | None  # (n_test, c)
    labels_test: torch.Tensor | None
    beta: float  # max_i k(x_i, x_i)
    lambda_1: float  # top eigenvalue of K/n


def training_points(split: datasets.Dataset, size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A random subset of ``size`` points of a split (fixed by ``seed``), flattened to vectors."""
    if not 0 < size <= len(split.labels):
        raise ValueError(f"asked for {size} points of a split of {len(split.labels)}")
    idx = torch.randperm(len(split.labels), generator=torch.Generator().manual_seed(seed))[:size]
    idx = idx.to(split.labels.device)
    return split.images[idx].flatten(1), split.labels[idx]


@functools.lru_cache(maxsize=3)
def load_problem(problem: KernelProblem, device: str = "cpu", data_root: str | None = None,
                 mirror: str | None = None) -> Problem:
    """Load the data, build the kernel matrices and compute the spectrum, kept for reuse: the
    three problems of a kernel figure (a sweep interleaves their runs longest first, and with
    room for two each run of the third rebuilt its matrices, a CPU-minute at n = 10^4)."""
    if problem.dataset in datasets.FEATURE_SETS:
        train_set, test_set = datasets.load_features(problem.dataset, root=data_root, device=device)
    else:
        load = functools.partial(datasets.load, problem.dataset, device=device, root=data_root, mirror=mirror)
        train_set, test_set = load(True), load(False)
    x, labels = training_points(train_set, problem.n, problem.data_seed)
    classes = train_set.classes
    k = kernels.kernel_matrix(problem.kernel, x, bandwidth=problem.bandwidth)
    k_test = y_test = labels_test = None
    if problem.n_test:
        x_test, labels_test = training_points(test_set, problem.n_test, problem.data_seed + 1)
        k_test = kernels.kernel_matrix(problem.kernel, x_test, x, bandwidth=problem.bandwidth)
        y_test = torch.nn.functional.one_hot(labels_test, classes).float()
    y = torch.nn.functional.one_hot(labels, classes).float()
    lambda_1 = float(kernels.top_eigenvalues(k / problem.n, 1)[0])
    return Problem(k, y, k_test, y_test, labels_test, float(k.diagonal().max()), lambda_1)


@dataclass
class EigenPro:
    subset: torch.Tensor  # S, indices of the subsample
    correction: torch.Tensor  # U diag(d_j / (s lambda_j)) U^T, (s, s)
    beta: float  # of the modified kernel
    lambda_1: float  # of the modified kernel, K_P / n


def eigenpro(problem: Problem, settings: dict, seed: int) -> EigenPro:
    """The EigenPro correction and the exact beta and lambda_1 of the modified kernel."""
    n = len(problem.k)
    s, q, a = settings["subsample"], settings["top"], settings["damping"]
    subset = torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:s].to(problem.k.device)
    values, vectors = torch.linalg.eigh(problem.k[subset][:, subset].double() / s)
    values, vectors = values.flip(0)[:q], vectors.flip(1)[:, :q]
    damp = 1 - (values[-1] / values[:-1]) ** a  # d_j for the q - 1 top directions
    u = vectors[:, :-1]
    correction = (u * (damp / (s * values[:-1]))) @ u.T
    e = problem.k[:, subset].double() @ (u / torch.sqrt(s * values[:-1]))  # e_j(x_i), (n, q-1)
    modified = problem.k - ((e * damp) @ e.T).float()
    return EigenPro(subset, correction.float(), float(modified.diagonal().max()),
                     float(kernels.top_eigenvalues(modified / n, 1)[0]))


def sgd_step(k: torch.Tensor, y: torch.Tensor, alpha: torch.Tensor, f: torch.Tensor, batch: torch.Tensor,
             rate: float, eigenpro: EigenPro | None = None) -> None:
    """One SGD step in place: ``alpha[batch] -= rate * (f[batch] - y[batch])``, with repeated
    indices accumulated (eq. 2 samples with replacement), the EigenPro correction if given, and
    the predictions ``f = K @ alpha`` updated to match. ``rate`` is eta / m."""
    scaled = rate * (f[batch] - y[batch])
    alpha.index_add_(0, batch, -scaled)
    k_batch = k[batch]  # rows of K are its columns, K being symmetric
    f -= k_batch.T @ scaled
    if eigenpro is not None:
        boost = eigenpro.correction @ (k_batch[:, eigenpro.subset].T @ scaled)
        alpha.index_add_(0, eigenpro.subset, boost)
        f += k[eigenpro.subset].T @ boost


def _steps_for(epochs: float, n: int, m: int, sampling: str) -> int:
    """Steps in ``epochs`` passes: n * epochs = m * steps with replacement; with shuffled passes,
    ceil(n / m) steps (the last one short) per whole epoch."""
    if sampling == "replacement" or m == n:
        return math.ceil(epochs * n / m)
    whole = math.floor(epochs)
    return whole * math.ceil(n / m) + math.ceil((epochs - whole) * n / m)


def train(config: KernelRun, *, device: str = "cpu", data_root: str | Path | None = None,
          mirror: str | Path | None = None, progress: bool = True) -> tuple[pd.DataFrame, dict]:
    """Run ``config``; return the log (one row per logging point) and a summary."""
    device = torch.device(device)
    p = config.problem
    problem = load_problem(p, str(device), str(data_root) if data_root else None,
                           str(mirror) if mirror else None)
    k, y, n = problem.k, problem.y, p.n
    pre = eigenpro(problem, config.eigenpro, config.seed) if config.eigenpro else None
    beta, lambda_1 = (pre.beta, pre.lambda_1) if pre else (problem.beta, problem.lambda_1)
    critical = theory.practical_critical_batch(beta, lambda_1, n)
    m = config.batch_size if not isinstance(config.batch_size, str) else min(
        config.batch_factor * round(critical), (config.eigenpro or {}).get("max_batch", n), n)
    eta = config.step_factor * float(theory.practical_step(m, beta, lambda_1, n))
    gd = m == n
    steps = config.steps or _steps_for(config.epochs, n, m, config.sampling)

    sampler = DeviceLoader(torch.arange(n, device=device), torch.arange(n, device=device),
                           seed=config.seed, sampling=config.sampling)
    alpha = torch.zeros_like(y)
    f = torch.zeros_like(y)  # predictions K @ alpha on the training set
    history = torch.empty(steps + 1, dtype=torch.float64, device=device)  # training error per step
    history[0] = ((f - y) ** 2).sum() / n
    rows = []
    # The measurements: the training error at every step and the logged rows. (On a GPU the
    # per-step errors are counted as launched; the rows wait for their numbers.)
    measuring = Stopwatch()

    def log(step: int, epoch_end: bool) -> None:
        with measuring:
            epoch = step if gd else sampler.epoch + sampler.position / n
            row = {"step": step, "epoch": epoch, "train_loss": float(history[step])}
            if config.test:
                pred = problem.k_test @ alpha
                row["test_loss"] = float(((pred - problem.y_test) ** 2).sum(1).mean())
                row["test_error"] = float((pred.argmax(1) != problem.labels_test).float().mean())
            if config.point_losses:
                row["point_losses"] = ((f - y) ** 2).sum(1).cpu().numpy() if epoch_end or step == 0 else None
            rows.append(row)

    started = time.perf_counter()
    log(0, False)
    status = "budget"
    for step in tqdm(range(1, steps + 1), disable=not progress, leave=False, desc=f"kernel SGD m={m}"):
        epoch_before = sampler.epoch
        if gd:
            alpha -= (eta / n) * (f - y)
            f = k @ alpha
        else:
            sgd_step(k, y, alpha, f, sampler.next_indices(m), eta / m, pre)
        epoch_end = gd or sampler.epoch != epoch_before
        if epoch_end and not gd:
            f = k @ alpha  # recompute from scratch: no drift over many steps
        with measuring:
            history[step] = ((f - y) ** 2).sum() / n
        if step % config.eval_every == 0 or epoch_end or step == steps:
            log(step, epoch_end)
            if not math.isfinite(rows[-1]["train_loss"]) or rows[-1]["train_loss"] > 1e6 * rows[0]["train_loss"]:
                status = "diverged"
                break
    seconds = time.perf_counter() - started - measuring.seconds  # training only
    errors = history[: step + 1].cpu().numpy()
    reached = {str(t): (int(np.argmax(errors <= t)) if (errors <= t).any() else None) for t in config.targets}
    summary = {
        "status": status, "batch_size": m, "lr": eta, "beta": beta, "lambda_1": lambda_1,
        "critical_batch": critical, "steps": step, "epochs": rows[-1]["epoch"],
        "final_train_loss": float(errors[-1]), "steps_to": reached, "seconds": seconds,
        "measure_seconds": measuring.seconds,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else str(device),
        "torch": torch.__version__, "python": platform.python_version(),
    }
    if pre is not None:
        summary.update(kernel_beta=problem.beta, kernel_lambda_1=problem.lambda_1)
    return pd.DataFrame(rows), summary


register(KernelRun, train)
