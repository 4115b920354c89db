"""The claims of Sato & Iiduka's chapter, each written once as a :class:`Claim` record, and the
functions that decide them on what a figure computed (:mod:`.study`, :mod:`.trained`).

The paper's full text could not be read (:mod:`.quoted`): a claim's ``source`` names the figure as
our notes identify it, and the facts the notes derive (p ≤ 1 ⇔ γ_m ≥ 1/2, δ* ≈ 0.517, the step
counts of the code) are ``DERIVED`` with the notes as their source. The smoothing toys, the
schedules and the theory have known answers (``DERIVED``); the trained figures test the paper's
claims (``PAPER``) on the labelled substitute; the check beyond the paper is our ``QUESTION``.
Trained claims are decided per seed, on each seed's own runs, and on the seed mean.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pandas as pd
from scipy import stats

from critbatch.analysis.verdicts import DERIVED, PAPER, QUESTION, Claim, Claims

from . import quoted
from .trained import SEEN

__all__ = ["ALPHA", "CLEAR", "MC_SIGMAS", "ONE_IMAGE", "SETTLED", "SHUFFLES", "SIMILAR_POINTS", "concavity",
           "partial_spearman",
           "explicit_go", "four_variants", "gradient_noise", "heavy_tails", "ladder", "lr_schedules", "schedules",
           "sharpness_sweep", "smoothing", "smoothing_check"]

_NOTES = "our notes (shared/specs/paper4-implicit-graduated-optimization.md, Sec. {})"
#: A Monte-Carlo estimate and a closed form agree when they differ by at most this many standard errors.
MC_SIGMAS = 4.5
#: A Monte-Carlo estimate "settles" when its spread over repeats is below this share of max(1, |value|).
SETTLED = 0.01
#: One test image of the 10,000 of Fashion-MNIST's (and CIFAR-100's) test set, in accuracy points.
ONE_IMAGE = 0.01
#: Two final test accuracies (in points) are "similar" within this (our tolerance).
SIMILAR_POINTS = 1.0
#: A Spearman correlation is "clear" at or beyond this size (our tolerance).
CLEAR = 0.5
#: The significance level of the permutation and rank-correlation tests.
ALPHA = 0.05
#: Random shuffles of a permutation test; its p-value is then known to about ±0.002 near 0.05.
SHUFFLES = 9_999
_P_RESOLUTION = 0.005
_P_WHY = f"the Monte-Carlo error of a p-value from {SHUFFLES:,} shuffles, about two standard errors near 0.05"
_ONE_IMAGE_WHY = "one test image of 10,000"
_TOYS = "none: the paper's test functions"
_CLOSED = "none: closed form"



def partial_spearman(x, y, control) -> float:
    """Spearman's ρ of ``x`` and ``y`` with ``control`` held fixed: the correlation of the
    residuals of their ranks after a least-squares line on the ranks of ``control``.

    >>> round(partial_spearman([1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]), 6)  # all of it through control
    0.0
    """
    ranks = [stats.rankdata(v) for v in (x, y, control)]
    design = np.vander(ranks[2], 2)
    residuals = [r - design @ np.linalg.lstsq(design, r, rcond=None)[0] for r in ranks[:2]]
    if not all(np.any(np.abs(r) > 1e-12) for r in residuals):
        return 0.0
    return float(stats.pearsonr(*residuals)[0])


# F1: smoothing Rastrigin ------------------------------------------------------------------------

MONTE_CARLO = Claim(
    "F1 Monte Carlo", "the closed form of f̂_δ equals its Monte-Carlo estimate at every point and δ",
    _NOTES.format("5.8"), DERIVED, "largest |Monte Carlo − closed form| in standard errors", "<=", MC_SIGMAS,
    quoted="closed form (notes: max error 0.02 with 200k samples)")
CONVEXITY = Claim(
    "F1 δ*", "the smoothed Rastrigin is convex from δ* ≈ 0.517 (bisection on a quadrature smoothing)",
    _NOTES.format("5.8"), DERIVED, "|δ* by bisection − 0.517|", "<=", 1e-3, quoted=f"≈ {quoted.CONVEXITY_THRESHOLD}")
MINIMA_REMOVED = Claim(
    "F1 one minimum", "smoothing removes the local minima: several at δ = 0, one for every δ ≥ δ*",
    "Fig. 1 (conceptual diagram)", DERIVED, "several local minima at δ = 0 and one at each δ ≥ δ* (on the grid)",
    "is", True, quoted="f̂_δ nearly convex for large δ")
ARGMIN = Claim(
    "F1 argmin", "the global minimiser of f̂_δ stays at x = 0 for every δ", "Fig. 1 (conceptual diagram)", DERIVED,
    "largest |argmin f̂_δ| in grid steps", "<=", 1.0, quoted="x*_δ → x* as δ → 0")


def smoothing(fig) -> Claims:
    """F1 (:func:`.study.smoothing`)."""
    minima, step = fig.minima, fig.minima.attrs["step"]
    removed = bool((minima[minima.index >= fig.threshold]["local minima"] == 1).all()
                   and (minima.loc[[0.0], "local minima"] > 1).all())
    return Claims.of([
        MONTE_CARLO.decide({fig.seed: fig.monte_carlo["max |z|"].max()}, data=_TOYS),
        CONVEXITY.decide({None: abs(fig.threshold_numeric - quoted.CONVEXITY_THRESHOLD)}, data=_TOYS),
        MINIMA_REMOVED.decide({None: removed}, data=_TOYS),
        ARGMIN.decide({None: minima["argmin"].abs().max() / step}, data=_TOYS),
    ])


# F2: light- and heavy-tailed noise ----------------------------------------------------------------

_SMOOTHING_SCRIPT = "smoothing illustrations (v6/v7; the authors' smoothing.py)"
SETTLES = Claim(
    "F2 settles", "the Monte-Carlo f̂_δ(0) settles under every law (a finite mean)", _SMOOTHING_SCRIPT, DERIVED,
    "largest spread over repeats / max(1, |f̂_δ(0)|) over the laws", "<=", SETTLED,
    quoted="light and heavy tails both smooth f")
DIVERGES = Claim(
    "F2 diverges", "on Rastrigin, heavy-tailed noise gives no finite f̂_δ: its Monte-Carlo estimate does not settle",
    _NOTES.format("5.8"), DERIVED, "smallest spread over repeats / max(1, |f̂_δ(0)|) over the laws", ">", SETTLED,
    quoted="heavy tails smooth f too")
FLATTENS = Claim(
    "F2 flattens", "every law flattens Drop-Wave", _SMOOTHING_SCRIPT, DERIVED,
    "largest range of f̂_δ / range of f over the laws", "<=", 0.5, quoted="smoothed curves flatter than f")


def heavy_tails(fig) -> Claims:
    """F2 (:func:`.study.heavy_tails`): per function and tail, whether the estimates settle."""
    decisions = []
    for (function, tail), group in fig.settle.groupby(["function", "tail"], sort=False):
        spread = group["relative spread"]
        setting = f"{function}, {tail}-tailed, N = {int(group['samples'].iloc[0]):,}"
        if tail == "heavy" and function == "Rastrigin":
            decisions.append(DIVERGES.decide({fig.seed: spread.min()}, setting=setting, data=_TOYS))
        else:
            decisions.append(SETTLES.decide({fig.seed: spread.max()}, setting=setting, data=_TOYS))
    flat = fig.ranges["range of f̂"] / fig.ranges["range of f"]
    decisions.append(FLATTENS.decide({fig.seed: flat.max()}, setting="Drop-Wave", data=_TOYS))
    return Claims.of(decisions)


# F3: the four variants' schedules ------------------------------------------------------------------

_VARIANTS_FIGURE = "four-variant figure, CIFAR-100 (notes Sec. 3.2)"
STEPS = Claim(
    "F3 steps", "the code's schedules take the optimizer steps the notes count (last partial batch kept)",
    _NOTES.format("3.2"), DERIVED, "every variant's steps equal the notes' count", "is", True,
    quoted=", ".join(f"{v}: {s:,}" for v, s in quoted.VARIANT_STEPS.items()))
OFFSET = Claim(
    "F3 offset", "in the code, δ/C of batch and hybrid leaves lr's for one epoch at each change",
    _NOTES.format("3.2"), DERIVED, "the epochs off lr's δ/C are exactly 40, 80, 120, 160", "is", True,
    quoted="one epoch at each change")
FIXED = Claim(
    "F3 fixed", "with η and b changed at the same epoch, the three decaying variants share one δ/C at every epoch",
    _VARIANTS_FIGURE, DERIVED, "no epoch off lr's δ/C", "is", True, quoted="the same δ decay")
END = Claim(
    "F3 end", "δ ends at a quarter of its start in the three decaying variants", _VARIANTS_FIGURE, DERIVED,
    "largest |δ_end/δ_0 − 1/4|", "<=", 1e-9, quoted="δ_end = δ_0/4 (four decays of 1/√2)")


def schedules(fig) -> Claims:
    """F3 (:func:`.study.schedules`), in the paper's setting and (the end) in both."""
    paper = fig.settings.index[0]
    code = fig.steps[paper, "paper's code"]
    setting = f"{paper}, 200 epochs"
    return Claims.of([
        STEPS.decide({None: all(int(code[v]) == s for v, s in quoted.VARIANT_STEPS.items())}, setting=setting),
        OFFSET.decide({None: all(e == [40, 80, 120, 160] for e in fig.lag["paper's code"])}, setting=setting),
        FIXED.decide({None: all(len(e) == 0 for e in fig.lag["fixed"])}, setting=setting),
        END.decide({None: (fig.ends.drop(columns="constant") - 0.25).abs().max().max()}, setting="both settings"),
    ])


