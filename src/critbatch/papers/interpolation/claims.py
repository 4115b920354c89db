"""The quantitative claims of Ma, Bassily & Belkin's experiments, measured on stored runs.

Each function takes the results of one figure's runs (``{panel name: {label: [Result, ...]}}``,
as :func:`critbatch.papers.interpolation.study.results` returns them per panel) and returns rows of
(figure, data, claim, paper, ours, verdict). The tolerances that turn a number into a verdict
are ours; each row states its test. The sentences that end each section are written from these
rows by :func:`critbatch.analysis.claims.verdict` (re-exported here) and the two below.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import math

from critbatch.analysis.claims import claim, held, verdict
from critbatch.analysis.reach import first_reach

from . import quoted, theory

__all__ = ["critical_batches", "figure3", "figure4", "figure5", "figure6", "figure6_verdict",
           "iterations_relative_to_gd", "speedups", "summary_verdict", "verdict"]

QUOTED = {p["problem"]: p for p in quoted.INTERPOLATION_PROBLEMS}
#: "For both MNIST and TIMIT ... less than 4 times iterations. For HINT-S ... less than 8 times."
GD_FACTOR = {"MNIST": 4, "HINT-S": 8, "TIMIT": 4}


def _steps_to(log: pd.DataFrame, level: float) -> float:
    hit = first_reach(log, "train_loss", at_most=level)
    return math.nan if hit is None else float(hit.step)


def iterations_relative_to_gd(gd: pd.DataFrame, sgd: list[pd.DataFrame], gd_iterations: int) -> float:
    """How many times GD's iterations SGD needs to reach the training error that GD reaches in
    ``gd_iterations`` steps (mean over the SGD runs; NaN if one never gets there)."""
    level = float(gd.set_index("step").train_loss[gd_iterations])
    return sum(_steps_to(log, level) for log in sgd) / len(sgd) / gd_iterations


def _logs(results) -> list[pd.DataFrame]:
    return [r.log for r in results]


def critical_batches(runs: dict) -> pd.DataFrame:
    """m* = beta/lambda_1 + 1 with lambda_1 measured on our training kernel matrix, against the
    paper's quoted lambda_1 and m*."""
    rows = []
    for name, by_label in runs.items():
        s = by_label["GD"][0].summary
        paper = QUOTED[name]
        ours = s["beta"] / s["lambda_1"] + 1
        rows.append(claim("5 titles", name, "λ1 of K/n (test: within 5%)", f"{paper['lambda_1']}", f"{s['lambda_1']:.4f}",
                          abs(s["lambda_1"] - paper["lambda_1"]) <= 0.05 * paper["lambda_1"]))
        rows.append(claim("5 titles", name, "m* = β/λ1 + 1, rounded (test: within 1)", f"≈ {paper['m_star']}",
                          f"{ours:.2f} → {round(ours)}", abs(round(ours) - paper["m_star"]) <= 1))
    return pd.DataFrame(rows)


