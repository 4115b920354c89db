"""This paper's table of figures (:class:`critbatch.chapters.Chapter`): each figure's notebook,
its runs at each scale and the function that measures it and decides its claims."""

from critbatch.chapters import Chapter, Figure

from . import study

CHAPTER = Chapter("synthesis", "5. Synthesis: four critical batch sizes", figures=(
    Figure("critical-batch", study.critical_batch, study.runs),
))