# Theory: the δ ladder and the polynomial noise schedule --------------------------------------------

STAGE_RATIO = Claim(
    "theory ladder", "each decaying variant shrinks δ by 1/√2 per stage", _VARIANTS_FIGURE, DERIVED,
    "largest |δ_{m+1}/δ_m − 1/√2| over the decaying variants' stages", "<=", 1e-9, quoted="1/√2 for each")
ADMISSIBLE = Claim(
    "theory p ≤ 1", "the polynomial schedule keeps γ_m ≥ 1/2 in every round exactly when p ≤ 1",
    _NOTES.format("5.5"), DERIVED, "(min γ_m ≥ 1/2) agrees with (p ≤ 1)", "is", True,
    quoted="p ≤ 1 is the theory's schedule")


def ladder(fig) -> Claims:
    """The theory notebook (:func:`.study.ladder`)."""
    decaying = fig.stages[fig.stages.variant != "constant"]
    decisions = [STAGE_RATIO.decide({None: (decaying["ratio"].dropna() - 2**-0.5).abs().max()},
                                    setting="4 variants, paper's setting")]
    for power, row in fig.ratios.iterrows():
        decisions.append(ADMISSIBLE.decide({None: bool(row["min γ"] >= 0.5 - 1e-12) == bool(power <= 1)},
                                           setting=f"p = {power:g}, M = {int(row['M'])}"))
    return Claims.of(decisions)


