"""This paper's table of figures (:class:`critbatch.chapters.Chapter`): each figure's notebook,
its runs at each scale (:mod:`.study`) and the function that measures it and decides its claims
(:mod:`.closed_forms`, :mod:`.measures`)."""

from __future__ import annotations

from functools import partial

from critbatch.chapters import Chapter, Figure

from . import closed_forms, measures, study

__all__ = ["CHAPTER"]

_CLOSED_FORM = "none: closed form"
#: Per panel, each decision names its data: MNIST real, HINT-S and TIMIT a labelled substitute below `paper`.
_PANELS = "real (MNIST); substitute: Fashion-MNIST for HINT-S and TIMIT below the paper scale"


def _experiment_runs(scale: str, seed: int = 0) -> dict:
    """The runs of Figures 3-6 and of the measured speed-ups, by figure (the overview's)."""
    return {"fig3": study.figure3_runs(scale, seed),
            "fig4": study.kernel_figure_runs(study.figure4_runs, scale, seed),
            "fig5": study.kernel_figure_runs(study.figure5_runs, scale, seed),
            "speedups": study.kernel_figure_runs(study.speedup_runs, scale, seed)}


CHAPTER = Chapter("interpolation", "3. The power of interpolation", figures=(
    Figure("fig1-speedup", closed_forms.figure1, data=_CLOSED_FORM),
    Figure("fig2-regimes", closed_forms.figure2, data=_CLOSED_FORM),
    Figure("table-variance-reduction", measures.variance_reduction, study.variance_reduction_runs,
           data="none: a synthetic interpolating least-squares problem (ours; the paper runs no experiment)"),
    Figure("fig3-histograms", measures.figure3, study.figure3_runs, data=_PANELS),
    Figure("fig4-iterations", measures.figure4, partial(study.kernel_figure_runs, study.figure4_runs), data=_PANELS),
    Figure("fig5-epochs", measures.figure5, partial(study.kernel_figure_runs, study.figure5_runs), data=_PANELS),
    Figure("fig6-train-test", measures.figure6, partial(study.kernel_figure_runs, study.figure5_runs), data=_PANELS),
    Figure("speedup-measured", measures.speedups, partial(study.kernel_figure_runs, study.speedup_runs),
           data=_PANELS),
    Figure("claims-experiments", measures.all_claims, _experiment_runs, data=_PANELS),
))
