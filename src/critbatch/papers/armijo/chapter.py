"""This paper's table of figures (:class:`critbatch.chapters.Chapter`): each figure's notebook,
its runs at each scale and the function that measures it and decides its claims."""

from functools import partial

from critbatch.chapters import Chapter, Figure

from . import study

SUBSTITUTE = f"substitute: {study.SUBSTITUTE} (below paper scale)"

CHAPTER = Chapter("armijo", "1. SGD with an Armijo line search", figures=(
    Figure("mnist-steps-sfo", partial(study.steps_sfo, parts=("shape",)), study.mnist_sweep_runs),
    Figure("mnist-evaluations", partial(study.steps_sfo, parts=("fewest",)), study.mnist_sweep_runs),
    Figure("mnist-two-targets", partial(study.steps_sfo, parts=("two targets",)), study.mnist_sweep_runs),
    Figure("mnist-step-sizes", study.step_sizes, study.mnist_step_size_runs),
    Figure("mnist-training-curves", study.curves, study.curve_runs),
    Figure("cifar-steps-sfo", study.cifar_steps_sfo, study.cifar_sweep_runs, data=SUBSTITUTE),
    Figure("cifar-step-sizes-curves", study.cifar_step_sizes_curves, study.cifar_curve_runs, data=SUBSTITUTE),
    Figure("open-questions", study.open_questions, study.open_question_runs, data=SUBSTITUTE),
))