# F8: explicit graduated optimisation ---------------------------------------------------------------

_EGO = "the authors' ego.py (AAAI-25 follow-up; notes Sec. 5.7)"
CONVERGES = Claim(
    "F8 p ≤ 1 converges", "graduated optimisation with p ≤ 1 reaches the global minimum", _EGO, DERIVED,
    "smallest share of starts reaching it over p ≤ 1", ">=", 0.9, quoted="converges to the global minimiser")
TRAPPED = Claim(
    "F8 GD trapped", "without smoothing, gradient descent stays in a local minimum", _EGO, DERIVED,
    "share of starts reaching the global minimum", "<=", 0.1, quoted="a multimodal f traps gradient descent")
BEST_POWER = Claim(
    "F8 p ≤ 1 best", "polynomial decay with p ≤ 1 is the optimal noise schedule: it beats p > 1",
    "title of v1-v3, Sec. 5 (notes Sec. 5.5)", PAPER,
    "smallest share of successful starts over p ≤ 1 − largest over p > 1", ">", 0.0, resolution=0.005,
    resolution_why="half a start of a set of 100: shares move by whole starts", quoted="p ≤ 1 optimal")


FALLS_WITH_P = Claim(
    "F8 falls with p", "what the data show: the share of successful starts never rises with p", "our question",
    QUESTION, "success non-increasing from each power to the next larger one", "is", True,
    quoted="p ≤ 1 optimal (the paper's reading)")


def explicit_go(fig) -> Claims:
    """F8 (:func:`.study.explicit_go`): at ego.py's budget, and whether p ≤ 1 beats p > 1 at every
    budget (a tie, as when every power succeeds from every start, is no win); each set of starting
    points is a seed, decided alone and on the seed mean."""
    powers = [c for c in fig.success.columns if c.startswith("p = ")]
    low = [p for p in powers if float(p[4:]) <= 1]
    high = [p for p in powers if p not in low]
    setting = f"Rastrigin, D = {fig.setting['dimension']}, M = {fig.budget}"

    def decide(claim, quantity, rounds, setting):
        return claim.decide({s: quantity(table.loc[rounds]) for s, table in fig.seeds.items()},
                            mean=quantity(fig.success.loc[rounds]), setting=setting, data=_TOYS)

    decisions = [decide(CONVERGES, lambda row: row[low].min(), fig.budget, setting),
                 decide(TRAPPED, lambda row: row["no smoothing"], fig.budget, setting)]
    decisions += [decide(BEST_POWER, lambda row: row[low].min() - row[high].max(), rounds, f"Rastrigin, M = {rounds}")
                  for rounds in fig.success.index]

    def falls(table):  # a rise below 1e-9 is the round-off of averaging shares, not a rise
        return bool(all((row[powers].diff().dropna() <= 1e-9).all() for _, row in table.iterrows()))

    budgets = ", ".join(str(m) for m in fig.success.index)
    decisions.append(FALLS_WITH_P.decide({s: falls(t) for s, t in fig.seeds.items()}, mean=falls(fig.success),
                                         setting=f"Rastrigin, M = {budgets}", data=_TOYS))
    return Claims.of(decisions)


