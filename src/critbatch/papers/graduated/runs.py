"""The runs each trained figure of this chapter needs, for ``python -m critbatch.sweep``: the
same configs the notebooks load (:func:`.trained.substitute_configs`), listed without loading
anything. The paper-scale configs (:func:`.trained.paper_configs`, CIFAR-100) need the data and a
GPU; they are listed by ``paper_configs`` and not by the sweep here."""

from __future__ import annotations

from critbatch.sweep import figure

from . import trained


def _runs(name: str):
    def configs(scale: str, store) -> list:
        return [c for runs in trained.substitute_configs(scale)[name].values() for c in runs]

    return configs


figure("graduated", "fig4-variants")(_runs("F4 four variants"))
figure("graduated", "fig5-lr-schedules")(_runs("F5 LR schedules"))
figure("graduated", "fig6-sharpness")(_runs("F6 (η, b) sweep"))
figure("graduated", "fig7-noise")(_runs("F7 gradient noise"))
figure("graduated", "beyond-smoothing")(
    lambda scale, store: [runs[0] for runs in trained.substitute_configs(scale)["F4 four variants"].values()])
