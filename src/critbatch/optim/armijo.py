r"""SGD with a backtracking Armijo line search on the mini-batch (Tsukada & Iiduka, arXiv
2307.13831; the stochastic line search, SLS, of Vaswani et al. 2019, Alg. 1, without momentum).

At step :math:`k`, with the mini-batch loss :math:`f_B` and its gradient :math:`g_k`, the step
size :math:`\alpha_k` is the first of :math:`\alpha, \delta\alpha, \delta^2\alpha, \dots` (at most
``max_backtracks`` tries) that satisfies the Armijo condition on the *same* mini-batch,

.. math:: f_B(\theta_k - \alpha g_k) \le f_B(\theta_k) - c\,\alpha\,\|g_k\|^2,

and :math:`\theta_{k+1} = \theta_k - \alpha_k g_k`. If every try fails, a step of
``fallback_step`` is taken, as in the official code (not under ``"sls"``). The first trial
:math:`\alpha` comes from a reset rule, with :math:`M` = ``steps_per_epoch`` and
:math:`\gamma` = ``growth``:

* ``"constant"``: ``init_step_size`` at every step (the paper-level algorithm);
* ``"grow"``: ``init_step_size`` at the first step, then the previous step times
  :math:`\gamma^{1/M}` (after SLS's reset option 1), capped at ``max_step_size`` if given;
* ``"epoch_mean"``: ``init_step_size`` until :math:`M + 1` steps have been accepted, then twice
  the mean accepted step of the last complete block of :math:`M` steps, capped at
  ``max_step_size`` (the TMLR code's option 4);
* ``"sls"``: SLS as in Alg. 1 with reset option 1. Every search, the first included, starts from
  the previous step times :math:`\gamma^{1/M}` (from ``init_step_size`` at the first step). A
  search that runs out of tries keeps its last trial: it is Alg. 1's repeat loop cut at
  ``max_backtracks`` (the SLS code moves by 1e-6 instead). The update is skipped when
  :math:`\|g_k\| < 10^{-8}`, as in the SLS code, and the step size kept (that code grows it).
  No cap unless ``max_step_size`` is given.

The default ``"grow"`` differs from ``"sls"`` in two places. Its first trial is
``init_step_size``, not grown. A failed search moves by ``fallback_step``, as the official
Tsukada-Iiduka code does, and the next trial grows from ``fallback_step`` (that code grows it from
the shrunk last trial). It stays the default, bit for bit, because the stored MNIST and CIFAR
runs were made with it.

:math:`M` is read from the first group at every step. A loop whose batch size grows writes the
current number of steps per epoch into the groups, and :math:`\gamma^{1/M}` follows it. The
Armijo condition is on the whole loss, so all groups share one step size and the constructor's
line-search options. A group that carries other values, or other keys such as
``weight_decay``, is refused. After each step, the step taken is written to every group's
``"lr"``, where ``torch.optim.lr_scheduler``-style loggers read it.

BatchNorm statistics. Every trial forward runs the network in train mode, so by default it also
moves the BatchNorm running statistics, at parameters the search may reject. With ``frozen``
(the tensors :func:`batch_norm_statistics` lists; the loop passes them for the optimizer spec's
``"trial_bn": "frozen"``), they are restored after every trial to what the step's first forward,
at the current parameters, left: a step then moves them exactly as one forward pass does. The
trial losses themselves are unchanged (they use the batch's statistics either way).

Closure contract (that of :mod:`critbatch.train`): ``closure()`` zeroes the gradients, computes
the mini-batch loss and back-propagates; ``closure(backward=False)`` only computes the loss, at
the current parameters and on the same mini-batch. A step costs one forward-backward pass and
one forward pass per trial, nothing else; deciding a trial needs one host sync. The parameters
are saved into buffers allocated once, with ``copy_``.

>>> import torch
>>> w = torch.tensor([3.0], requires_grad=True)
>>> def closure(backward=True):
...     with torch.set_grad_enabled(backward):
...         loss = (w**2).sum()  # L = 2: any step up to 2(1 - c)/L = 0.9 passes
...     if backward:
...         w.grad = None
...         loss.backward()
...     return loss
>>> opt = ArmijoSGD([w], init_step_size=1.0, c=0.1, shrink=0.5, reset="constant")
>>> _ = opt.step(closure)
>>> opt.last_step_size, opt.param_groups[0]["lr"], w.item()  # 1.0 fails, 0.5 passes: w = 3 - 0.5 * 6
(0.5, 0.5, 0.0)
"""

from __future__ import annotations

import math
from typing import Callable, Iterable

import torch
from torch.optim import Optimizer

from .. import validate

__all__ = ["ArmijoSGD", "armijo_holds", "batch_norm_statistics", "sls_skips"]