# The trained figures, decided per seed -------------------------------------------------------------


def _data(fig) -> str:
    """A trained figure's data: the paper's own at the paper's scale, else the labelled substitute."""
    return "real" if fig.substitute is None else f"substitute: {fig.substitute}"


def _per_seed(claim: Claim, quantity, seeds: dict, mean, *, setting: str, data: str):
    """``claim`` decided on ``quantity(table)`` of each seed's table and of the seed-mean table."""
    return claim.decide({seed: quantity(table) for seed, table in seeds.items()}, mean=quantity(mean),
                        setting=setting, data=data)


# F4: the four variants

DECAYING = ["lr", "batch", "hybrid"]
DECAY_ACCURACY = Claim(
    "F4 decay accuracy", "shrinking δ beats keeping it: each decaying variant ends with a higher test accuracy "
    "than constant", _VARIANTS_FIGURE, PAPER, "smallest final test accuracy of lr, batch, hybrid − constant's "
    "(points)", ">", 0.0, resolution=ONE_IMAGE, resolution_why=_ONE_IMAGE_WHY, quoted="decay beats constant")
DECAY_LOSS = Claim(
    "F4 decay loss", "and a lower final training loss", _VARIANTS_FIGURE, PAPER,
    "largest final training loss of lr, batch, hybrid − constant's", "<", 0.0, quoted="decay beats constant")
BATCH_ACCURACY = Claim(
    "F4 batch accuracy", "growing b reaches the test accuracy of decaying η", _VARIANTS_FIGURE, PAPER,
    "final test accuracy of batch − lr's (points)", ">=", -SIMILAR_POINTS, resolution=ONE_IMAGE,
    resolution_why=_ONE_IMAGE_WHY, quoted="similar accuracy")
BATCH_STEPS = Claim(
    "F4 batch steps", "with far fewer steps (fewer than half)", _NOTES.format("3.2"), DERIVED,
    "steps of batch / steps of lr", "<", 0.5,
    quoted=f"{quoted.VARIANT_STEPS['batch'] / quoted.VARIANT_STEPS['lr']:.2f} of lr's steps on CIFAR-100")
IMAGENET_ORDER = Claim(
    "F4 ImageNet order", "the ImageNet ordering: both ≥ growing b ≥ decaying η", "ImageNet figure (Fig. 4 of "
    "v5, per the ICLR reviews)", PAPER, "smaller of hybrid − batch and batch − lr, final test accuracy (points)",
    ">", 0.0, resolution=ONE_IMAGE, resolution_why=_ONE_IMAGE_WHY, quoted="hybrid best, batch beats lr (ImageNet)")


def _decay_accuracy(t: pd.DataFrame) -> float:
    acc = t["test acc (%)"]
    return float(acc[DECAYING].min() - acc["constant"])


def _decay_loss(t: pd.DataFrame) -> float:
    loss = t["train loss"]
    return float(loss[DECAYING].max() - loss["constant"])


def _batch_accuracy(t: pd.DataFrame) -> float:
    return float(t.loc["batch", "test acc (%)"] - t.loc["lr", "test acc (%)"])


def _batch_steps(t: pd.DataFrame) -> float:
    return float(t.loc["batch", "steps"] / t.loc["lr", "steps"])


def _imagenet_order(t: pd.DataFrame) -> float:
    acc = t["test acc (%)"]
    return float(min(acc["hybrid"] - acc["batch"], acc["batch"] - acc["lr"]))


