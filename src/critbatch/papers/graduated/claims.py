"""The claims of Sato & Iiduka's figures, closed-form and trained, as "paper against ours" rows.

Each function takes what one figure computed (:mod:`.study`) and returns rows of
(figure, data, claim, paper, ours, verdict) built with :func:`critbatch.analysis.claims.claim`;
the tolerances that turn a number into a verdict are ours and each row states its test. The
verdict sentences are written from these rows by :func:`critbatch.analysis.claims.verdict`
(re-exported here).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from critbatch.analysis.claims import claim, held, verdict

from . import quoted

__all__ = ["explicit_go", "four_variants", "gradient_noise", "heavy_tails", "held", "ladder", "lr_schedules", "schedules",
           "sharpness_sweep", "smoothing", "smoothing_check", "verdict"]

#: A Monte-Carlo estimate and a closed form agree when they differ by at most this many standard errors.
MC_SIGMAS = 4.5
#: A Monte-Carlo estimate "settles" when its spread over repeats is below this share of max(1, |value|).
SETTLED = 0.01


def smoothing(monte_carlo: pd.DataFrame, threshold: float, threshold_numeric: float,
              minima: pd.DataFrame) -> pd.DataFrame:
    """F1: the closed form against Monte Carlo, the convexity threshold, and the local minima."""
    worst = monte_carlo["max |z|"].max()
    rows = [
        claim("F1", "Rastrigin", "closed form of f̂_δ = Monte Carlo at every point and δ "
              f"(test: |MC − closed| ≤ {MC_SIGMAS:g} standard errors)",
              "closed form (notes: max error 0.02 with 200k samples)",
              f"max error {monte_carlo['max |MC − closed|'].max():.4f}, at most {worst:.2f} SE", worst <= MC_SIGMAS),
        claim("F1", "Rastrigin", "convexity threshold δ*, found numerically by bisection on min f̂_δ'' ≥ 0 over "
              "[−5.12, 5.12] (test: within 0.001 of 0.517)", f"≈ {quoted.CONVEXITY_THRESHOLD}",
              f"{threshold_numeric:.4f} (closed form {threshold:.4f})",
              abs(threshold_numeric - quoted.CONVEXITY_THRESHOLD) <= 1e-3),
    ]
    above = minima[minima.index >= threshold]
    below = minima[minima.index == 0]
    rows.append(claim("F1", "Rastrigin", "smoothing removes the local minima: one local minimum for every δ ≥ δ*, "
                      "several without smoothing (test: counts on the grid)", "f̂_δ nearly convex for large δ",
                      f"δ = 0: {int(below['local minima'].iloc[0])}; δ ≥ δ*: "
                      + ", ".join(str(int(v)) for v in above["local minima"]),
                      bool((above["local minima"] == 1).all() and (below["local minima"] > 1).all())))
    rows.append(claim("F1", "Rastrigin",
                      "the global minimiser stays at x = 0 for every δ (test: |argmin| ≤ grid step)",
                      "x*_δ → x* as δ → 0", ", ".join(f"{v:.3f}" for v in minima["argmin"]),
                      bool((minima["argmin"].abs() <= minima.attrs["step"]).all())))
    return pd.DataFrame(rows)


def heavy_tails(settle: pd.DataFrame, ranges: pd.DataFrame) -> pd.DataFrame:
    """F2: which Monte-Carlo smoothings settle (a finite mean), and the flattening of Drop-Wave.

    ``settle``: per (function, law), the relative spread over repeats at the largest sample size;
    ``ranges``: per law, the range (max − min) of the smoothed Drop-Wave over the grid."""
    rows = []
    for (function, tail), group in settle.groupby(["function", "tail"], sort=False):
        settles = group["relative spread"] <= SETTLED
        expect = tail == "light" or function == "Drop-Wave"
        paper = ("light tails smooth f" if tail == "light" else
                 "heavy tails smooth f too" if function == "Drop-Wave" else
                 "heavy tails smooth f too (but f̂_δ = ∞: no finite mean, notes Sec. 5.8)")
        text = (f"Monte-Carlo f̂_δ(0) {'settles' if expect else 'does not settle'}: spread over repeats at "
                f"N = {int(group['samples'].iloc[0]):,} (test: {'≤' if expect else '>'} {SETTLED:.0%} "
                "of max(1, |f̂|) for every law)")
        ours = ", ".join(f"{law} {s:.2g}" for law, s in zip(group["law"], group["relative spread"]))
        rows.append(claim("F2", f"{function}, {tail}-tailed", text, paper, ours,
                          bool(settles.all()) if expect else bool((~settles).all())))
    flat = ranges["range of f̂"] / ranges["range of f"]
    rows.append(claim("F2", "Drop-Wave", "every law flattens Drop-Wave: range of f̂_δ / range of f on the grid "
                      "(test: ≤ 0.5 for each)", "smoothed curves flatter than f",
                      ", ".join(f"{law} {v:.2f}" for law, v in flat.items()), bool((flat <= 0.5).all())))
    return pd.DataFrame(rows)


def schedules(steps: pd.DataFrame, lag: pd.DataFrame, ends: pd.DataFrame) -> pd.DataFrame:
    """F3: the step counts of the code's schedules, its one-epoch offset, and the common end."""
    rows = []
    code = steps["paper's code"]
    rows.append(claim("F3", "CIFAR-100, 200 epochs", "optimizer steps of the code's schedules, last partial batch kept "
                      "(test: equal)", ", ".join(f"{v}: {quoted.VARIANT_STEPS[v]:,}" for v in code.index),
                      ", ".join(f"{v}: {int(s):,}" for v, s in code.items()),
                      all(int(code[v]) == quoted.VARIANT_STEPS[v] for v in code.index)))
    rows.append(claim("F3", "CIFAR-100, 200 epochs", "the code's offset: epochs at which δ/C of batch or hybrid "
                      "differs from lr's (test: exactly the 4 epochs 40, 80, 120, 160)", "one epoch at each change",
                      ", ".join(f"{v}: {e}" for v, e in lag["paper's code"].items()),
                      all(e == [40, 80, 120, 160] for e in lag["paper's code"])))
    rows.append(claim("F3", "CIFAR-100, 200 epochs", "fixed schedules, η and b changed at the same epoch: one δ/C "
                      "for the three decaying variants at every epoch (test: no epoch differs)", "the same δ decay",
                      ", ".join(f"{v}: {len(e)}" for v, e in lag["fixed"].items()),
                      all(len(e) == 0 for e in lag["fixed"])))
    rows.append(claim("F3", "both settings", "δ/C at the end over δ/C at the start (test: 1/4 for the three "
                      "decaying variants, within 1e-9)", "δ_end = δ_0/4 (four decays of 1/√2)",
                      "; ".join(f"{s}: " + ", ".join(f"{v} {r:.4f}" for v, r in row.items())
                                for s, row in ends.iterrows()),
                      bool((ends.drop(columns="constant") - 0.25).abs().max().max() <= 1e-9)))
    return pd.DataFrame(rows)


