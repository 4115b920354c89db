"""This paper's table of figures (:class:`critbatch.chapters.Chapter`): each figure's notebook,
its runs at each scale and the function that measures it and decides its claims.

The closed forms and toys (:mod:`.study`) load no runs; the trained figures (:mod:`.trained`)
take the runs of :func:`.trained.figure_configs`: the labelled substitute at ``smoke`` and
``reduced``, the paper's CIFAR-100 ResNet-18 settings at ``paper``. The WRN-28-10 and ImageNet
configurations of :func:`.trained.paper_configs` are drawn by no figure, so they are not listed.
"""

from __future__ import annotations

from functools import partial

from critbatch.chapters import Chapter, Figure, Result

from . import claims, study, trained

__all__ = ["CHAPTER"]

_SUBSTITUTE = "substitute: Fashion-MNIST, ResNet-18 layout at reduced width"


def _closed(compute, decide, loaded, scale: str, seed: int, **options) -> Result:
    """A figure with no runs: ``compute(scale, seed)`` and its claims ``decide(data)``."""
    data = compute(scale, seed)
    return Result(data, decide(data))


def _trained(compute, decide, loaded, scale: str, seed: int, **options) -> Result:
    """A trained figure: ``compute(loaded, scale)`` and its claims ``decide(data)``."""
    data = compute(loaded, scale)
    return Result(data, decide(data))


def _runs(figure: str, scale: str, seed: int) -> dict:
    """``{label: [config per seed]}`` of one trained figure at ``scale``."""
    return trained.figure_configs(scale, seed)[figure]


def _unseeded(compute, scale: str, seed: int):
    return compute(scale)


_TOYS = "none: the paper's test functions"
CHAPTER = Chapter("graduated", "4. Implicit graduated optimization", figures=(
    Figure("fig1-smoothing", partial(_closed, study.smoothing, claims.smoothing), data=_TOYS),
    Figure("fig2-heavy-tails", partial(_closed, study.heavy_tails, claims.heavy_tails), data=_TOYS),
    Figure("fig3-schedules", partial(_closed, partial(_unseeded, study.schedules), claims.schedules),
           data="none: closed form"),
    Figure("fig4-variants", partial(_trained, trained.four_variants, claims.four_variants),
           partial(_runs, "F4 four variants"), data=_SUBSTITUTE),
    Figure("fig5-lr-schedules", partial(_trained, trained.lr_schedules, claims.lr_schedules),
           partial(_runs, "F5 LR schedules"), data=_SUBSTITUTE),
    Figure("fig6-sharpness", partial(_trained, trained.sharpness_sweep, claims.sharpness_sweep),
           partial(_runs, "F6 (η, b) sweep"), data=_SUBSTITUTE),
    Figure("fig7-noise", partial(_trained, trained.gradient_noise, claims.gradient_noise),
           partial(_runs, "F7 gradient noise"), data=_SUBSTITUTE),
    Figure("theory", partial(_closed, partial(_unseeded, study.ladder), claims.ladder), data="none: closed form"),
    Figure("fig8-explicit-go", partial(_closed, study.explicit_go, claims.explicit_go), data=_TOYS),
    Figure("beyond-smoothing", partial(_trained, trained.smoothing_check, claims.smoothing_check),
           partial(_runs, "F4 four variants"),
           data=_SUBSTITUTE),
))