def four_variants(fig) -> Claims:
    """F4 (:func:`.trained.four_variants`), on each seed's runs and the seed mean."""
    data = _data(fig)
    return Claims.of([
        _per_seed(claim, quantity, fig.seeds, fig.finals, setting=setting, data=data)
        for claim, quantity, setting in (
            (DECAY_ACCURACY, _decay_accuracy, "4 variants"), (DECAY_LOSS, _decay_loss, "4 variants"),
            (BATCH_ACCURACY, _batch_accuracy, "batch against lr"), (BATCH_STEPS, _batch_steps, "batch against lr"),
            (IMAGENET_ORDER, _imagenet_order, "the ImageNet ordering, on the substitute"))])


# F5: the learning-rate schedules

_REBUTTAL = "rebuttal figure (additional_results_linear_decay.pdf; notes Sec. 2.2)"


def _theory_group(index) -> list[str]:
    """Polynomial decay with p ≤ 1, and cosine: the schedules the paper finds best."""
    return [s for s in index if s == "cosine" or (s.startswith("polynomial") and float(s.split("= ")[1]) <= 1)]


_PAPER_ACC = pd.Series({k: v[0] for k, v in quoted.LR_SCHEDULES.items()})
_TOP = _theory_group(_PAPER_ACC.index)
GROUPS = Claim(
    "F5 groups", "p ≤ 1 and cosine beat p > 1 and exponential", _REBUTTAL, PAPER,
    "mean final test accuracy of p ≤ 1 and cosine − of p > 1 and exponential (points)", ">", 0.0,
    resolution=ONE_IMAGE, resolution_why=_ONE_IMAGE_WHY,
    quoted=f"{_PAPER_ACC[_TOP].mean():.2f} against {_PAPER_ACC.drop(_TOP).mean():.2f}")
TOP_SPREAD = Claim(
    "F5 top", "p ≤ 1 and cosine are indistinguishable at the top", _REBUTTAL, PAPER,
    "range of their final test accuracies (points)", "<=", SIMILAR_POINTS, resolution=ONE_IMAGE,
    resolution_why=_ONE_IMAGE_WHY, quoted=f"range {np.ptp(_PAPER_ACC[_TOP]):.2f} points")
FREEZE = Claim(
    "F5 freeze", "p = 8 and exponential decay freeze early: the two highest final training losses", _REBUTTAL,
    PAPER, "the two highest final training losses are p = 8's and exponential's", "is", True,
    quoted="0.0505 and 0.100, the two highest")
RANKING = Claim(
    "F5 ranking", "our ranking of the schedules by final test accuracy follows the paper's", _REBUTTAL, PAPER,
    "two-sided p-value of Spearman's ρ, ours against the paper's (1 where ρ ≤ 0)", "<", ALPHA,
    quoted="the table's ranking")


POLYNOMIAL_GROUPS = Claim(
    "F5 polynomial groups", "within the polynomial family itself, p ≤ 1 beats p > 1", _REBUTTAL, PAPER,
    "mean final test accuracy of polynomial p ≤ 1 − of polynomial p > 1 (points)", ">", 0.0,
    resolution=ONE_IMAGE, resolution_why=_ONE_IMAGE_WHY, quoted="p ≤ 1 optimal (72.21 against 71.43)")


def _polynomial_groups(t: pd.DataFrame) -> float:
    acc = t["test acc (%)"]
    power = {s: float(s.split("= ")[1]) for s in t.index if s.startswith("polynomial")}
    low = [s for s, p in power.items() if p <= 1]
    return float(acc[low].mean() - acc[[s for s in power if s not in low]].mean())


def _groups(t: pd.DataFrame) -> float:
    acc, top = t["test acc (%)"], _theory_group(t.index)
    return float(acc[top].mean() - acc.drop(top).mean())


def _top_spread(t: pd.DataFrame) -> float:
    return float(np.ptp(t.loc[_theory_group(t.index), "test acc (%)"]))


def _freeze(t: pd.DataFrame) -> bool:
    return set(t["train loss"].nlargest(2).index) == {"polynomial p = 8", "exponential"}


def _ranking(t: pd.DataFrame) -> float:
    rho, p = stats.spearmanr(t["test acc (%)"], t["paper test acc (%)"])
    return float(p) if rho > 0 else 1.0


def lr_schedules(fig) -> Claims:
    """F5 (:func:`.trained.lr_schedules`), on each seed's runs and the seed mean."""
    data, setting = _data(fig), f"{len(fig.finals)} schedules"
    return Claims.of([_per_seed(claim, quantity, fig.seeds, fig.finals, setting=setting, data=data)
                      for claim, quantity in ((GROUPS, _groups), (POLYNOMIAL_GROUPS, _polynomial_groups),
                                              (TOP_SPREAD, _top_spread), (FREEZE, _freeze), (RANKING, _ranking))])


# F6: the (η, b) sweep

