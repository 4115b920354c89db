"""The measures of this chapter's run figures (:class:`critbatch.chapters.Figure`): each receives
its loaded runs (:mod:`.study` declares them), returns what its notebook draws and decides its
claims (:mod:`.claims`) per seed and on the seed-averaged runs.

The SGD runs of a label are a list over seeds (``seed``, ``seed + 1``, ...); GD, deterministic,
is one run, the same for every seed. A quantity takes one view of a panel, ``{label: log}``:
one seed's runs, or the seed-averaged logs (:func:`_mean_log`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from critbatch.analysis.verdicts import Claims, Decision
from critbatch.chapters import Result

from . import claims, quoted, theory
from . import variance_reduction as vr
from .study import Panel, figure3_panels, panels_from

__all__ = ["Experiment", "Overview", "VarianceTable", "all_claims", "figure3", "figure4", "figure5", "figure6",
           "speedups", "variance_reduction"]

QUOTED = {p["problem"]: p for p in quoted.INTERPOLATION_PROBLEMS}
#: "For both MNIST and TIMIT ... less than 4 times iterations. For HINT-S ... less than 8 times."
GD_FACTOR = {"MNIST": 4, "HINT-S": 8, "TIMIT": 4}
#: Figure 4 compares at GD's error after T = 1/20, 1/10 and 1/5 of the run (25, 50, 100 of 500
#: steps), so that SGD has room for up to 5 times as many iterations.
FRACTIONS = (20, 10, 5)


@dataclass(frozen=True)
class Experiment:
    """What one kernel figure shows: its problems, its runs and its other tables."""

    panels: list  # the problems (Panel), one per panel of the figure
    runs: dict  # panel name -> {label: [results over seeds]} (Figure 3: panel name -> result)
    tables: dict = field(default_factory=dict)  # the figure's tables, by name

    @property
    def problems(self) -> pd.DataFrame:
        """Each panel's data (the paper's or the substitute) and kernel problem."""
        return pd.DataFrame([{"panel": p.name, "data": p.substitute or p.name, **vars(p.problem)}
                             for p in self.panels]).set_index("panel")


def data_of(panel: Panel) -> str:
    """What a panel's decisions were computed on: the paper's data, or the labelled substitute."""
    return f"substitute: {panel.substitute} for {panel.name} ({panel.matched})" if panel.substitute else "real"


def _mean_log(results: list) -> pd.DataFrame:
    """The seed-averaged log of runs that differ only in their seed (rows aligned)."""
    return pd.concat([r.log.select_dtypes("number") for r in results]).groupby(level=0).mean()


def _seed_views(by_label: dict, seed: int) -> dict[int, dict]:
    """``{seed: {label: log}}``: the k-th run of each label is seed ``seed + k``; a label with one run is in all."""
    count = max(len(rs) for rs in by_label.values())
    return {seed + k: {label: (rs[k] if len(rs) > 1 else rs[0]).log for label, rs in by_label.items()}
            for k in range(count)}


def _decide(claim, quantity: Callable[[dict], float], by_label: dict, seed: int, panel: Panel) -> Decision:
    """``claim`` on one panel: ``quantity`` of each seed's runs and of the seed-averaged runs."""
    per_seed = {s: quantity(view) for s, view in _seed_views(by_label, seed).items()}
    mean = quantity({label: _mean_log(rs) for label, rs in by_label.items()})
    return claim.decide(per_seed, mean=mean, setting=panel.name, data=data_of(panel))


def _kernel_panels(loaded: dict, scale: str) -> list[Panel]:
    return panels_from(scale, {name: r.summary for name, r in loaded["searches"].items()})


# Figure 4 -------------------------------------------------------------------------------------------


