"""Figures 1 and 2 of Ma, Bassily & Belkin: closed forms only (no run), each as one call that
returns the curves, the checks the claims are tested on, and the verdict."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from critbatch import scales

from . import quoted, theory

__all__ = ["ClosedForms", "figure1", "figure2"]


@dataclass(frozen=True)
class ClosedForms:
    """What Figure 1 or 2 shows: closed forms on a grid of batch sizes, their checks and verdict."""

    problems: pd.DataFrame  # the paper's three problems as it quotes them, with lambda_n = beta/n
    m: np.ndarray  # the grid of batch sizes
    curves: dict  # name -> values on m
    checks: pd.DataFrame  # the numbers the claims are tested on
    verdicts: pd.DataFrame  # per problem, "reproduced" or "differs" per claim
    verdict: str


def _problems() -> pd.DataFrame:
    problems = pd.DataFrame(quoted.INTERPOLATION_PROBLEMS).set_index("problem")
    problems["lambda_n"] = problems.beta / problems.n
    return problems[["kernel", "bandwidth", "n", "beta", "lambda_1", "lambda_n", "m_star"]]


def figure1(scale: str) -> ClosedForms:
    """s(m) (eq. 13) per problem, with its m* (eq. 14) and saturation level; the three forms of
    eq. 14 against the quoted m*, and s(inf)/s(m*) against 4. ``curves`` holds, per problem,
    ``s``, ``m_star`` and ``limit``."""
    problems = _problems()
    m = np.logspace(0, 4, scales.pick(scale, smoke=60, reduced=2000, paper=2000))
    curves, rows = {}, {}
    for p, r in problems.iterrows():
        args = (r.beta, r.lambda_1, r.lambda_n)
        curves[p] = {"s": theory.speedup(m, *args), "m_star": theory.critical_batch(*args),
                     "limit": theory.speedup_limit(*args)}
        rows[p] = {"m* quoted": r.m_star, "β/(λ1−λn)+1": curves[p]["m_star"],
                   "β/(λ1−β/n)+1": theory.practical_critical_batch(r.beta, r.lambda_1, r.n),
                   "β/λ1+1": theory.critical_batch(r.beta, r.lambda_1),
                   "s(∞)/s(m*)": curves[p]["limit"] / float(theory.speedup(curves[p]["m_star"], *args))}
    table = pd.DataFrame(rows).T.astype({"m* quoted": int})
    rounded = np.round(table["β/λ1+1"]).astype(int) == table["m* quoted"]
    table["verdict"] = np.where(rounded & (table["s(∞)/s(m*)"] < 4), "reproduced", "differs")
    forms = table[["β/(λ1−λn)+1", "β/(λ1−β/n)+1", "β/λ1+1"]].astype(float)
    spread = (forms.max(axis=1) - forms.min(axis=1)).max()
    worst = table["s(∞)/s(m*)"].max()
    text = (f"{rounded.sum()} of {len(table)} quoted critical batch sizes are β/λ1 + 1 "
            f"rounded to the nearest integer; the three forms of eq. 14 differ by at "
            f"most {spread:.3f}, since λn = β/n is tiny next to λ1. Beyond m*, no batch "
            f"size gains more than a factor {worst:.2f} (the largest s(∞)/s(m*)), "
            + ("below the paper's bound of 4." if worst < 4 else "above the paper's bound of 4."))
    return ClosedForms(problems, m, curves, table.drop(columns="verdict"), table, text)


def figure2(scale: str) -> ClosedForms:
    """For MNIST's parameters, the exact t(1)/t(m) (Theorem 4) and s(m) (eq. 13) on integer batch
    sizes (``curves``: ``exact``, ``s``, ``m_star``, ``limit``); for all three problems, each
    claim of Section 4.4 as a number and a verdict (tolerances ours: 1% for the approximations)."""
    problems = _problems()
    m = np.unique(np.round(np.logspace(0, 4, scales.pick(scale, smoke=80, reduced=3000, paper=3000))))
    mnist = problems.loc["MNIST"]
    args = (mnist.beta, mnist.lambda_1, mnist.lambda_n)
    curves = {"s": theory.speedup(m, *args), "exact": theory.iteration_ratio(m, *args),
              "m_star": theory.critical_batch(*args), "limit": theory.speedup_limit(*args)}
    rows = {}
    for p, r in problems.iterrows():
        args = (r.beta, r.lambda_1, r.lambda_n)
        ratio, s_m = theory.iteration_ratio(m, *args), theory.speedup(m, *args)
        crit = theory.critical_batch(*args)
        small = m[m <= crit]
        g_star = theory.optimal_contraction(m, *args)  # Theorem 4
        g_hat = theory.practical_contraction(m, *args, r.n)  # Theorem 5
        rows[p] = {
            "max rel. error of s(m)": np.max(np.abs(ratio - s_m) / ratio),
            "min s(m)/m, m ≤ m*": np.min(theory.speedup(small, *args) / small),
            "min η*(m)β/m, m ≤ m*": np.min(theory.optimal_step(small, *args) * r.beta / small),
            "s(∞)/s(m*)": theory.speedup_limit(*args) / theory.speedup(crit, *args),
            "argmin g*(m)^(1/m)": m[np.argmin(np.log(g_star) / m)],
            "argmin ĝ(m)^(1/m)": m[np.argmin(np.log(g_hat) / m)],
        }
    checks = pd.DataFrame(rows).T.astype({"argmin g*(m)^(1/m)": int, "argmin ĝ(m)^(1/m)": int})
    verdicts = pd.DataFrame({
        "t(1)/t(m) ≈ s(m)": checks["max rel. error of s(m)"] < 0.01,
        "linear scaling": checks["min s(m)/m, m ≤ m*"] > 0.99,
        "η ∝ m below m*": checks["min η*(m)β/m, m ≤ m*"] > 0.99,
        "saturation < 4": checks["s(∞)/s(m*)"] < 4,
        "Theorem 6: m = 1": checks["argmin g*(m)^(1/m)"] == 1,
        "Theorem 7: m = 1": checks["argmin ĝ(m)^(1/m)"] == 1,
    }).replace({True: "reproduced", False: "differs"})
    holds = verdicts.eq("reproduced").all()
    error = np.abs(curves["exact"] - curves["s"]) / curves["exact"]
    text = (f"{holds.sum()} of {len(holds)} claims hold for all three of the paper's problems"
            + ("" if holds.all() else f"; not: {', '.join(holds.index[~holds])}")
            + f". For the MNIST parameters the approximation s(m) is within "
            f"{error.max():.2%} of the exact ratio t(1)/t(m) at every batch size; its "
            f"error grows with m (right panel), from {error[m <= curves['m_star']].max():.3%} at "
            f"m* to {error.max():.3%} at m = {m[np.argmax(error)]:.0f}.")
    return ClosedForms(problems, m, curves, checks, verdicts, text)