_SWEEP = "Fig. 3 of v5, 156 runs (notes Sec. 2.1, 5.6)"
FLATTER = Claim(
    "F6 δ sharpness", "δ predicts sharpness: larger δ, flatter", _SWEEP, PAPER, "Spearman's ρ(δ, sharpness)",
    "<=", -CLEAR, quoted="monotone")
NO_PREDICTION = Claim(
    "F6 sharpness accuracy", "sharpness does not predict test accuracy", _SWEEP, PAPER,
    "|Spearman's ρ(sharpness, test accuracy)|", "<", CLEAR, quoted="no clear relation")
CONCAVE = Claim(
    "F6 concave", "test accuracy is concave in log δ", _SWEEP, PAPER,
    f"permutation p-value of the quadratic coefficient of test accuracy in log δ (one-sided, negative; "
    f"{SHUFFLES:,} shuffles of the accuracies, scipy.stats.permutation_test)", "<", ALPHA,
    resolution=_P_RESOLUTION, resolution_why=_P_WHY, quoted="concave")
PEAK_INSIDE = Claim(
    "F6 peak", "with its best δ inside the swept range", _SWEEP, PAPER,
    "the quadratic fit is concave with its vertex inside the range of log δ", "is", True,
    quoted="best δ ≈ 0.1–1")


AT_EQUAL_LOSS = Claim(
    "F6 sharpness accuracy at equal loss", "sharpness does not predict test accuracy at equal training loss",
    _SWEEP, PAPER, "|partial Spearman ρ(sharpness, test accuracy | final training loss)|", "<", CLEAR,
    quoted="no clear relation",
    chosen="the control for the training loss was added after seeing sharpness track the loss in the first runs "
           "(a review's finding); the threshold is the claim's own")
#: δ with one C for the whole sweep: δ/C = η/√b (ranks, and the curvature in log δ, do not depend on C).
ONE_C, EACH_C = "η/√b", "δ"


def _quadratic(points: pd.DataFrame, x: str = ONE_C) -> tuple[np.ndarray, np.ndarray]:
    """log10 of column ``x`` (δ up to one C), and the least-squares map from accuracies to
    (curvature, slope, intercept) in it."""
    x = np.log10(points[x].to_numpy())
    return x, np.linalg.pinv(np.vander(x, 3))


def concavity(points: pd.DataFrame, x: str = ONE_C) -> float:
    """The permutation p-value that test accuracy is as concave in log δ by chance (δ from column
    ``x``): the quadratic coefficient of the fit against those of shuffled accuracies
    (``scipy.stats.permutation_test``)."""
    _, fit = _quadratic(points, x)

    def curvature(acc, axis=-1):
        return np.moveaxis(acc, axis, -1) @ fit[0]

    test = stats.permutation_test((points["test acc (%)"].to_numpy(),), curvature, permutation_type="pairings",
                                  vectorized=True, n_resamples=SHUFFLES, alternative="less", rng=0)
    return float(test.pvalue)


def _peak_inside(points: pd.DataFrame, x: str = ONE_C) -> bool:
    x, fit = _quadratic(points, x)
    curvature, slope, _ = fit @ points["test acc (%)"].to_numpy()
    return bool(curvature < 0 and x.min() < -slope / (2 * curvature) < x.max())


def _rho(x: str, y: str, absolute: bool = False):
    def quantity(points: pd.DataFrame) -> float:
        rho = points[x].corr(points[y], method="spearman")
        return abs(rho) if absolute else rho

    return quantity


def _at_equal_loss(points: pd.DataFrame) -> float:
    return abs(partial_spearman(points["sharpness"], points["test acc (%)"], points["train loss"]))


def sharpness_sweep(fig) -> Claims:
    """F6 (:func:`.trained.sharpness_sweep`): on each seed's runs and on the (η, b) means over
    seeds; the δ claims with one C for the sweep (δ ∝ η/√b, decided) and with each run's own
    end-of-training C (δ = η E‖ω‖, which partly reflects the run's outcome)."""
    points = fig.points
    seeds = {seed: runs for seed, runs in points.groupby("seed")}
    means = points.groupby(["η", "b"])[[ONE_C, EACH_C, "sharpness", "test acc (%)", "train loss"]].mean()
    data, setting = _data(fig), f"{len(means)} (η, b), {len(seeds)} seeds"
    decided = []
    for x, which in ((ONE_C, "δ with one C"), (EACH_C, "δ = η E‖ω‖, each run's C")):
        decided += [_per_seed(claim, quantity, seeds, means, setting=f"{setting}; {which}", data=data)
                    for claim, quantity in ((FLATTER, _rho(x, "sharpness")), (CONCAVE, partial(concavity, x=x)),
                                            (PEAK_INSIDE, partial(_peak_inside, x=x)))]
    decided += [_per_seed(claim, quantity, seeds, means, setting=setting, data=data)
                for claim, quantity in ((NO_PREDICTION, _rho("sharpness", "test acc (%)", absolute=True)),
                                        (AT_EQUAL_LOSS, _at_equal_loss))]
    return Claims.of(decided)


