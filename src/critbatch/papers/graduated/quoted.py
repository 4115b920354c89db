"""Numbers quoted from Sato & Iiduka (arXiv 2311.08745), its official code and our reproduction
notes: the only typed-in numbers of this chapter.

The full text of the paper could not be read when the notes were written; each entry says
where it comes from (the notes' tags: [code] read in the authors' repository
``naoki-sato3/new-sigma-nice``; [pdf-extract] read off the authors' own result figure; [review]
quoted by the public ICLR-2025 reviews; [notes] derived in the notes). Notebooks compare what
they compute with these; nothing here is ever used as a result.
"""

from __future__ import annotations

__all__ = ["CONVEXITY_THRESHOLD", "EGO", "LR_SCHEDULES", "SMOOTHING_SCRIPT", "VARIANT_STEPS", "VARIANTS_PAPER"]

#: Notes Sec. 5.8 [notes]: the Gaussian-smoothed 1-D Rastrigin is convex for delta >= 0.517.
CONVEXITY_THRESHOLD = 0.517

#: The authors' ``smoothing.py`` (2024-11) [code]: delta, Monte-Carlo samples per point, the grid.
SMOOTHING_SCRIPT = {"delta": 0.5, "samples": 1000, "x_min": -5.0, "x_max": 5.0, "points": 100}

#: ``cifar.py`` defaults and the four variants [code]: every 40 epochs delta = eta C / sqrt(b)
#: shrinks by 1/sqrt(2); (lr factor, batch factor) per stage.
VARIANTS_PAPER = {"lr0": 0.1, "b0": 32, "epochs": 200, "every": 40,
                  "factors": {"constant": (1.0, 1.0), "lr": (0.7071067811865476, 1.0), "batch": (1.0, 2.0),
                              "hybrid": (0.8660254037844386, 1.5)}}

#: Optimizer steps over 200 epochs of CIFAR-100 (50,000 images, last partial batch kept), with the
#: code's one-epoch offset between the eta and b changes (notes Sec. 3.2 [code], counted there).
VARIANT_STEPS = {"constant": 312_600, "lr": 312_600, "batch": 122_665, "hybrid": 164_134}

#: LR-schedule comparison, ResNet-18 on CIFAR-100, 200 epochs, eta0 = 0.1, constant batch
#: [pdf-extract, one run per curve; notes Sec. 2.2]: final test accuracy (%) and training loss.
LR_SCHEDULES = {
    "polynomial p = 0.1": (72.00, 0.0038), "polynomial p = 0.5": (72.25, 0.0024),
    "polynomial p = 0.9": (72.18, 0.0030), "polynomial p = 1": (72.40, 0.0032),
    "polynomial p = 2": (71.85, 0.0052), "polynomial p = 4": (71.82, 0.0132),
    "polynomial p = 8": (70.63, 0.0505), "cosine": (72.16, 0.0034), "exponential": (70.20, 0.100),
}

#: The authors' explicit graduated optimisation toy (AAAI-25 follow-up, ``ego.py`` [code]; notes
#: Sec. 5.7): Rastrigin in D = 50, start uniform in [-5.12, 5.12]^D, M = 50 rounds from
#: delta_1 = 1 with gamma_m = (M - m)/(M - m + 1), a last round at delta = 0.01, 20 gradient
#: steps per round of size l0 * delta_m with l0 = 0.01.
EGO = {"dimension": 50, "box": 5.12, "rounds": 50, "delta_1": 1.0, "last_delta": 0.01, "steps": 20, "lr": 0.01}