RESETS = ("constant", "grow", "epoch_mean", "sls")
#: The options of the one line search that all groups share: given to the constructor only.
OPTIONS = ("c", "init_step_size", "shrink", "max_backtracks", "fallback_step", "reset", "growth",
           "steps_per_epoch", "max_step_size")


def armijo_holds(loss: torch.Tensor, trial_loss: torch.Tensor, step_size: float, c: float,
                 grad_norm_sq: torch.Tensor) -> bool:
    r"""The Armijo condition :math:`f(\theta - \alpha g) \le f(\theta) - c\,\alpha\,\|g\|^2`."""
    return bool(trial_loss <= loss - c * step_size * grad_norm_sq)


def batch_norm_statistics(model: torch.nn.Module) -> list[torch.Tensor]:
    """The running statistics (mean, variance, batches counted) of every BatchNorm layer of ``model``."""
    return [t for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
            for t in m.buffers(recurse=False)]


def sls_skips(grad_norm_sq: torch.Tensor) -> bool:
    r"""The SLS code updates only when :math:`\|g\| \ge 10^{-8}`."""
    return not bool(grad_norm_sq.sqrt() >= 1e-8)


class ArmijoSGD(Optimizer):
    """SGD whose step size is found by backtracking until the Armijo condition holds.

    Args:
        params: parameters or parameter groups. One step size is shared by all of them, with the
            line-search options below; groups may not set other values or other keys. After each
            step, every group's ``"lr"`` holds the step taken.
        c: Armijo constant, in (0, 1) (default 0.1, the paper's main value).
        init_step_size: first trial step (default 1, the arXiv-era code; the TMLR code uses 0.05).
        shrink: backtracking factor delta in (0, 1) (default 0.9).
        max_backtracks: tries per step before the fallback step (default 100).
        fallback_step: the step taken when every try fails (default 1e-6; unused by ``"sls"``).
        reset: ``"grow"`` (default), ``"sls"``, ``"epoch_mean"`` or ``"constant"``; see the
            module docstring.
        steps_per_epoch: M of the reset rules (required by all but ``"constant"``), read from the
            first group at every step.
        max_step_size: cap on the trial step (None: no cap; the TMLR code uses 10).
        growth: gamma, the factor by which ``"grow"`` and ``"sls"`` grow the trial over an epoch
            (default 2).
        frozen: tensors that the trial forwards must leave as the step's first forward left them,
            e.g. :func:`batch_norm_statistics` (default: none).
    """

    def __init__(self, params, c: float = 0.1, init_step_size: float = 1.0, shrink: float = 0.9,
                 max_backtracks: int = 100, fallback_step: float = 1e-6, reset: str = "grow",
                 steps_per_epoch: int | None = None, max_step_size: float | None = None,
                 growth: float = 2.0, frozen: Iterable[torch.Tensor] = ()):
        if not 0 < c < 1:
            raise ValueError(f"Armijo constant c must be in (0, 1), got {c}")
        validate.positive(init_step_size, "init_step_size")
        validate.positive(fallback_step, "fallback_step")
        if not 0 < shrink < 1:
            raise ValueError(f"shrink must be in (0, 1), got {shrink}")
        validate.positive_int(max_backtracks, "max_backtracks")
        if reset not in RESETS:
            raise ValueError(f"reset must be one of {RESETS}, got {reset!r}")
        if reset != "constant" and not (steps_per_epoch and steps_per_epoch >= 1):
            raise ValueError(f"reset={reset!r} needs steps_per_epoch >= 1, got {steps_per_epoch}")
        if max_step_size is not None and not max_step_size > 0:
            raise ValueError(f"max_step_size must be positive or None, got {max_step_size}")
        if not (growth >= 1 and math.isfinite(growth)):
            raise ValueError(f"growth must be at least 1 and finite, got {growth}")
        defaults = dict(lr=init_step_size, c=c, init_step_size=init_step_size, shrink=shrink,
                        max_backtracks=max_backtracks, fallback_step=fallback_step, reset=reset,
                        growth=growth, steps_per_epoch=steps_per_epoch, max_step_size=max_step_size)
        super().__init__(params, defaults)
        self._saved: dict[torch.Tensor, torch.Tensor] = {}  # scratch copies of the parameters, not state
        self._frozen = list(frozen)
        self._kept = [torch.empty_like(t) for t in self._frozen]  # their values after the first forward

    def add_param_group(self, param_group: dict) -> None:
        """Add a group that shares the line search: it may repeat a line-search option only with
        the value of group 0 (of the constructor, for group 0). It starts at the current step."""
        i, reference = len(self.param_groups), (self.param_groups or [self.defaults])[0]
        unknown = sorted(set(param_group) - {"params", "param_names", *OPTIONS})
        if unknown:
            raise ValueError(f"ArmijoSGD param groups take no {', '.join(unknown)} (group {i}): the step "
                             "size comes from the line search and there is no weight decay or momentum; "
                             "give init_step_size and the other options to the constructor")
        for name in OPTIONS:
            if name in param_group and param_group[name] != reference[name]:
                where = "group 0" if self.param_groups else "the constructor"
                raise ValueError(f"ArmijoSGD shares one line search across groups: group {i} sets "
                                 f"{name}={param_group[name]!r} but {where} {name}={reference[name]!r}; "
                                 "give line-search options to the constructor only")
        super().add_param_group(param_group)
        self.param_groups[-1].update(lr=reference["lr"], steps_per_epoch=reference["steps_per_epoch"])

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:  # state_dicts saved before growth and lr were kept in groups
            group.setdefault("growth", 2.0)
            group.setdefault("lr", self._search["step_size"] or group["init_step_size"])

    @property
    def _search(self) -> dict:
        """Line-search state shared by all groups (a non-parameter key of ``self.state``, which
        ``state_dict`` keeps as it is)."""
        if "line_search" not in self.state:
            self.state["line_search"] = {"steps": 0, "step_size": None, "trials": 0, "failed_trials": 0,
                                         "fallbacks": 0, "block_sum": 0.0, "block_mean": None}
        return self.state["line_search"]

    @property
    def counts(self) -> dict:
        """Trials (forward passes of the line search), failed trials and fallback steps so far."""
        s = self._search
        return {"trials": s["trials"], "failed_trials": s["failed_trials"], "fallbacks": s["fallbacks"]}

    @property
    def last_step_size(self) -> float | None:
        """The step size of the last step (the fallback step if the search failed; None before
        the first step)."""
        return self._search["step_size"]

    def _trial(self, options: dict) -> float:
        s, reset, prev = self._search, options["reset"], self._search["step_size"]
        cap = options["max_step_size"] if options["max_step_size"] is not None else math.inf
        if reset == "sls":  # Alg. 1: grow before every search, the first one included
            prev = options["init_step_size"] if prev is None else prev
            return min(prev * options["growth"] ** (1 / options["steps_per_epoch"]), cap)
        if reset == "constant" or prev is None:
            return options["init_step_size"]
        if reset == "grow":
            return min(prev * options["growth"] ** (1 / options["steps_per_epoch"]), cap)
        if s["steps"] <= options["steps_per_epoch"]:  # "epoch_mean": the first M + 1 steps
            return options["init_step_size"]
        return min(2 * s["block_mean"], cap)

    def _record(self, step_size: float, options: dict) -> None:
        s = self._search
        s["steps"] += 1
        s["step_size"] = step_size
        s["block_sum"] += step_size
        if s["steps"] % (options["steps_per_epoch"] or 1) == 0:
            s["block_mean"], s["block_sum"] = s["block_sum"] / (options["steps_per_epoch"] or 1), 0.0
        for group in self.param_groups:  # where lr_scheduler-style loggers look
            group["lr"] = step_size

    @staticmethod
    def _move(params: list, saved: list, grads: list, step_size: float) -> None:
        """Set every parameter to its saved value minus ``step_size`` times its gradient."""
        torch._foreach_copy_(params, saved)
        torch._foreach_add_(params, grads, alpha=-step_size)

    @torch.no_grad()
    def step(self, closure: Callable[..., torch.Tensor]) -> torch.Tensor:
        """One SGD step with a step size found by the line search; returns the mini-batch loss
        at the parameters the step started from."""
        if closure is None:
            raise ValueError("ArmijoSGD needs a closure: the line search re-evaluates the mini-batch loss")
        with torch.enable_grad():
            loss = closure()
        params = [p for g in self.param_groups for p in g["params"] if p.grad is not None]
        grads = [p.grad for p in params]
        grad_norm_sq = torch.stack(torch._foreach_norm(grads)).square().sum() if grads else torch.zeros(())
        options = self.param_groups[0]
        if options["reset"] == "sls" and sls_skips(grad_norm_sq):
            return loss
        for kept, tensor in zip(self._kept, self._frozen):
            kept.copy_(tensor)
        saved = [self._saved.setdefault(p, torch.empty_like(p)) for p in params]
        torch._foreach_copy_(saved, params)  # multi-tensor kernels: a few launches, not one per tensor
        s = self._search
        step_size = self._trial(options)
        for trial in range(options["max_backtracks"]):
            if trial:
                step_size *= options["shrink"]
            self._move(params, saved, grads, step_size)
            s["trials"] += 1
            trial_loss = closure(backward=False)
            for tensor, kept in zip(self._frozen, self._kept):
                tensor.copy_(kept)
            if armijo_holds(loss.detach(), trial_loss, step_size, options["c"], grad_norm_sq):
                break
            s["failed_trials"] += 1
        else:  # every trial failed: Alg. 1 keeps the last one, the official code a fallback step
            if options["reset"] != "sls":
                step_size = options["fallback_step"]
                s["fallbacks"] += 1
                self._move(params, saved, grads, step_size)
        self._record(step_size, options)
        return loss