# F7: the gradient noise

_NOISE = "Fig. 8 of v4, Appendix H of v5 (notes Sec. 2.1)"
MODEL = Claim(
    "F7 model", "C/√b, corrected for drawing without replacement from n examples, fits every b from 8 on", _NOISE,
    PAPER, "largest |model / measured − 1| over 8 ≤ b < n", "<=", 0.2, quoted="E‖ω‖ ≤ C/√b",
    chosen="the window b ≥ 8 (C fitted on it) was set after seeing the norm rise from b = 1 to b = 4")
LIGHT_TAILS = Claim(
    "F7 light tails", "the noise's components are light-tailed", _NOISE, PAPER,
    "excess kurtosis of the components (a Gaussian's is 0)", "<=", 1.0, quoted="light tails (histogram)")


#: The band of slopes that counts as −1/2 (the F7 slope claims' "between").
SLOPE_BAND = (-0.6, -0.4)
#: One verdict per slope: the point slope alone, without the draws' spread, would decide the same
#: quantity a second time (and could contradict its interval).
SLOPE = Claim(
    "F7 slope", "E‖ω‖ ∝ b^(−1/2) (the slope, allowing for the spread of the 16 draws)", _NOISE, PAPER,
    "the slope's 95 % bootstrap interval (draws resampled) over b ≤ n/16 lies inside [−0.6, −0.4] (true), "
    "outside it (false) or across its edge (no decision)", "is", True, quoted="E‖ω‖ ≤ C/√b: slope −1/2")
SLOPE_SEEN = Claim(
    "F7 slope from b = 8", "the same where the 16 draws see at least 128 examples", _NOISE, PAPER,
    "the slope's 95 % bootstrap interval over 8 ≤ b ≤ n/16 lies inside [−0.6, −0.4] (true), outside it (false) "
    "or across its edge (no decision)", "is", True, quoted="slope −1/2",
    chosen="the lower end b ≥ 8 was set after seeing the norm rise from b = 1 to b = 4")
#: Parameter tensors smaller than this are left out of the per-layer tails (a batch-norm scale of
#: 8 numbers, pooled over 16 draws, gives a kurtosis of 128 values: noise, not tails).
LAYER_COMPONENTS = 1000
LAYER_TAILS = Claim(
    "F7 light tails per layer", "the noise's components are light-tailed within each layer", _NOISE, PAPER,
    f"largest over parameter tensors of ≥ {LAYER_COMPONENTS:,} components of the excess kurtosis of the "
    "tensor's components pooled over the 16 draws", "<=", 1.0, quoted="light tails (histogram)")


def _inside(interval: tuple[float, float], band: tuple[float, float] = SLOPE_BAND) -> bool | None:
    """Whether ``interval`` lies inside ``band`` (True), misses it (False), or crosses an edge or
    is unknown (None: no decision)."""
    low, high = interval
    if math.isnan(low) or math.isnan(high):
        return None
    if band[0] <= low and high <= band[1]:
        return True
    return False if high < band[0] or low > band[1] else None


def _largest_layer_kurtosis(table: pd.DataFrame) -> float:
    """The largest excess kurtosis over tensors of at least :data:`LAYER_COMPONENTS` components
    (NaN if any of them is NaN: a constant tensor's noise is not light-tailed by default)."""
    return float(table[table.components >= LAYER_COMPONENTS]["excess kurtosis"].max(skipna=False))