def ladder(stages: pd.DataFrame, ratios: pd.DataFrame) -> pd.DataFrame:
    """Theory: each variant's per-stage ratio of δ, and which polynomial powers keep γ ≥ 1/2."""
    rows = []
    decaying = stages[stages.variant != "constant"]
    ratio = decaying.groupby("variant", sort=False)["ratio"].agg(["min", "max"])
    rows.append(claim("theory", "4 variants", "per-stage ratio δ_{m+1}/δ_m of the decaying variants (test: 1/√2 "
                      "within 1e-9, inside [1/2, 1))", "1/√2 for each",
                      ", ".join(f"{v} {r['min']:.6f}" for v, r in ratio.iterrows()),
                      bool(((ratio - 2**-0.5).abs() <= 1e-9).all().all())))
    for power, row in ratios.iterrows():
        ok = row["min γ"] >= 0.5 - 1e-12
        rows.append(claim("theory", f"polynomial p = {power:g}",
                          f"smallest ratio γ_m over M = {int(row['M'])} rounds; "
                          "the theory needs γ_m ≥ 1/2 (test: holds exactly when p ≤ 1)",
                          "admissible" if power <= 1 else "not admissible", f"{row['min γ']:.4f}", ok == (power <= 1)))
    return pd.DataFrame(rows)


def explicit_go(success: pd.DataFrame, budget: int) -> pd.DataFrame:
    """F8: success rates of explicit graduated optimisation with p in {0.5, 1, 2, 4} and without smoothing.

    ``success``: rows = rounds M, columns = "p = ..." and "no smoothing"; ``budget``: the ego.py
    number of rounds."""
    powers = [c for c in success.columns if c.startswith("p = ")]
    at = success.loc[budget]
    rows = [claim("F8", f"Rastrigin, M = {budget}", "graduated optimisation with p ≤ 1 reaches the global minimum "
                  "(test: success ≥ 90%)", "converges to the global minimiser (σ-nice)",
                  ", ".join(f"{p} {at[p]:.0%}" for p in powers if float(p[4:]) <= 1),
                  all(at[p] >= 0.9 for p in powers if float(p[4:]) <= 1)),
            claim("F8", f"Rastrigin, M = {budget}", "without smoothing, gradient descent stays in a local minimum "
                  "(test: success ≤ 10%)", "multimodal f traps GD", f"{at['no smoothing']:.0%}",
                  at["no smoothing"] <= 0.1)]
    ordered = success[powers].apply(lambda r: bool(np.all(np.diff(r.to_numpy()) <= 1e-12)), axis=1)
    rows.append(claim("F8", "Rastrigin, every budget", "success never rises with p, as the theory's p ≤ 1 says "
                      "(test: non-increasing in p at every number of rounds)", "p ≤ 1 best",
                      f"{ordered.sum()} of {len(ordered)} budgets", bool(ordered.all())))
    return pd.DataFrame(rows)


