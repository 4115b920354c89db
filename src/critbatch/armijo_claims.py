"""Steps, SFO and the claims of Tsukada & Iiduka, measured on stored runs.

:func:`measure` turns the runs of :func:`critbatch.armijo_study.sweep_runs` into one row per run
(steps K, SFO N and function computations at the first check that meets a target);
:func:`average` averages over seeds; the ``*_claims`` functions return "paper against ours"
rows (:func:`critbatch.claims.claim`), each naming its test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import sfo
from .armijo_study import first_reach
from .claims import claim

__all__ = ["average", "critical_batch_sizes", "unfinished", "evaluation_claims", "fewest_steps_claims", "fit_claims",
           "measure", "shape_claims", "step_size_claims", "two_target_claims"]


def measure(sweep: dict, target: float) -> pd.DataFrame:
    """One row per run: optimizer, b, seed, steps, sfo and computations (steps plus failed
    line-search trials, the rebuttal's "function computations") when the training accuracy
    first reaches ``target``; NaN where it never does."""
    rows = []
    for (name, b), results in sweep.items():
        for result in results:
            hit = first_reach(result.log, target)
            failed = hit.get("failed_trials", 0) if hit is not None else math.nan
            rows.append({"optimizer": name, "b": b, "seed": result.config["seed"],
                         "steps": hit.step if hit is not None else math.nan,
                         "sfo": hit.sfo if hit is not None else math.nan,
                         "computations": hit.step + failed if hit is not None else math.nan})
    return pd.DataFrame(rows)


def unfinished(sweep: dict) -> pd.DataFrame:
    """The (optimizer, b) whose runs did not all reach their target: how they ended, the best
    training accuracy they got, and (line search) the median step of their last logged stretch."""
    rows = []
    for (name, b), results in sweep.items():
        if all(r.summary["status"] == "reached" for r in results):
            continue
        last = [r.log.step_sizes.dropna().iloc[-1] for r in results if "step_sizes" in r.log]
        rows.append({"optimizer": name, "b": b,
                     "ended": ", ".join(sorted({r.summary["status"] for r in results})),
                     "best training accuracy": max(r.log.train_acc.max() for r in results),
                     "last accepted steps (median)": float(np.median(np.concatenate(last))) if last else math.nan})
    return pd.DataFrame(rows).set_index(["optimizer", "b"]) if rows else pd.DataFrame()


def average(measured: pd.DataFrame) -> pd.DataFrame:
    """Mean, min and max over seeds per (optimizer, b); the mean is NaN if a seed missed."""
    grouped = measured.groupby(["optimizer", "b"], sort=False)
    table = grouped[["steps", "sfo", "computations"]].mean(numeric_only=True)
    missed = grouped.steps.apply(lambda s: s.isna().any())
    table.loc[missed, :] = np.nan
    return table.join(grouped[["steps", "sfo"]].min().add_suffix("_min")).join(
        grouped[["steps", "sfo"]].max().add_suffix("_max"))


def critical_batch_sizes(table: pd.DataFrame) -> pd.Series:
    """Per optimizer, the batch size with the smallest mean SFO (the measured critical batch size);
    optimizers that reached the target at no batch size are left out."""
    reached = table.sfo.dropna()
    return reached.groupby(level="optimizer", sort=False).idxmin().map(lambda index: index[1])


#: The shape claims of Theorems 3.2 and 3.3: (question with its test, the paper's answer).
SHAPE_QUESTIONS = (("K(b) decreases with b (test: never rises)", "monotone decreasing"),
                   ("K(b) convex in b (test: slopes never fall; over the b that reached it)", "convex"),
                   ("N(b) has its minimum inside the grid (a critical batch size)", "exists"))


def shape_claims(table: pd.DataFrame, figure: str) -> pd.DataFrame:
    """K(b) decreasing and convex in b; N(b) with its minimum inside the grid (Theorems 3.2, 3.3)."""
    rows = []
    for name, per_b in table.groupby(level="optimizer", sort=False):
        k = per_b.steps.droplevel(0)
        if k.isna().all():
            rows += [claim(figure, name, question, paper, "target never reached", False)
                     for question, paper in SHAPE_QUESTIONS]
            continue
        b, steps = k.index.to_numpy(float), k.fillna(np.inf).to_numpy()  # never reached: infinitely many steps
        rises = [f"{int(b[i])}→{int(b[i + 1])}" for i in range(len(b) - 1) if steps[i + 1] > steps[i]]
        trend = "decreases" if not rises else "rises at " + ", ".join(rises)
        rows.append(claim(figure, name, *SHAPE_QUESTIONS[0], trend, not rises))
        finite = np.isfinite(steps)
        slopes = np.diff(steps[finite]) / np.diff(b[finite])
        convex = bool(np.all(np.diff(slopes) >= 0))
        rows.append(claim(figure, name, *SHAPE_QUESTIONS[1], "convex" if convex else "not convex", convex))
        best = int(per_b.sfo.droplevel(0).idxmin())
        inside = b[0] < best < b[-1]
        rows.append(claim(figure, name, *SHAPE_QUESTIONS[2], f"b* = {best}", inside))
    return pd.DataFrame(rows)


def fit_claims(table: pd.DataFrame, name: str, figure: str) -> tuple[pd.DataFrame, sfo.Fit | None]:
    """b* from a fit of K(b) = C1 b / (eps^2 b - C2) against the measured critical batch size
    (no fit, and a row that says why, if fewer than three batch sizes reached the target)."""
    k = table.loc[name].steps.dropna()
    paper, question = "can be estimated from the theory", ("b* = 2 C2 / eps^2 from the fit of K(b), against the "
                                                          "measured critical batch size (test: within a factor 2)")
    if len(k) < 3:
        return pd.DataFrame([claim(figure, name, question, paper, f"only {len(k)} batch sizes reached the target",
                                   False)]), None
    fit = sfo.fit_steps(k.index.to_numpy(), k.to_numpy(), eps=1.0)  # b* does not depend on eps
    measured = critical_batch_sizes(table)[name]
    ratio = fit.b_star / measured
    row = claim(figure, name, question, paper, f"fit {fit.b_star:.0f} vs measured {measured}", 0.5 <= ratio <= 2)
    return pd.DataFrame([row]), fit


def fewest_steps_claims(table: pd.DataFrame, figure: str, armijo: str = "SGD+Armijo",
                        up_to: int = 256) -> pd.DataFrame:
    """SGD+Armijo needs the fewest steps of all six optimizers for b <= 2^8 (rebuttal F-R1)."""
    steps = table.steps.unstack(level="b")
    small = steps.loc[:, steps.columns <= up_to].dropna(axis="columns", how="all")
    fewest = (small.idxmin() == armijo).reindex(steps.columns[steps.columns <= up_to], fill_value=False)
    return pd.DataFrame([claim(figure, armijo, f"fewest steps of the six optimizers for b ≤ {up_to}: share of "
                               "batch sizes (test: all)", "all", f"{fewest.mean():.0%}", bool(fewest.all()))])


def evaluation_claims(table: pd.DataFrame, figure: str, armijo: str = "SGD+Armijo") -> pd.DataFrame:
    """Counting its failed trials too, SGD+Armijo needs fewer computations than the others' steps."""
    computations = table.computations.unstack(level="b")
    others = computations.drop(index=armijo).min()
    fewer = computations.loc[armijo] < others
    return pd.DataFrame([claim(
        figure, armijo, "computations (steps + failed trials) below every other optimizer's steps: "
        "share of batch sizes (test: all)", "below the others", f"{fewer.mean():.0%}", bool(fewer.all()))])


def two_target_claims(looser: pd.DataFrame, stricter: pd.DataFrame, name: str, figure: str) -> pd.DataFrame:
    """A stricter target (smaller eps) moves the critical batch size up, as b* = 2 C2 / eps^2 says."""
    question = ("critical batch size at the stricter target, against the looser (test: not smaller; the grid "
                "doubles b, so a smaller shift shows as none)")
    before, after = critical_batch_sizes(looser).get(name), critical_batch_sizes(stricter).get(name)
    if before is None or after is None:
        return pd.DataFrame([claim(figure, name, question, "moves to larger b", "a target never reached", False)])
    return pd.DataFrame([claim(figure, name, question, "moves to larger b", f"{before} → {after}", after >= before)])


def step_size_claims(runs: dict, target: float, figure: str) -> pd.DataFrame:
    """Larger Armijo constants c give smaller steps; a moderate c needs the fewest steps."""
    medians = pd.Series({c: float(np.median(np.concatenate(r.log.step_sizes.dropna().to_list())))
                         for c, r in runs.items()})
    hits = {c: first_reach(r.log, target) for c, r in runs.items()}
    steps = pd.Series({c: hit.step if hit is not None else math.nan for c, hit in hits.items()})
    falling = bool(np.all(np.diff(medians.to_numpy()) < 0))
    best = steps.idxmin() if steps.notna().any() else None
    return pd.DataFrame([
        claim(figure, "SGD+Armijo", "median accepted step falls as c grows (test: strictly)",
              "larger c, smaller steps", ", ".join(f"c={c:g}: {m:.3g}" for c, m in medians.items()), falling),
        claim(figure, "SGD+Armijo", f"c with the fewest steps to training accuracy {target:g} (test: 0.05 to 0.1)",
              "c ≈ 0.1", "no c reached it" if best is None else f"c = {best:g}",
              best is not None and 0.05 <= best <= 0.1),
    ])
