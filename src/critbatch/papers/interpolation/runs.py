"""The runs each figure of this chapter needs, for ``python -m critbatch.sweep``: the same
configs the notebooks load (:mod:`.study`), listed without training anything. Figures 4-6 and
the measured speed-ups need the bandwidth searches of their substitute problems first: while
one is not stored, ``study.panels`` raises ``MissingResult`` naming it, and the sweep trains it."""

from __future__ import annotations

from critbatch.sweep import figure

from . import study


def _per_panel(runs_of, scale: str, store) -> list:
    """The searches the panels stand on, then the figure's runs on every panel."""
    return [*study.bandwidth_searches(scale).values(),
            *(c for panel in study.panels(scale, store) for configs in runs_of(panel, scale).values() for c in configs)]


figure("interpolation", "fig3-histograms")(
    lambda scale, store: [study.figure3_run(panel, scale) for panel in study.figure3_panels(scale)])
figure("interpolation", "fig4-iterations")(lambda scale, store: _per_panel(study.figure4_runs, scale, store))
for name in ("fig5-epochs", "fig6-train-test"):
    figure("interpolation", name)(lambda scale, store: _per_panel(study.figure5_runs, scale, store))
figure("interpolation", "speedup-measured")(lambda scale, store: _per_panel(study.speedup_runs, scale, store))
figure("interpolation", "table-variance-reduction")(
    lambda scale, store: [c for configs in study.variance_reduction_runs(scale).values() for c in configs])