# The trained figures -----------------------------------------------------------------------------

#: Two final test accuracies (in points) are "similar" within this.
SIMILAR_POINTS = 1.0


def four_variants(finals: pd.DataFrame) -> pd.DataFrame:
    """F4: per variant, the final test accuracy (%, mean over seeds), training loss and steps."""
    acc, loss, steps = finals["test acc (%)"], finals["train loss"], finals["steps"]
    decaying = ["lr", "batch", "hybrid"]
    data = "4 variants"
    rows = [
        claim("F4", data, "shrinking δ beats keeping it: each decaying variant ends with a higher test accuracy "
              "than constant (test: mean over seeds)", "decay beats constant",
              f"constant {acc['constant']:.2f}; " + ", ".join(f"{v} {acc[v]:.2f}" for v in decaying),
              bool((acc[decaying] > acc["constant"]).all())),
        claim("F4", data, "and a lower final training loss (test: mean over seeds)", "decay beats constant",
              f"constant {loss['constant']:.4f}; " + ", ".join(f"{v} {loss[v]:.4f}" for v in decaying),
              bool((loss[decaying] < loss["constant"]).all())),
        claim("F4", data, "growing b reaches the accuracy of decaying η with far fewer steps (test: batch's "
              f"accuracy within {SIMILAR_POINTS:g} point of lr's, or above, and fewer than half its steps)",
              f"batch: {quoted.VARIANT_STEPS['batch'] / quoted.VARIANT_STEPS['lr']:.2f} of lr's steps on CIFAR-100",
              f"{acc['batch'] - acc['lr']:+.2f} points, {steps['batch'] / steps['lr']:.2f} of the steps",
              bool(acc["batch"] >= acc["lr"] - SIMILAR_POINTS and steps["batch"] < steps["lr"] / 2)),
        claim("F4", data, "ordering on ImageNet: both ≥ growing b ≥ decaying η (test: final test accuracy, "
              "mean over seeds)", "hybrid best, batch beats lr (ImageNet, per the ICLR reviews)",
              " ≥ ".join(f"{v} {acc[v]:.2f}" for v in ("hybrid", "batch", "lr")),
              bool(acc["hybrid"] >= acc["batch"] >= acc["lr"])),
    ]
    return pd.DataFrame(rows)


def lr_schedules(finals: pd.DataFrame) -> pd.DataFrame:
    """F5: the ranking of the LR schedules, ours (mean over seeds) against the paper's."""
    acc, loss = finals["test acc (%)"], finals["train loss"]
    theory = [s for s in finals.index if s == "cosine" or (s.startswith("polynomial") and float(s.split("= ")[1]) <= 1)]
    others = [s for s in finals.index if s not in theory]
    paper_acc = finals["paper test acc (%)"]
    rows = [
        claim("F5", "9 schedules", "p ≤ 1 and cosine beat p > 1 and exponential (test: mean final test accuracy "
              "of the first group above the second's)",
              f"{paper_acc[theory].mean():.2f} against {paper_acc[others].mean():.2f}",
              f"{acc[theory].mean():.2f} against {acc[others].mean():.2f}",
              bool(acc[theory].mean() > acc[others].mean())),
        claim("F5", "9 schedules", f"p ≤ 1 and cosine are indistinguishable at the top (test: their spread ≤ "
              f"{SIMILAR_POINTS:g} point)", f"spread {np.ptp(paper_acc[theory]):.2f} points",
              f"spread {np.ptp(acc[theory]):.2f} points", bool(np.ptp(acc[theory]) <= SIMILAR_POINTS)),
        claim("F5", "9 schedules", "p = 8 and exponential decay freeze early: the two highest final training losses "
              "(test: ours)", "0.0505 and 0.100, the two highest",
              ", ".join(f"{s} {loss[s]:.4f}" for s in loss.sort_values(ascending=False).index[:2]),
              set(loss.sort_values(ascending=False).index[:2]) == {"polynomial p = 8", "exponential"}),
    ]
    rho = acc.corr(paper_acc, method="spearman")
    rows.append(claim("F5", "9 schedules", "our ranking of final test accuracy follows the paper's (test: Spearman's "
                      "ρ ≥ 0.5)", "ranking of the table", f"ρ = {rho:.2f}", bool(rho >= 0.5)))
    return pd.DataFrame(rows)