def figure4(runs: dict) -> pd.DataFrame:
    """Batch m* reaches GD's error within 4x (8x for HINT-S) GD's iterations; 16 m* tracks GD.

    GD's error is taken after 1/20, 1/10 and 1/5 of the run (25, 50 and 100 of 500 steps), so
    that SGD has room for up to 5 times as many iterations."""
    rows = []
    for name, r in runs.items():
        gd = r["GD"][0].log
        length = int(gd.step.iloc[-1])
        gd_iterations = (length // 20, length // 10, length // 5)
        factors = [iterations_relative_to_gd(gd, _logs(r["m = m*"]), t) for t in gd_iterations]
        rows.append(claim("4", name, f"iterations of m* / GD's, to GD's error after {gd_iterations} steps",
                          f"< {GD_FACTOR[name]}", ", ".join(f"{f:.2f}" for f in factors),
                          all(f < GD_FACTOR[name] for f in factors)))
        close = [iterations_relative_to_gd(gd, _logs(r["m = 16 m*"]), t) for t in gd_iterations]
        rows.append(claim("4", name, "16 m* ≈ GD: its iterations / GD's, to the same errors "
                          "(test: ≤ 1.25; below 1 is faster than GD)", "nearly identical",
                          ", ".join(f"{f:.2f}" for f in close), all(f <= 1.25 for f in close)))
    return pd.DataFrame(rows)


def _final(results, column: str) -> float:
    return float(np.mean([r.log[column].iloc[-1] for r in results]))


def figure5(runs: dict) -> pd.DataFrame:
    """m = 1 lowest at every epoch; m = 1 and m* close (linear scaling); large batches saturate."""
    rows = []
    for name, r in runs.items():
        means = pd.DataFrame({label: pd.concat([x.log.set_index("epoch").train_loss for x in res], axis=1).mean(axis=1)
                              for label, res in r.items()})
        whole = means[means.index >= 1]
        lowest = (whole.idxmin(axis=1) == "m = 1").mean()
        excess = float((whole["m = 1"] / whole.min(axis=1)).max() - 1)
        rows.append(claim("5", name, "m = 1 lowest at every epoch: share of epochs where it is, and its largest "
                          "excess over the lowest (test: ≤ 5%)", "every epoch",
                          f"{lowest:.0%}; {excess:.1%}", excess <= 0.05))
        ratio = _final(r["m = m*"], "train_loss") / _final(r["m = 1"], "train_loss")
        rows.append(claim("5", name, "linear scaling: error of m* / error of m = 1, last epoch (test: ≤ 2)",
                          "small difference", f"{ratio:.2f}", ratio <= 2))
        saturation = _final(r["m = 16 m*"], "train_loss") / _final(r["m = m*"], "train_loss")
        rows.append(claim("5", name, "saturation: error of 16 m* / error of m*, last epoch (test: ≥ 4)",
                          "top lines saturate", f"{saturation:.1f}", saturation >= 4))
    return pd.DataFrame(rows)


def figure6(runs: dict) -> pd.DataFrame:
    """Test error consistent with training: the batch sizes rank the same on both."""
    rows = []
    for name, r in runs.items():
        final = pd.DataFrame({label: {"train": _final(res, "train_loss"), "test": _final(res, "test_loss")}
                              for label, res in r.items()}).T
        rho = final["train"].corr(final["test"], method="spearman")
        rows.append(claim("6", name, "test error ranks the batch sizes as training error does (Spearman ρ, test: ≥ 0.9)",
                          "consistent", f"{rho:.2f}", rho >= 0.9))
    return pd.DataFrame(rows)


def figure3(runs: dict, threshold: float = 1e-2) -> pd.DataFrame:
    """Interpolation within a few epochs, while the test error keeps falling."""
    rows = []
    for name, result in runs.items():
        log = result.log[result.log.point_losses.notna()]
        log = log[log.epoch > 0]
        below = [float((np.asarray(p) < threshold).mean()) for p in log.point_losses]
        rows.append(claim("3", name, f"share of training points with loss < {threshold:g}, by epoch (test: > 90% by the last)",
                          "interpolation after a few epochs", ", ".join(f"{b:.0%}" for b in below), below[-1] > 0.9))
        rows.append(claim("3", name, "test error falls at every epoch", "consistently decreasing",
                          ", ".join(f"{t:.3f}" for t in log.test_loss), bool(np.all(np.diff(log.test_loss) < 0))))
    return pd.DataFrame(rows)


def speedups(runs: dict) -> tuple[pd.DataFrame, dict]:
    """Measured t(1)/t(m) at the lowest common training error, against s(m) (eq. 13) and its
    analogue for the steps of eq. 11. Returns the claim rows and, per panel, the table."""
    rows, tables = [], {}
    for name, by_m in runs.items():
        first = next(iter(by_m.values()))[0].summary
        beta, lambda_1 = first["beta"], first["lambda_1"]
        n = max(by_m)
        reached = {m: [r.summary["steps_to"] for r in res] for m, res in by_m.items()}
        common = [t for t in first["steps_to"]
                  if all(d[t] is not None for ds in reached.values() for d in ds)]
        level = min(common, key=float)
        t = pd.Series({m: np.mean([d[level] for d in ds]) for m, ds in reached.items()})
        table = pd.DataFrame({"t(m)": t, "measured t(1)/t(m)": t[1] / t,
                              "s(m), eq. 13": theory.speedup(t.index, beta, lambda_1, beta / n),
                              "eq. 11 analogue": theory.practical_speedup(t.index, beta, lambda_1, n)})
        table.attrs["level"] = float(level)
        tables[name] = table
        m_star = theory.critical_batch(beta, lambda_1, beta / n)
        small = table[table.index <= m_star]
        linear = float((small["measured t(1)/t(m)"] / small.index).min())
        rows.append(claim("2 (ours)", name, f"linear scaling below m* = {m_star:.1f}: min of measured speed-up / m "
                          f"(error {float(level):g}; test: ≥ 0.7)", "≈ 1", f"{linear:.2f}", linear >= 0.7))
        top = float(table["measured t(1)/t(m)"].iloc[-1])
        limit = theory.speedup_limit(beta, lambda_1, beta / n)
        rows.append(claim("2 (ours)", name, "saturation: measured t(1)/t(n) against 4β/λ1 (test: within a factor 2)",
                          f"{limit:.1f}", f"{top:.1f}", limit / 2 <= top <= 2 * limit))
    return pd.DataFrame(rows), tables


def figure6_verdict(claims: pd.DataFrame) -> str:
    """On how many problems the test error ranks the batch sizes as the training error does."""
    holds = held(claims)
    return (f"On {holds.sum()} of {len(claims)} problems the batch sizes rank the same on test as on "
            f"training data (Spearman ρ: {', '.join(f'{r.data} {r.ours}' for r in claims.itertuples())}): "
            + ("consistent with training, as the paper says." if holds.all() else
               "not everywhere consistent with training."))


def summary_verdict(claims: pd.DataFrame) -> str:
    """How many checks of the whole table hold, and how many per figure."""
    counts = held(claims).groupby(claims.figure).apply(lambda holds: f"{holds.sum()} of {len(holds)}")
    return (f"{held(claims).sum()} of {len(claims)} checks reproduce the paper "
            f"({'; '.join(f'Figure {k}: {v}' for k, v in counts.items())}).")
