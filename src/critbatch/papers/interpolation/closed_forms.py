"""Figures 1 and 2 of Ma, Bassily & Belkin: closed forms only (no run), each a figure measure
(:class:`critbatch.chapters.Figure`) that returns the curves, the checks and the derived claims."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from critbatch import scales
from critbatch.analysis.verdicts import Claims
from critbatch.chapters import Result

from . import claims, quoted, theory

__all__ = ["ClosedForms", "figure1", "figure2"]


@dataclass(frozen=True)
class ClosedForms:
    """What Figure 1 or 2 shows: closed forms on a grid of batch sizes, and the numbers its claims
    are decided on."""

    problems: pd.DataFrame  # the paper's three problems as it quotes them, with lambda_n = beta/n
    m: np.ndarray  # the grid of batch sizes
    curves: dict  # name -> values on m
    checks: pd.DataFrame  # the numbers the claims are tested on, per problem


def _problems() -> pd.DataFrame:
    problems = pd.DataFrame(quoted.INTERPOLATION_PROBLEMS).set_index("problem")
    problems["lambda_n"] = problems.beta / problems.n
    return problems[["kernel", "bandwidth", "n", "beta", "lambda_1", "lambda_n", "m_star"]]


def _decided(checks: pd.DataFrame, by_claim: dict) -> Claims:
    """Each claim on each of the paper's problems, from its column of ``checks`` (one value: a closed form)."""
    return Claims.of(claim.decide({None: checks.loc[p, column]}, setting=p)
                     for claim, column in by_claim.items() for p in checks.index)


def figure1(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """s(m) (eq. 13) per problem, with its m* (eq. 14) and saturation level; the three forms of
    eq. 14 against the quoted m*, and s(inf)/s(m*) against 4. ``curves`` holds, per problem,
    ``s``, ``m_star`` and ``limit``. ``loaded``, ``seed`` and ``options`` are unused (no runs)."""
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
    table["rounded is quoted"] = np.round(table["β/λ1+1"]).astype(int) == table["m* quoted"]
    decided = _decided(table, {claims.M_STAR_ROUNDED: "rounded is quoted", claims.SATURATION_BOUND: "s(∞)/s(m*)"})
    return Result(ClosedForms(problems, m, curves, table), decided)


def figure2(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """For MNIST's parameters, the exact t(1)/t(m) (Theorem 4) and s(m) (eq. 13) on integer batch
    sizes (``curves``: ``exact``, ``s``, ``m_star``, ``limit``); for all three problems, each
    claim of Section 4.4 and Theorems 6 and 7 as a number and a decision."""
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
        small = m[m <= theory.critical_batch(*args)]
        g_star = theory.optimal_contraction(m, *args)  # Theorem 4
        g_hat = theory.practical_contraction(m, *args, r.n)  # Theorem 5
        rows[p] = {
            "max rel. error of s(m)": np.max(np.abs(ratio - s_m) / ratio),
            "min s(m)/m, m ≤ m*": np.min(theory.speedup(small, *args) / small),
            "min η*(m)β/m, m ≤ m*": np.min(theory.optimal_step(small, *args) * r.beta / small),
            "argmin g*(m)^(1/m)": m[np.argmin(np.log(g_star) / m)],
            "argmin ĝ(m)^(1/m)": m[np.argmin(np.log(g_hat) / m)],
        }
    checks = pd.DataFrame(rows).T.astype({"argmin g*(m)^(1/m)": int, "argmin ĝ(m)^(1/m)": int})
    decided = _decided(checks.assign(**{"g* at 1": checks["argmin g*(m)^(1/m)"] == 1,
                                        "ĝ at 1": checks["argmin ĝ(m)^(1/m)"] == 1}),
                       {claims.APPROXIMATION: "max rel. error of s(m)", claims.LINEAR_SCALING: "min s(m)/m, m ≤ m*",
                        claims.LINEAR_SCALING_RULE: "min η*(m)β/m, m ≤ m*", claims.THEOREM_6: "g* at 1",
                        claims.THEOREM_7: "ĝ at 1"})
    return Result(ClosedForms(problems, m, curves, checks), decided)
