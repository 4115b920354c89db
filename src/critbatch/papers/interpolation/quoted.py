"""Numbers quoted from Ma, Bassily & Belkin: the only typed-in numbers of this chapter.

Each entry says where in the paper it comes from. Notebooks compare what they compute with
these; nothing here is ever used as a result.
"""

from __future__ import annotations

__all__ = ["INTERPOLATION_PROBLEMS"]

#: Ma, Bassily & Belkin (arXiv 1712.06559v1), titles of Figure 5 (a)-(c): the three kernel
#: least-squares problems of Figures 4-6, each with n = 10^4 training points and beta = 1.
INTERPOLATION_PROBLEMS = [
    {"problem": "MNIST", "kernel": "Gaussian", "bandwidth": 5.0, "n": 10_000, "beta": 1.0, "lambda_1": 0.15, "m_star": 8},
    {"problem": "HINT-S", "kernel": "Gaussian", "bandwidth": 16.0, "n": 10_000, "beta": 1.0, "lambda_1": 0.3, "m_star": 4},
    {"problem": "TIMIT", "kernel": "Gaussian", "bandwidth": 11.0, "n": 10_000, "beta": 1.0, "lambda_1": 0.054, "m_star": 20},
]
