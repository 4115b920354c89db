"""Numbers quoted for Umeda & Iiduka (arXiv 2508.05302): the only typed-in numbers of this chapter.

The paper's body could not be read (only its title, abstract and the opening of its introduction),
so **no figure, table or result of the paper is quoted here**. What is quoted are the settings
released with the official code (``hikarumeda1030/adaptive_scheduler``, HEAD 0d45fb9, read in
full for our notes, Sec. 2-3, 5), each with the file it comes from, and the abstract's one
qualitative claim. Notebooks compare what they compute with these; nothing here is a result.
"""

from __future__ import annotations

__all__ = ["ABSTRACT_CLAIM", "CODE", "CODE_F1_EPSILONS", "PAPER_NUMBERS"]

#: The released settings (``src/json/{const,periodic,free}.json``, ``src/cifar10.py``,
#: ``src/cifar100.py``, ``utils/get_bs_eps_scheduler.py``).
CODE = {
    "b0": 8,  # first batch size of the periodic and adaptive schedules (json)
    "delta": 2,  # batch-size factor per stage, "bs_exp_rate" (json)
    "eta0": 0.1,  # first learning rate, all three schedules (json)
    "gamma": 1.4,  # learning-rate factor per stage, "lr_exp_rate" (json)
    "eps0": 0.5,  # first threshold of the adaptive schedule, "eps" (json)
    "check_every": 1000,  # steps between full-gradient checks (json; 450 if absent)
    "period": 20_000,  # steps per stage of the periodic schedule (hard-coded)
    "batch_max": 4096,  # MAX_BS in both CIFAR scripts
    "constant_b": 128,  # the constant schedule's batch size (json)
    "epochs": 200,  # all three json configs
    "cifar10_steps": 45_000,  # TOTAL_STEPS of cifar10.py
    "densenet_growth": 12,  # models/densenet.py (named densenet121 there)
}
#: The two accuracies hard-coded in the authors' SFO measurement (``bs_free/src/cifar10.py``,
#: commit "add SFO"), which we take to be the paper's Figure 1 (an inference: notes Sec. 4).
CODE_F1_EPSILONS = (1.0, 0.5)
#: The abstract's claim, the only statement of a result we could read.
ABSTRACT_CLAIM = ("the adaptive joint scheduler, with exponentially increasing batch size and learning rate, "
                  "converges faster than schedulers with fixed or periodically updated hyperparameters")
#: Numbers printed in the paper's figures or tables: none could be read.
PAPER_NUMBERS: dict = {}
