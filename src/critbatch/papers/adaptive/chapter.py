"""This paper's table of figures (:class:`critbatch.chapters.Chapter`): each figure's notebook,
its runs at each scale and the function that measures it and decides its claims.

Our figure names against the paper's (paper text, notes Sec. 1): ``sfo-batch-size`` is the
paper's Fig. 1; ``growth`` its Fig. 2 (exponential growth of both against linear
batch-size growth); ``joint-comparison`` its Figs. 3/4 (adaptive against fixed and periodic
schedules), and ``official-norm`` the same with the stages driven by the norm as the official
code measures it; ``batch-only`` asks the question of Figs. 3/4 of batch size alone; ``stage-table``
is the code's per-stage log; ``theory`` Propositions 1 and 2; the three ``beyond-*`` figures
are our own questions.
"""

from functools import partial

from critbatch.chapters import Chapter, Figure

from . import study

SUBSTITUTE = "substitute: CPU-sized stand-ins below paper scale (each claim names its own)"


def _sfo(scale: str, seed: int) -> dict:
    return study.sfo_runs(scale, seed)


def _joint(scale: str, seed: int) -> dict:
    return {name: study.joint_runs(scale, seed, name) for name in study.SETTINGS}


def _official(scale: str, seed: int) -> dict:
    return {"joint": study.joint_runs(scale, seed, "resnet"), "official": study.official_norm_runs(scale, seed)}


def _staged(scale: str, seed: int, name: str) -> dict:
    return {k: v for k, v in study.joint_runs(scale, seed, name).items() if k != "constant"}


def _proxy(scale: str, seed: int) -> dict:
    return {"proxies": study.proxy_runs(scale, seed), "conv": study.joint_runs(scale, seed, "resnet")}


def _adam(scale: str, seed: int) -> dict:
    return {"Adam": study.adam_runs(scale, seed), "SGD": study.light_joint_runs(scale, seed)}


CHAPTER = Chapter("adaptive", "2. Growing batch size and learning rate", figures=(
    Figure("theory", study.theory_figures, data="none: closed form"),
    Figure("sfo-batch-size", study.sfo_batch_size, _sfo, SUBSTITUTE),
    Figure("joint-comparison", study.joint_comparison, _joint, SUBSTITUTE),
    Figure("official-norm", study.official_norm, _official, SUBSTITUTE),
    Figure("growth", study.growth, study.growth_runs, SUBSTITUTE),
    Figure("stage-table", partial(study.stage_tables, name="resnet"), partial(_staged, name="resnet"), SUBSTITUTE),
    Figure("batch-only", study.batch_only, study.batch_only_runs, SUBSTITUTE),
    Figure("beyond-stability", study.stability, study.stability_runs, SUBSTITUTE),
    Figure("beyond-proxy", study.proxy, _proxy, SUBSTITUTE),
    Figure("beyond-adam", study.adam, _adam, SUBSTITUTE),
))
