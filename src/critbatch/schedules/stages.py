r"""Stages that advance every K steps / E epochs, or when a measured quantity falls below a threshold.

:class:`Stages` is the only stateful piece of :mod:`critbatch.schedules`: its state is the current
stage :math:`m` (plus where each stage began, for logging). Schedules read :math:`m` through
``Progress.stage`` with ``unit="stage"``. This is Paper 2's scheduler (Umeda & Iiduka 2025,
arXiv 2508.05302; notes Sec. 2.3): the batch size :math:`b_m` and learning rate :math:`\eta_m`
grow by stages that advance periodically or when the full-gradient norm reaches
:math:`\varepsilon_m`, at most once per check.

>>> st = stages_from_spec({"kind": "threshold", "metric": "grad_norm", "thresholds": [1.0, 0.5]})
>>> p = Progress(step=1000, epoch=0.5, examples=8000)
>>> [st.update(p, {"grad_norm": g}) for g in (1.2, 0.9, 0.7, 0.4, 0.1)], st.stage, st.threshold
([False, True, False, True, False], 2, None)
"""

from __future__ import annotations

import math
import warnings

from ..specs import resolve
from .progress import Progress
from .thresholds import Ladder, batch_ladder, batch_lr_ladder, last_stage, list_ladder

__all__ = ["Stages", "periodic_stages", "stages_from_spec", "threshold_stages"]


class Stages:
    """The current stage of a run; build one with :func:`stages_from_spec`.

    Args:
      period: ``("step", K)`` or ``("epoch", E)``: stage = completed periods; or None.
      metric: the measurement compared with the thresholds (threshold stages), e.g. ``"grad_norm"``.
      ladder: :math:`m \\mapsto \\varepsilon_m` (threshold stages).
      max_stages: the number of stages; the index stays below it (None: no bound).
    """

    def __init__(self, period: tuple[str, float] | None = None, metric: str | None = None,
                 ladder: Ladder | None = None, max_stages: int | None = None):
        if (period is None) == (ladder is None):
            raise ValueError("give either a period or a threshold ladder")
        if max_stages is not None and not (isinstance(max_stages, int) and max_stages >= 1):
            raise ValueError(f"max_stages must be an int >= 1, got {max_stages!r}")
        self.period, self.metric, self.ladder, self.max_stages = period, metric, ladder, max_stages
        self.stage = 0
        self._log = [self._record(Progress(step=0, epoch=0.0, examples=0))]

    @property
    def threshold(self) -> float | None:
        """The value the metric must reach to end this stage; None if periodic or in the last stage."""
        if self.ladder is None or self._final(self.stage):
            return None
        return self.ladder(self.stage)

    def update(self, progress: Progress, measurements: dict | None = None) -> bool:
        """Advance the stage if due; return whether it advanced.

        Periodic stages need only ``progress``; call this at every step for exact records.
        Threshold stages advance by one when ``measurements[metric] <= threshold``; an empty or
        missing ``measurements`` means no check at this step.
        """
        if not isinstance(progress, Progress):
            raise TypeError(f"update needs a Progress record, got {type(progress).__name__}")
        before = self.stage
        if self.period is not None:
            unit, length = self.period
            target = math.floor(getattr(progress, unit) / length + 1e-9)
            while self.stage < target and not self._final(self.stage):
                self._advance(progress)
        elif measurements:
            if self.metric not in measurements:
                raise ValueError(f"threshold stages need the measurement {self.metric!r}, got "
                                 f"{sorted(measurements)}; measure it at each check")
            threshold = self.threshold
            if threshold is not None and float(measurements[self.metric]) <= threshold:
                self._advance(progress)
        return self.stage > before

    def log(self) -> list[dict]:
        """One record per stage so far: ``stage``, and ``step``, ``epoch``, ``examples`` where it
        began (as seen by :meth:`update`), and its ``threshold``."""
        return [dict(r) for r in self._log]

    def state_dict(self) -> dict:
        """The state, JSON-able: ``{"stage": m, "log": [records]}``."""
        return {"stage": self.stage, "log": self.log()}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""
        stage, log = int(state["stage"]), [dict(r) for r in state["log"]]
        if len(log) != stage + 1 or (self.max_stages is not None and stage >= self.max_stages):
            raise ValueError(f"state does not fit these stages: stage {stage}, {len(log)} records, "
                             f"max_stages {self.max_stages}")
        self.stage, self._log = stage, log

    def __repr__(self) -> str:
        rule = f"period={self.period}" if self.period else f"metric={self.metric!r}, threshold={self.threshold}"
        return f"Stages(stage={self.stage}, {rule}, max_stages={self.max_stages})"

    def _final(self, stage: int) -> bool:
        return (self.max_stages is not None and stage >= self.max_stages - 1) or (
            self.ladder is not None and self.ladder(stage) is None)

    def _advance(self, progress: Progress) -> None:
        self.stage += 1
        self._log.append(self._record(progress))

    def _record(self, progress: Progress) -> dict:
        return {"stage": self.stage, "step": progress.step, "epoch": progress.epoch,
                "examples": progress.examples, "threshold": self.threshold}


