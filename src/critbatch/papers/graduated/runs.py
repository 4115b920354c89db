"""The runs each trained figure of this chapter needs, for ``python -m critbatch.sweep``: the
same configs the notebooks load, listed without loading anything: :func:`.trained.substitute_configs`
at ``smoke`` and ``reduced``, :func:`.trained.paper_configs` (CIFAR-100, for a GPU cluster) at
``paper``, where Figure 4 also lists the paper's WRN-28-10 variants. The ImageNet figure is not
listed: its config is kept in ``paper_configs``, but the core has no ImageNet data or network."""

from __future__ import annotations

from critbatch.sweep import figure

from . import trained

#: The paper-scale figures that also list the WRN-28-10 runs of ``paper_configs``.
WIDE = {"F4 four variants": "F4 four variants, WRN-28-10"}


def _configs(scale: str) -> dict:
    return trained.paper_configs() if scale == "paper" else trained.substitute_configs(scale)


def _runs(name: str):
    def configs(scale: str, store) -> list:
        chosen = _configs(scale)
        names = (name, WIDE[name]) if scale == "paper" and name in WIDE else (name,)
        return [c for n in names for runs in chosen[n].values() for c in runs]

    return configs


figure("graduated", "fig4-variants")(_runs("F4 four variants"))
figure("graduated", "fig5-lr-schedules")(_runs("F5 LR schedules"))
figure("graduated", "fig6-sharpness")(_runs("F6 (η, b) sweep"))
figure("graduated", "fig7-noise")(_runs("F7 gradient noise"))
figure("graduated", "beyond-smoothing")(
    lambda scale, store: [runs[0] for runs in _configs(scale)["F4 four variants"].values()])