def gradient_noise(fig) -> Claims:
    """F7 (:func:`.trained.gradient_noise`): one checkpoint per seed, each decided on its own
    draws (the tails per b and per layer at the b that every seed measured)."""
    data, each = _data(fig), fig.by_seed

    def fitted(noise) -> pd.DataFrame:
        norms = noise.norms
        return norms[(norms.index < noise.n) & (norms.index >= SEEN)]

    decisions = [claim.decide({seed: _inside(noise.intervals[window]) for seed, noise in each.items()},
                              setting="one checkpoint per seed, 16 draws per b", data=data)
                 for claim, window in ((SLOPE, "b ≤ n/16"), (SLOPE_SEEN, "8 ≤ b ≤ n/16"))]
    decisions.append(MODEL.decide({seed: (fitted(noise)["model / measured"] - 1).abs().max()
                                   for seed, noise in each.items()}, setting="one checkpoint per seed", data=data))
    decisions += [LIGHT_TAILS.decide({seed: noise.kurtosis[b] for seed, noise in each.items()}, setting=f"b = {b}",
                                     data=data) for b in fig.kurtosis]
    decisions += [LAYER_TAILS.decide({seed: _largest_layer_kurtosis(noise.layers[b]) for seed, noise in each.items()},
                                     setting=f"b = {b}", data=data) for b in fig.layers]
    return Claims.of(decisions)


# Beyond the paper: is SGD gradient descent on the smoothed loss?

SMOOTHING_RATIO = Claim(
    "beyond ratio", "one SGD step raises the loss as much as the δ-smoothing does, δ = ηC/√b", "our question",
    QUESTION, "median over checkpoints of SGD's excess loss / the smoothing's (a lower bound)", "between",
    (0.5, 2.0), quoted="SGD optimises f̂_δ (implicit graduated optimisation)")
SMOOTHING_ORDER = Claim(
    "beyond order", "the predicted δ orders SGD's excess loss across stages and variants", "our question", QUESTION,
    "Spearman's ρ(δ, SGD's excess loss)", ">=", CLEAR, quoted="δ sets the degree of smoothing")


SMOOTHING_ORDER_AT_LOSS = Claim(
    "beyond order at equal loss", "and still orders it at equal training progress", "our question", QUESTION,
    "partial Spearman ρ(δ, SGD's excess loss | the loss f(θ) at the checkpoint)", ">=", CLEAR,
    quoted="δ sets the degree of smoothing")
DELTA_KEPT = Claim(
    "measured δ constant", "the constant variant keeps its δ: measured δ = η E‖ω‖ ends within a factor 2 of its start",
    "four-variant figure (constant δ against decaying δ; notes Sec. 3.2)", QUESTION,
    "|log2(measured δ at the first checkpoint / at the last)|", "<=", 1.0, quoted="δ = ηC/√b, constant")
DELTA_SCHEDULED = Claim(
    "measured δ schedule", "measured δ shrinks by the schedule's factor (C constant along the run)",
    "four-variant figure (the same δ decay; notes Sec. 3.2)", QUESTION,
    "|log2(measured shrink / scheduled shrink)|", "<=", 1.0, quoted="δ_end = δ_0/4")


def smoothing_check(fig) -> Claims:
    """Beyond the paper (:func:`.trained.smoothing_check`): every seed's F4 runs, decided on each
    seed's own checkpoints, the degenerate ones (the mini-batch is the whole fixed sample, so ω = 0
    by construction) left out; and the measured δ of each variant against its schedule."""
    kept, data = fig.trace[~fig.trace.degenerate], _data(fig)
    seeds = dict(list(kept.groupby("seed", sort=False)))
    setting = (f"4 variants, {len(kept) // len(seeds)} checkpoints per seed "
               f"({int(fig.trace.degenerate.sum()) // len(seeds)} degenerate left out)")
    decisions = [
        SMOOTHING_RATIO.decide({s: t["ratio"].median() for s, t in seeds.items()}, setting=setting, data=data),
        SMOOTHING_ORDER.decide({s: t["smoothing_delta"].corr(t["SGD excess"], method="spearman")
                                for s, t in seeds.items()}, setting=setting, data=data),
        SMOOTHING_ORDER_AT_LOSS.decide({s: partial_spearman(t["smoothing_delta"], t["SGD excess"], t["smoothing_f"])
                                        for s, t in seeds.items()}, setting=setting, data=data),
    ]
    deltas = fig.deltas

    def log2_by_seed(variant: str, column: str) -> dict:
        return {s: abs(np.log2(float(deltas.loc[(s, variant), column]))) for s in deltas.index.unique("seed")}

    decisions.append(DELTA_KEPT.decide(log2_by_seed("constant", "measured shrink"), setting="constant", data=data))
    for variant in deltas.index.unique("variant").drop("constant"):
        degenerate = deltas.xs(variant, level="variant")["last degenerate"].any()
        decisions.append(DELTA_SCHEDULED.decide(log2_by_seed(variant, "measured / scheduled"),
                                                setting=variant + (" (last checkpoint degenerate)"
                                                                   if degenerate else ""), data=data))
    return Claims.of(decisions)