def _horizons(gd: pd.DataFrame) -> list[int]:
    length = int(gd.step.iloc[-1])
    return [length // k for k in FRACTIONS]


def _gd_multiple(view: dict, label: str, worst: Callable, beyond: float) -> float:
    return worst(claims.gd_multiples(view["GD"], view[label], _horizons(view["GD"]), beyond))


#: What Figure 4 draws and decides on, by the study's labels: m* from its runs that go on past GD's budget.
FIGURE4_LABELS = {"m = m*": "m = m*, run on", "m = 16 m*": "m = 16 m*", "GD": "GD"}


def figure4(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """Batch m* reaches GD's error within 4x (8x for HINT-S) GD's iterations; 16 m* tracks GD
    (``tables["multiples"]``: the steps / T of the seed-averaged runs, per T). The m* runs are
    those that go on to :data:`.study.RUN_ON` times GD's steps (the 500-step runs of the same
    seeds are their first steps), so a value is censored only past every threshold (then ∞)."""
    chosen = _kernel_panels(loaded, scale)
    runs = {p.name: {label: loaded["panels"][p.name][key] for label, key in FIGURE4_LABELS.items()} for p in chosen}
    decisions, multiples = [], {}
    for panel in chosen:
        by_label = runs[panel.name]
        gd = by_label["GD"][0].log
        for claim, label, worst in ((claims.M_STAR_WITHIN[GD_FACTOR[panel.name]], "m = m*", claims.largest),
                                    (claims.NEAR_GD, "m = 16 m*", claims.furthest_from_one)):
            beyond = claims.upper_edge(claim)
            decisions.append(_decide(claim, functools.partial(_gd_multiple, label=label, worst=worst, beyond=beyond),
                                     by_label, seed, panel))
            multiples[panel.name, label] = dict(zip(_horizons(gd), claims.gd_multiples(
                gd, _mean_log(by_label[label]), _horizons(gd), beyond)))
    table = pd.DataFrame(multiples).T.rename_axis(["panel", "batch"]).rename(columns="T = {}".format)
    return Result(Experiment(chosen, runs, {"multiples": table}), Claims.of(decisions))


# Figures 5 and 6 -----------------------------------------------------------------------------------


def _by_epoch(view: dict, column: str = "train_loss") -> pd.DataFrame:
    """One column per label, one row per epoch end after the first (epochs rounded: a batch that
    does not divide n ends its epochs a few steps late)."""
    table = pd.DataFrame({label: log.set_index(log.epoch.round().astype(int))[column] for label, log in view.items()})
    return table[table.index >= 1]


def _one_lowest(view: dict) -> float:
    return claims.most_lowest_share(_by_epoch(view))


def _final_ratio(view: dict, top: str, bottom: str) -> float:
    return float(view[top].train_loss.iloc[-1] / view[bottom].train_loss.iloc[-1])


def _rank_agreement(view: dict) -> float:
    final = pd.DataFrame({label: log[["train_loss", "test_loss"]].iloc[-1] for label, log in view.items()}).T
    return claims.rank_agreement(final.train_loss, final.test_loss)


def _critical_batches(chosen: list, runs: dict) -> tuple[pd.DataFrame, Claims]:
    """lambda_1 of our training kernel matrix and m* = beta/lambda_1 + 1 from it, against the
    panel titles of Figure 5 (one value per problem: the kernel matrix has no seed)."""
    rows, decisions = {}, []
    for panel in chosen:
        paper, s = QUOTED[panel.name], runs[panel.name]["GD"][0].summary
        m_star = s["beta"] / s["lambda_1"] + 1
        rows[panel.name] = {"λ1 quoted": paper["lambda_1"], "λ1 ours": s["lambda_1"], "m* quoted": paper["m_star"],
                            "β/λ1 + 1 ours": m_star}
        note = "σ set by bisection to the quoted λ1: agreement by construction" if panel.substitute else ""
        for claim, value in ((claims.LAMBDA_AS_QUOTED, abs(s["lambda_1"] / paper["lambda_1"] - 1)),
                             (claims.M_STAR_AS_QUOTED, abs(round(m_star) - paper["m_star"]))):
            decisions.append(claim.decide({None: value}, setting=panel.name, data=data_of(panel), note=note))
    return pd.DataFrame(rows).T, Claims.of(decisions)


def figure5(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """Training error against epochs for batch sizes 1, 2, m*, 4 m*, 16 m* and GD: the critical
    batches of the panel titles (``tables["critical batches"]``), m = 1 lowest per epoch, linear
    scaling and saturation."""
    chosen, runs = _kernel_panels(loaded, scale), loaded["panels"]
    table, decided = _critical_batches(chosen, runs)
    decisions = [_decide(claim, quantity, runs[p.name], seed, p) for p in chosen for claim, quantity in (
        (claims.ONE_LOWEST, _one_lowest),
        (claims.SMALL_DIFFERENCE, functools.partial(_final_ratio, top="m = m*", bottom="m = 1")),
        (claims.SATURATION_EPOCHS, functools.partial(_final_ratio, top="m = 16 m*", bottom="m = m*")))]
    return Result(Experiment(chosen, runs, {"critical batches": table}), decided + Claims.of(decisions))


def _final(runs: dict, chosen: list) -> pd.DataFrame:
    return pd.DataFrame({
        (p.name, label): {"m": res[0].summary["batch_size"],
                          "train error": np.mean([r.log.train_loss.iloc[-1] for r in res]),
                          "test error": np.mean([r.log.test_loss.iloc[-1] for r in res]),
                          "test misclassification": np.mean([r.log.test_error.iloc[-1] for r in res])}
        for p in chosen for label, res in runs[p.name].items()}).T


def figure6(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """The runs of Figure 5, training against test error (``tables["final"]``: the last epoch's
    errors per batch size, mean over seeds); the batch sizes rank the same on both, per seed."""
    chosen, runs = _kernel_panels(loaded, scale), loaded["panels"]
    decisions = [_decide(claims.SAME_RANKING, _rank_agreement, runs[p.name], seed, p) for p in chosen]
    return Result(Experiment(chosen, runs, {"final": _final(runs, chosen)}), Claims.of(decisions))


# Figure 3 ---------------------------------------------------------------------------------------


def _epoch_ends(result) -> pd.DataFrame:
    """The rows of a Figure 3 run logged at the end of an epoch (with every point's loss)."""
    return result.log[result.log.point_losses.notna() & (result.log.epoch > 0)]


def _fitted_share(result, threshold: float = 1e-2) -> list[float]:
    return [float((np.asarray(p) < threshold).mean()) for p in _epoch_ends(result).point_losses]


def _test_falls(result) -> bool:
    return bool(np.all(np.diff(_epoch_ends(result).test_loss) < 0))


def figure3(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """EigenPro SGD on the Laplace kernel, per-point losses at every epoch (``loaded``: per panel,
    the runs over seeds; ``tables["runs"]``: the kernels before and after EigenPro, batch and step
    of the first seed, whose histograms are drawn; ``tables["fitted"]``: the share of points with
    loss < 0.01 per epoch, mean over seeds). Decided per seed."""
    chosen = figure3_panels(scale)
    first = {p.name: loaded[p.name][0].summary for p in chosen}  # the first seed's, whose histograms are drawn
    table = pd.DataFrame({p.name: {"data": p.substitute or p.name, "n": p.problem.n, "seeds": len(loaded[p.name]),
                                   "λ1 of K/n": first[p.name]["kernel_lambda_1"],
                                   "λ1 after EigenPro": first[p.name]["lambda_1"],
                                   "β after EigenPro": first[p.name]["beta"],
                                   "batch": first[p.name]["batch_size"], "step": first[p.name]["lr"]}
                          for p in chosen}).T
    shares = {p.name: {r.config.seed: _fitted_share(r) for r in loaded[p.name]} for p in chosen}
    fitted = pd.DataFrame({name: np.mean(list(per_seed.values()), axis=0) for name, per_seed in shares.items()})
    fitted.index += 1  # epochs
    decisions = []
    for p in chosen:
        runs = loaded[p.name]
        decisions += [claims.TRAINING_POINTS_FIT.decide({s: share[-1] for s, share in shares[p.name].items()},
                                                        setting=p.name, data=data_of(p)),
                      claims.TEST_FALLS.decide({r.config.seed: _test_falls(r) for r in runs}, setting=p.name,
                                               data=data_of(p))]
    return Result(Experiment(chosen, loaded, {"runs": table, "fitted": fitted.rename_axis("epoch")}),
                  Claims.of(decisions))


# The measured speed-ups (the book's question) -----------------------------------------------------


def _speedup_table(t: pd.Series, beta: float, lambda_1: float, n: int) -> pd.DataFrame:
    return pd.DataFrame({"t(m)": t, "measured t(1)/t(m)": t[1] / t,
                         "s(m), eq. 13": theory.speedup(t.index, beta, lambda_1, beta / n),
                         "eq. 11 analogue": theory.practical_speedup(t.index, beta, lambda_1, n)})


def _speedup_quantities(t: pd.Series, beta: float, lambda_1: float) -> tuple[float, float]:
    """The smallest measured t(1)/t(m) / m for m <= m*, and the measured t(1)/t(n) / 4 beta/lambda_1."""
    n = max(t.index)
    measured = t[1] / t
    small = measured[measured.index <= theory.critical_batch(beta, lambda_1, beta / n)]
    return float((small / small.index).min()), float(measured.iloc[-1] / theory.speedup_limit(beta, lambda_1, beta / n))


def speedups(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """Measured t(1)/t(m) at the lowest training error every run reaches, against s(m) (eq. 13)
    and its analogue for the steps of eq. 11 (``tables``: per panel, seed-averaged)."""
    chosen, runs = _kernel_panels(loaded, scale), loaded["panels"]
    decisions, tables = [], {}
    for panel in chosen:
        by_m = runs[panel.name]
        first = next(iter(by_m.values()))[0].summary
        beta, lambda_1 = first["beta"], first["lambda_1"]
        reached = {m: [r.summary["steps_to"] for r in res] for m, res in by_m.items()}
        level = min((t for t in first["steps_to"] if all(d[t] is not None for ds in reached.values() for d in ds)),
                    key=float)
        count = max(len(ds) for ds in reached.values())
        per_seed = {seed + k: pd.Series({m: float(ds[k if len(ds) > 1 else 0][level]) for m, ds in reached.items()})
                    for k in range(count)}
        mean = pd.Series({m: float(np.mean([d[level] for d in ds])) for m, ds in reached.items()})
        tables[panel.name] = _speedup_table(mean, beta, lambda_1, panel.problem.n)
        tables[panel.name].attrs["level"] = float(level)
        values = {s: _speedup_quantities(t, beta, lambda_1) for s, t in per_seed.items()}
        on_mean = _speedup_quantities(mean, beta, lambda_1)
        for k, claim in enumerate((claims.MEASURED_LINEAR, claims.MEASURED_SATURATION)):
            decisions.append(claim.decide({s: v[k] for s, v in values.items()}, mean=on_mean[k],
                                          setting=f"{panel.name}, training error {float(level):g}", data=data_of(panel)))
    return Result(Experiment(chosen, runs, tables), Claims.of(decisions))


# Section 3.1's table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VarianceTable:
    """The table of Section 3.1, evaluated for one problem and run on it."""

    n: int  # points
    d: int  # parameters
    beta: float
    alpha: float
    tol: float  # the runs stop at tol times the initial loss
    budget: int  # component gradients
    bounds: pd.DataFrame  # per method: step x beta and the iteration bound (hidden constants 1)
    runs: dict  # method -> results over sampling seeds
    measured: pd.DataFrame  # per method: runs that reached tol, mean gradients / n

    @property
    def setting(self) -> str:
        return (f"n = {self.n}, d = {self.d}, beta = {self.beta:.3f}, alpha = {self.alpha:.3g}, "
                f"beta/alpha = {self.beta / self.alpha:.0f}")


def _passes(result, n: int) -> float:
    """Component gradients to the target, in passes over the data (∞: not reached in the budget)."""
    return result.summary["gradients"] / n if result.summary["status"] == "reached" else math.inf


def _sgd_lead(passes: pd.Series) -> float:
    """SGD's passes minus the fewest of the other methods' (NaN when neither is finite)."""
    with np.errstate(invalid="ignore"):
        return float(passes["SGD (eq. 1)"] - passes.drop("SGD (eq. 1)").min())


def variance_reduction(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """SGD, SAG, SVRG and SAGA with the table's step sizes on one interpolating least-squares
    problem (the runs of :func:`.study.variance_reduction_runs`): the table evaluated, the passes
    each needed, and the claims of Section 3.1 (per sampling seed)."""
    first = loaded["SGD (eq. 1)"][0].config
    n, d, tol, budget = first.n, first.d, first.tol, round(first.epochs * first.n)
    problem = vr.interpolating_problem(n, d, seed=first.problem_seed)
    bounds = pd.DataFrame(vr.table(n, problem.beta, problem.alpha)).set_index("method")
    bounds["step × β"] = bounds.step * problem.beta
    bounds = bounds[["step × β", "iterations"]].astype(float)
    passes = pd.DataFrame({name: [_passes(r, n) for r in rs] for name, rs in loaded.items()})
    table = pd.DataFrame({"reached 1e-6 (runs)": [f"{np.isfinite(passes[c]).sum()}/{len(passes)}" for c in passes],
                          "gradients / n (mean)": passes.replace(math.inf, np.nan).mean().where(
                              np.isfinite(passes).all())}, index=passes.columns)
    table["step × β (table)"] = bounds["step × β"]
    per_seed = {seed + k: _sgd_lead(row) for k, row in passes.iterrows()}
    decided = Claims.of([
        claims.LARGEST_STEP.decide({None: bounds.loc[list(loaded), "step × β"].idxmax() == "SGD (eq. 1)"}),
        claims.FASTEST.decide(per_seed, mean=_sgd_lead(passes.mean()))])
    return Result(VarianceTable(n, d, problem.beta, problem.alpha, tol, budget, bounds, loaded, table), decided)


# Every claim of the experiments, side by side -----------------------------------------------------


@dataclass(frozen=True)
class Overview:
    """Every decided claim of Figures 3-6 and of the measured speed-ups, the substitutes behind
    them and what the runs cost (training seconds: shown, never decided on)."""

    claims: Claims
    substitutes: pd.DataFrame
    cost: pd.DataFrame


def _cost(results: list) -> dict:
    return {"runs": len(results), "training seconds": round(sum(r.summary["seconds"] for r in results)),
            "device": ", ".join(sorted({r.summary["device"] for r in results}))}


def _flat(runs: dict) -> list:
    return [r for by_label in runs.values() for rs in by_label.values() for r in rs]


def all_claims(loaded: dict, scale: str, seed: int = 0, **options) -> Result:
    """The claims of Figures 3-6 and of the measured speed-ups side by side, from those figures'
    runs (``loaded``: their runs by figure). Its own claims are empty: each is its figure's."""
    three, four, five, six, speed = (figure3(loaded["fig3"], scale, seed), figure4(loaded["fig4"], scale, seed),
                                     figure5(loaded["fig5"], scale, seed), figure6(loaded["fig5"], scale, seed),
                                     speedups(loaded["speedups"], scale, seed))
    every = three.claims + four.claims + five.claims + six.claims + speed.claims
    substitutes = pd.DataFrame([{"figures": figures, "paper's data": p.name, "ours": p.substitute or "the paper's",
                                 "how": p.matched}
                                for figures, group in [("4-6", five.data.panels), ("3", three.data.panels)]
                                for p in group])
    cost = pd.DataFrame({"Figure 3": _cost([r for runs in loaded["fig3"].values() for r in runs]),
                         "Figure 4": _cost(_flat(loaded["fig4"]["panels"])),
                         "Figures 5 and 6": _cost(_flat(loaded["fig5"]["panels"])),
                         "speed-ups": _cost(_flat(loaded["speedups"]["panels"]))}).T
    return Result(Overview(every, substitutes, cost))
