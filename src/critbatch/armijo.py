r"""SGD with a backtracking Armijo line search on the mini-batch (Tsukada & Iiduka, arXiv
2307.13831; the stochastic line search of Vaswani et al. 2019, Alg. 1, without momentum).

At step :math:`k`, with the mini-batch loss :math:`f_B` and its gradient :math:`g_k`, the step
size :math:`\alpha_k` is the first of :math:`\alpha, \delta\alpha, \delta^2\alpha, \dots` (at most
``max_backtracks`` tries) that satisfies the Armijo condition on the *same* mini-batch,

.. math:: f_B(\theta_k - \alpha g_k) \le f_B(\theta_k) - c\,\alpha\,\|g_k\|^2,

and :math:`\theta_{k+1} = \theta_k - \alpha_k g_k`. If every try fails, a step of
``fallback_step`` is taken, as in the official code. The first trial :math:`\alpha` comes from a
reset rule:

* ``"constant"``: ``init_step_size`` at every step (the paper-level algorithm);
* ``"grow"``: the previous accepted step times :math:`2^{1/M}`, :math:`M` steps per epoch (the
  SLS default, the arXiv-era code), capped at ``max_step_size`` if given;
* ``"epoch_mean"``: ``init_step_size`` until :math:`M + 1` steps have been accepted, then twice
  the mean accepted step of the last complete block of :math:`M` steps, capped at
  ``max_step_size`` (the TMLR code's option 4).

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
>>> opt.last_step_size, w.item()  # 1.0 fails, 0.5 passes: w = 3 - 0.5 * 6
(0.5, 0.0)
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch.optim import Optimizer

__all__ = ["ArmijoSGD", "armijo_holds"]

RESETS = ("constant", "grow", "epoch_mean")


def armijo_holds(loss: torch.Tensor, trial_loss: torch.Tensor, step_size: float, c: float,
                 grad_norm_sq: torch.Tensor) -> bool:
    r"""The Armijo condition :math:`f(\theta - \alpha g) \le f(\theta) - c\,\alpha\,\|g\|^2`."""
    return bool(trial_loss <= loss - c * step_size * grad_norm_sq)


class ArmijoSGD(Optimizer):
    """SGD whose step size is found by backtracking until the Armijo condition holds.

    Args:
        params: parameters or parameter groups. One step size is shared by all of them, and the
            line-search options are read from the first group.
        c: Armijo constant, in (0, 1) (default 0.1, the paper's main value).
        init_step_size: first trial step (default 1, the arXiv-era code; the TMLR code uses 0.05).
        shrink: backtracking factor delta in (0, 1) (default 0.9).
        max_backtracks: tries per step before the fallback step (default 100).
        fallback_step: the step taken when every try fails (default 1e-6).
        reset: ``"grow"`` (default), ``"epoch_mean"`` or ``"constant"``; see the module docstring.
        steps_per_epoch: M of the reset rules (required by ``"grow"`` and ``"epoch_mean"``).
        max_step_size: cap on the trial step (None: no cap; the TMLR code uses 10).
    """

    def __init__(self, params, c: float = 0.1, init_step_size: float = 1.0, shrink: float = 0.9,
                 max_backtracks: int = 100, fallback_step: float = 1e-6, reset: str = "grow",
                 steps_per_epoch: int | None = None, max_step_size: float | None = None):
        if not 0 < c < 1:
            raise ValueError(f"Armijo constant c must be in (0, 1), got {c}")
        if not init_step_size > 0:
            raise ValueError(f"init_step_size must be positive, got {init_step_size}")
        if not 0 < shrink < 1:
            raise ValueError(f"shrink must be in (0, 1), got {shrink}")
        if max_backtracks < 1:
            raise ValueError(f"max_backtracks must be at least 1, got {max_backtracks}")
        if reset not in RESETS:
            raise ValueError(f"reset must be one of {RESETS}, got {reset!r}")
        if reset != "constant" and not (steps_per_epoch and steps_per_epoch >= 1):
            raise ValueError(f"reset={reset!r} needs steps_per_epoch >= 1, got {steps_per_epoch}")
        if max_step_size is not None and not max_step_size > 0:
            raise ValueError(f"max_step_size must be positive or None, got {max_step_size}")
        defaults = dict(c=c, init_step_size=init_step_size, shrink=shrink, max_backtracks=max_backtracks,
                        fallback_step=fallback_step, reset=reset, steps_per_epoch=steps_per_epoch,
                        max_step_size=max_step_size)
        super().__init__(params, defaults)
        self._saved: dict[torch.Tensor, torch.Tensor] = {}  # scratch copies of the parameters, not state

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
        """The step size of the last step (the fallback step if the search failed)."""
        return self._search["step_size"]

    def _trial(self, options: dict) -> float:
        s = self._search
        cap = options["max_step_size"] if options["max_step_size"] is not None else math.inf
        if options["reset"] == "constant" or s["step_size"] is None:
            return options["init_step_size"]
        if options["reset"] == "grow":
            return min(s["step_size"] * 2 ** (1 / options["steps_per_epoch"]), cap)
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
        saved = [self._saved.setdefault(p, torch.empty_like(p)) for p in params]
        torch._foreach_copy_(saved, params)  # multi-tensor kernels: a few launches, not one per tensor
        grad_norm_sq = torch.stack(torch._foreach_norm(grads)).square().sum() if grads else torch.zeros(())
        options = self.param_groups[0]
        s = self._search
        step_size = self._trial(options)
        for _ in range(options["max_backtracks"]):
            self._move(params, saved, grads, step_size)
            s["trials"] += 1
            if armijo_holds(loss.detach(), closure(backward=False), step_size, options["c"], grad_norm_sq):
                break
            s["failed_trials"] += 1
            step_size *= options["shrink"]
        else:
            step_size = options["fallback_step"]
            s["fallbacks"] += 1
            self._move(params, saved, grads, step_size)
        self._record(step_size, options)
        return loss