#: A Spearman correlation is "clear" at or beyond this size.
CLEAR = 0.5


def sharpness_sweep(points: pd.DataFrame, correlations: pd.DataFrame) -> pd.DataFrame:
    """F6: δ against sharpness (monotone), sharpness against accuracy (no clear relation), δ
    against accuracy (concave, with a best δ inside the range)."""
    rho = correlations["δ with each run's C"]
    data = f"{len(points)} runs"
    rows = [
        claim("F6", data, f"δ predicts sharpness: larger δ, flatter (test: Spearman's ρ ≤ −{CLEAR:g})",
              "monotone", f"ρ = {rho['δ, sharpness']:.2f} (one C: {correlations.iloc[0, 1]:.2f})",
              bool(rho["δ, sharpness"] <= -CLEAR)),
        claim("F6", data, f"sharpness does not predict test accuracy (test: |ρ| < {CLEAR:g})", "no clear relation",
              f"ρ = {rho['sharpness, test acc']:.2f}", bool(abs(rho["sharpness, test acc"]) < CLEAR)),
    ]
    means = points.groupby(["η", "b"])[["δ", "test acc (%)"]].mean()
    x = np.log10(means["δ"].to_numpy())
    curvature, slope, _ = np.polyfit(x, means["test acc (%)"].to_numpy(), 2)
    peak = 10 ** (-slope / (2 * curvature)) if curvature < 0 else math.nan
    inside = bool(curvature < 0 and x.min() < math.log10(peak) < x.max())
    best = means["test acc (%)"].idxmax()
    rows.append(claim("F6", data, "test accuracy is concave in log δ with its best δ inside the range (test: "
                      "quadratic fit over the (η, b) means, negative curvature, peak inside)",
                      "concave, best δ ≈ 0.1–1",
                      f"curvature {curvature:.2f}, peak δ = {peak:.3g} (range {10**x.min():.2g}–{10**x.max():.2g}); "
                      f"best run η = {best[0]:g}, b = {best[1]}", inside))
    return pd.DataFrame(rows)


def gradient_noise(norms: pd.DataFrame, slope: float, slope_seen: float, seen: int, kurtosis: dict,
                   n: int) -> pd.DataFrame:
    """F7: the slope of the noise norm against b, the finite-population model, the tails."""
    fitted = norms[(norms.index < n) & (norms.index >= seen)]
    worst = float((fitted["model / measured"] - 1).abs().max())
    rows = [
        claim("F7", "one checkpoint", f"E‖ω‖ ∝ b^(−1/2) (test: log-log slope over b ≤ n/16 = {n // 16} within 0.1 "
              "of −0.5)", "slope −1/2", f"{slope:.3f}", abs(slope + 0.5) <= 0.1),
        claim("F7", "one checkpoint", f"the same from b = {seen} on, where the 16 draws see at least {16 * seen} "
              "examples (test: within 0.1 of −0.5)", "slope −1/2", f"{slope_seen:.3f}", abs(slope_seen + 0.5) <= 0.1),
        claim("F7", "one checkpoint", f"C/√b, corrected for drawing without replacement from n examples, fits every "
              f"b ≥ {seen} (test: within 20%)", "E‖ω‖ ≤ C/√b", f"worst {worst:.1%}", worst <= 0.2),
    ]
    for b, k in kurtosis.items():
        rows.append(claim("F7", f"b = {b}", "the noise's components are light-tailed (test: excess kurtosis ≤ 1, "
                          "a Gaussian's is 0)", "light tails (histogram)", f"{k:.1f}", k <= 1))
    return pd.DataFrame(rows)


def smoothing_check(trace: pd.DataFrame) -> pd.DataFrame:
    """Beyond the paper: SGD's excess loss over the gradient step against the δ-smoothing's."""
    ratio = trace["ratio"].median()
    below = trace["below resolution"].mean()
    rho = trace["smoothing_delta"].corr(trace["SGD excess"], method="spearman")
    data = f"4 variants, {len(trace)} checkpoints"
    return pd.DataFrame([
        claim("beyond", data, "one SGD step raises the loss as much as the δ-smoothing does, δ = ηC/√b "
              "(test: median ratio of the excesses over the gradient step within a factor 2 of 1)",
              "SGD optimises f̂_δ (implicit graduated optimisation)",
              f"median ratio ≥ {ratio:.3g}; the smoothing's excess is below float32 resolution at {below:.0%} "
              "of the checkpoints", 0.5 <= ratio <= 2),
        claim("beyond", data, f"the predicted δ orders SGD's excess loss across stages and variants (test: "
              f"Spearman's ρ ≥ {CLEAR:g})", "δ sets the degree of smoothing", f"ρ = {rho:.2f}", bool(rho >= CLEAR)),
    ])