def periodic_stages(steps: int | None = None, epochs: float | None = None,
                    max_stages: int | None = None) -> Stages:
    r"""Stages of fixed length: :math:`m = \lfloor k / K \rfloor` or :math:`\lfloor e / E \rfloor`.

    Here :math:`k` is the step, :math:`e` the (fractional) epoch, :math:`K` is ``steps`` and
    :math:`E` is ``epochs`` (give exactly one); Paper 2's periodic baseline has :math:`K = 20{,}000`.
    """
    if (steps is None) == (epochs is None):
        raise ValueError("give exactly one of steps= or epochs= for periodic stages")
    unit, length = ("step", steps) if steps is not None else ("epoch", epochs)
    if not length > 0:
        raise ValueError(f"the period must be > 0, got {unit}s={length!r}")
    return Stages(period=(unit, length), max_stages=max_stages)


def threshold_stages(metric: str = "grad_norm", init: float | None = None, rule: str = "batch",
                     batch0: int | None = None, delta: float | None = None, gamma: float | None = None,
                     batch_max: int | None = None, thresholds: list[float] | None = None,
                     max_stages: int | None = None) -> Stages:
    r"""Stages that advance when ``metric`` reaches :math:`\varepsilon_m` (Paper 2's adaptive rule).

    Thresholds are ``thresholds`` when given, else rule ``"batch"``
    (:math:`\varepsilon_m = \varepsilon_0\sqrt{b_0/b_m}`, the official code, needs ``init``,
    ``batch0``, ``delta``) or ``"batch_lr"`` (:math:`\varepsilon_{m+1} = \varepsilon_m
    \sqrt{\gamma/\delta}`, needs ``init``, ``delta``, ``gamma``); see :mod:`.thresholds`. With
    ``batch_max``, the stage where :math:`b_m \ge b_{\max}` is the last (the code switches only
    while :math:`b < b_{\max}`). Warns when :math:`\gamma \ge \sqrt\delta`, outside Paper 2's theory.
    """
    if thresholds is not None:
        if any(a is not None for a in (init, batch0, delta, gamma, batch_max)):
            raise ValueError("give either thresholds= or init/batch0/delta/gamma/batch_max, not both")
        return Stages(metric=metric, ladder=list_ladder(thresholds), max_stages=max_stages)
    if rule not in ("batch", "batch_lr"):
        raise ValueError(f"unknown threshold rule {rule!r}; use 'batch' or 'batch_lr' (or give thresholds=)")
    needed = {"init": init, "delta": delta, **({"batch0": batch0} if rule == "batch" else {"gamma": gamma})}
    if missing := [k for k, v in needed.items() if v is None]:
        raise ValueError(f"threshold rule {rule!r} needs {', '.join(missing)}")
    if gamma is not None and gamma >= math.sqrt(delta):
        warnings.warn(f"gamma={gamma} >= sqrt(delta)={math.sqrt(delta):.4g}: outside Paper 2's theory, "
                      "which needs gamma < sqrt(delta) for the variance term to vanish", stacklevel=2)
    if rule == "batch":
        ladder = batch_ladder(init, batch0, delta, batch_max)
    else:
        ladder = batch_lr_ladder(init, delta, gamma)
    if batch_max is not None:
        if batch0 is None or not batch_max >= 1:
            raise ValueError("batch_max needs batch0 (and batch_max >= 1)")
        last = last_stage(batch0, delta, batch_max)
        if last is not None:
            max_stages = min(max_stages or math.inf, last + 1)
    return Stages(metric=metric, ladder=ladder, max_stages=max_stages)


_KINDS = {"every": periodic_stages, "threshold": threshold_stages}


def stages_from_spec(spec: dict) -> Stages:
    """Build stages from ``{"kind": "every" | "threshold", **arguments}``."""
    return resolve(spec, _KINDS, "stages")()
