"""Steps, SFO and the claims of Tsukada & Iiduka, measured on stored runs.

:func:`measure` turns the runs of :func:`critbatch.papers.armijo.study.sweep_runs` into one row per run
(steps K, SFO N and function computations at the first check that meets a target);
:func:`average` averages over seeds; the ``*_claims`` functions return "paper against ours"
rows (:func:`critbatch.analysis.claims.claim`), each naming its test; the ``*_verdict``
functions write the sentence each section ends with.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from critbatch.analysis.claims import claim, held, verdict
from critbatch.analysis.reach import first_reach, how_ended
from critbatch.analysis.seeds import mean_and_range

from . import quoted, theory

__all__ = ["average", "critical_batch_sizes", "evaluation_claims", "evaluation_verdict", "fewest_steps_claims",
           "fit_claims", "jumpiness", "jumps", "measure", "precision_ends", "quote_rebuttal_targets",
           "round_off_claims", "round_off_verdict", "shape_claims", "step_size_claims", "step_size_verdict",
           "sweep_verdict", "trial_bn_claims", "trial_bn_verdict", "two_target_claims", "two_target_verdict",
           "unfinished"]


def measure(sweep: dict, target: float) -> pd.DataFrame:
    """One row per run: optimizer, b, seed, steps, sfo and computations (steps plus failed
    line-search trials, the rebuttal's "function computations") when the training accuracy
    first reaches ``target``; NaN where it never does."""
    rows = []
    for (name, b), results in sweep.items():
        for result in results:
            hit = first_reach(result.log, "train_acc", at_least=target)
            failed = hit.get("failed_trials", 0) if hit is not None else math.nan
            rows.append({"optimizer": name, "b": b, "seed": result.config.seed,
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
    return mean_and_range(measured, ["optimizer", "b"], ["steps", "sfo", "computations"], strict=True)


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


def fit_claims(table: pd.DataFrame, name: str, figure: str) -> tuple[pd.DataFrame, theory.Fit | None]:
    """b* from a fit of K(b) = C1 b / (eps^2 b - C2) against the measured critical batch size
    (no fit, and a row that says why, if fewer than three batch sizes reached the target)."""
    k = table.loc[name].steps.dropna()
    paper, question = "can be estimated from the theory", ("b* = 2 C2 / eps^2 from the fit of K(b), against the "
                                                          "measured critical batch size (test: within a factor 2)")
    if len(k) < 3:
        return pd.DataFrame([claim(figure, name, question, paper, f"only {len(k)} batch sizes reached the target",
                                   False)]), None
    fit = theory.fit_steps(k.index.to_numpy(), k.to_numpy(), eps=1.0)  # b* does not depend on eps
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
    hits = {c: first_reach(r.log, "train_acc", at_least=target) for c, r in runs.items()}
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


def quote_rebuttal_targets(claims: pd.DataFrame, armijo: str = "SGD+Armijo") -> pd.DataFrame:
    """:func:`two_target_claims` rows with the rebuttal's CIFAR-10 critical batch sizes at two
    loss targets as the paper's value for ``armijo``."""
    by_target = quoted.ARMIJO_CIFAR10_CRITICAL_BY_TARGET
    claims = claims.copy()
    claims.loc[claims.data == armijo, "paper"] = (f"CIFAR-10: {by_target[0.1]} (loss ≤ 0.1) → "
                                                  f"{by_target[0.001]} (loss ≤ 0.001)")
    return claims


def _on(trained_on: str | None) -> str:
    return f"On {trained_on}: " if trained_on else ""


def sweep_verdict(claims: pd.DataFrame, stuck: pd.DataFrame, critical: pd.Series, fit: theory.Fit | None,
                  substitute: str | None = None, armijo: str = "SGD+Armijo") -> str:
    """The checks that hold and those that do not, the (optimizer, b) that missed the target,
    and ``armijo``'s critical batch size: measured, the rebuttal's and from the fit of K(b)
    (on ``substitute``, if the runs train on one)."""
    best = critical.get(armijo)
    return (_on(substitute) + verdict(claims)
            + f". {len(stuck)} (optimizer, batch size) pairs did not reach the target with every seed"
            + (f" ({', '.join(f'{o} at b = {b}' for o, b in stuck.index)})" if len(stuck) else "")
            + f". {armijo}'s measured critical batch size is "
            + (f"{best}" if best is not None else "undefined (it never reached the target)")
            + f" (the rebuttal's, on CIFAR-10: {quoted.ARMIJO_CIFAR10_CRITICAL[armijo]})"
            + (f"; the fit of K(b) puts b* at {fit.b_star:.0f}, fitted over b = {', '.join(map(str, fit.batch_sizes))}."
               if fit is not None else "; too few batch sizes reached the target for a fit of K(b)."))


def evaluation_verdict(claims: pd.DataFrame, failed_per_step: pd.Series) -> str:
    """SGD+Armijo's failed trials per step, and where its computations are below the others' steps."""
    return (f"SGD+Armijo makes {failed_per_step.min():.2f} to {failed_per_step.max():.2f} failed trials per step "
            f"(the rebuttal reads about 0.1 to 0.15 on CIFAR-10), and its computations are below every other "
            f"optimizer's steps at {claims.ours[0]} of the batch sizes: "
            + ("as the rebuttal shows." if held(claims).all() else
               "not everywhere, unlike the rebuttal's CIFAR-10 figure."))


def two_target_verdict(claims: pd.DataFrame, looser: float, target: float, armijo: str = "SGD+Armijo") -> str:
    """For how many optimizers (rows of :func:`two_target_claims`) the critical batch size moves
    up, stays or moves down from the ``looser`` target to ``target``, and where ``armijo``'s goes."""
    moves = claims.ours.str.extract(r"^(\d+) → (\d+)$").astype(float)
    before, after = moves[0], moves[1]
    up, same, down = (after > before).sum(), (after == before).sum(), (after < before).sum()
    missing = claims.data[before.isna()].tolist()
    return (f"From training accuracy {looser} to {target}, the critical batch size moves to larger batches "
            f"for {up} of the {len(claims)} optimizers, stays for {same} (a shift of less than the grid's "
            f"factor 2) and moves to smaller batches for {down}"
            + (f" ({', '.join(missing)}: not reached at one of the targets)" if missing else "")
            + f"; {armijo}'s goes {claims.ours[claims.data == armijo].iloc[0]}.")


def step_size_verdict(claims: pd.DataFrame, substitute: str | None = None) -> str:
    """Each step-size claim with our number and its verdict (on ``substitute``, if the runs train on one)."""
    return _on(substitute) + verdict(claims, "{claim}: {ours} ({verdict})", noun="claims", every=True) + "."


#: The round-off test: accepted steps "stay large" when each run's last logged stretch has a
#: median at least this (the float32 runs at b = 4 end near 1e-10, those at b = 8 near 0.1).
LARGE_STEP = 1e-3
#: The jumpiness test: a drop of the training accuracy by more than this between evaluations.
DROP = 0.05


def _steps_taken(result) -> np.ndarray:
    return np.concatenate(result.log.step_sizes.dropna().to_list())


def precision_ends(runs: dict, target: float) -> pd.DataFrame:
    """One row per run of ``{(precision, b): [Result, ...]}``: how it ended, its steps, the steps to
    training accuracy ``target`` (NaN: never), its best accuracy, and the median accepted step of
    the whole run and of its last logged stretch (the quarter epoch before it stopped)."""
    rows = []
    for (precision, b), results in runs.items():
        for r in results:
            hit = first_reach(r.log, "train_acc", at_least=target)
            rows.append({"precision": precision, "b": b, "seed": r.config.seed, "status": r.summary["status"],
                         "steps": r.summary["steps"], "steps to target": hit.step if hit is not None else math.nan,
                         "best training accuracy": r.log.train_acc.max(),
                         "median step": float(np.median(_steps_taken(r))),
                         "median step, last stretch": float(np.median(r.log.step_sizes.dropna().iloc[-1]))})
    return pd.DataFrame(rows).set_index(["precision", "b", "seed"]).sort_index()


def _span(values: pd.Series, form: str = "{:.3g}") -> str:
    low, high = values.min(), values.max()
    return form.format(low) if low == high else f"{form.format(low)}–{form.format(high)}"


def round_off_claims(ends: pd.DataFrame, figure: str) -> pd.DataFrame:
    """At the smallest batch size of ``ends`` (:func:`precision_ends`), float64 runs reach the
    target with every seed and their accepted steps stay large, if float32 round-off in the
    Armijo test is what makes the float32 runs collapse (the chapter's explanation)."""
    b = ends.index.get_level_values("b").min()
    single, double = ends.loc["float32", b], ends.loc["float64", b]
    explanation = "collapse from float32 round-off: gone in float64"
    reached = (double.status == "reached").sum()
    return pd.DataFrame([
        claim(figure, f"MNIST, b = {b}", "every seed reaches the target in float64 (test: all)", explanation,
              f"float64: {reached} of {len(double)} reached (steps {_span(double.steps, '{:,}')}); float32: "
              f"{(single.status == 'reached').sum()} of {len(single)} (stopped at steps {_span(single.steps, '{:,}')})",
              reached == len(double)),
        claim(figure, f"MNIST, b = {b}", f"accepted steps stay large in float64 (test: median of each run's last "
              f"logged stretch ≥ {LARGE_STEP:g})", explanation,
              f"float64: {_span(double['median step, last stretch'])}; float32: "
              f"{_span(single['median step, last stretch'])}",
              bool((double["median step, last stretch"] >= LARGE_STEP).all())),
    ])


def round_off_verdict(claims: pd.DataFrame, ends: pd.DataFrame) -> str:
    """Whether float64 removes the collapse at the smallest batch size (the rows of
    :func:`round_off_claims`), against float32 there, and both precisions at the next batch size
    of ``ends`` (the control)."""
    b, control = sorted(ends.index.get_level_values("b").unique())[:2]
    double, single = ends.loc["float64", b], ends.loc["float32"]

    def steps(runs: pd.DataFrame) -> str:
        if runs["steps to target"].notna().all():
            return f"reach the target in {_span(runs['steps to target'], '{:,.0f}')} steps"
        return how_ended(list(zip(runs.status, runs.steps)))

    def last(runs: pd.DataFrame) -> str:
        return _span(runs["median step, last stretch"])

    head = ("Round-off confirmed" if held(claims).all() else
            "Round-off is not the explanation, and the chapter's sentence blaming it is wrong")
    return (f"{head}: in float64 the {len(double)} seeds at b = {b} {steps(double)}, their accepted steps ending "
            f"at a median of {last(double)}; in float32 they {steps(single.loc[b])}, ending at {last(single.loc[b])}. "
            f"At b = {control}, the control, they {steps(single.loc[control])} in float32 and "
            f"{steps(ends.loc['float64', control])} in float64, ending at {last(single.loc[control])} and "
            f"{last(ends.loc['float64', control])}.")


def jumpiness(log: pd.DataFrame, start: float = 1.0) -> dict:
    """How much the training accuracy jumps between consecutive evaluations from epoch ``start``
    on (the climb from the random initialisation left out), in percentage points: the mean
    absolute change, the number of drops by more than :data:`DROP`, and the largest drop."""
    change = log.train_acc[log.epoch >= start].diff().dropna() * 100
    return {"mean |change| (points)": float(change.abs().mean()),
            f"drops > {DROP * 100:g} points": int((change < -DROP * 100).sum()),
            "largest drop (points)": float(max(0.0, -change.min()))}


def _same_steps(log: pd.DataFrame, other: pd.DataFrame) -> bool:
    """The same mini-batch losses (train mode) and accepted steps: the same parameters throughout."""
    return log.batch_loss.equals(other.batch_loss) and np.array_equal(
        np.concatenate(log.step_sizes.dropna().to_list()), np.concatenate(other.step_sizes.dropna().to_list()))


def jumps(runs: dict) -> pd.DataFrame:
    """:func:`jumpiness` per run of ``{(trial statistics, seed): Result}``, its last accuracies,
    its failed trials per step, and whether it takes the steps of the "updated" run of its seed."""
    rows = {(arm, seed): {**jumpiness(r.log), "final training accuracy": r.log.train_acc.iloc[-1],
                          "final test accuracy": r.log.test_acc.iloc[-1],
                          "failed trials per step": r.log.failed_trials.iloc[-1] / r.log.step.iloc[-1],
                          "steps as updated": _same_steps(r.log, runs["updated", seed].log)}
            for (arm, seed), r in runs.items()}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(["trial statistics", "seed"])


def trial_bn_claims(table: pd.DataFrame, figure: str, data: str) -> pd.DataFrame:
    """Fewer drops and smaller changes of the training accuracy with frozen trial statistics
    (``table``: :func:`jumps`), if rejected trials moving the BatchNorm statistics cause the jumps."""
    drops, mean = f"drops > {DROP * 100:g} points", "mean |change| (points)"
    updated, frozen = table.loc["updated"], table.loc["frozen"]
    hypothesis = "rejected trials move the BatchNorm statistics: frozen, fewer jumps"
    return pd.DataFrame([
        claim(figure, data, f"drops of the training accuracy by more than {DROP * 100:g} points between epochs, "
              "all seeds (test: fewer when frozen)", hypothesis,
              f"updated: {updated[drops].sum()}; frozen: {frozen[drops].sum()}",
              frozen[drops].sum() < updated[drops].sum()),
        claim(figure, data, "mean absolute change of the training accuracy between epochs, mean over seeds "
              "(test: smaller when frozen)", hypothesis,
              f"updated: {updated[mean].mean():.1f} points; frozen: {frozen[mean].mean():.1f} points",
              frozen[mean].mean() < updated[mean].mean()),
        claim(figure, data, "the same parameters with frozen trial statistics (test: the mini-batch losses and "
              "accepted steps of every seed equal the updated run's)", "only the BatchNorm statistics change",
              f"{frozen['steps as updated'].sum()} of {len(frozen)} seeds equal",
              bool(frozen["steps as updated"].all())),
    ])


def trial_bn_verdict(table: pd.DataFrame, substitute: str | None = None) -> str:
    """Whether frozen trial statistics remove, reduce or do not change the jumps (``table``: :func:`jumps`)."""
    drops, mean = f"drops > {DROP * 100:g} points", "mean |change| (points)"
    updated, frozen = table.loc["updated"], table.loc["frozen"]
    before, after = updated[drops].sum(), frozen[drops].sum()
    fewer, calmer = after < before, frozen[mean].mean() < updated[mean].mean()
    effect = ("there are no such drops to remove" if before == 0 else
              "frozen trial statistics remove the jumps" if after == 0 else
              "frozen trial statistics reduce the jumps" if fewer and calmer else
              "frozen trial statistics do not reduce the jumps, so rejected trials moving the BatchNorm "
              "statistics do not explain them")
    return (_on(substitute) + f"{effect}: {before} drops of more than {DROP * 100:g} points with the statistics "
            f"updated by every trial, {after} with them frozen ({len(updated)} seed{'s' * (len(updated) > 1)}); "
            f"mean absolute change between epochs {updated[mean].mean():.1f} against {frozen[mean].mean():.1f} "
            f"points; final training accuracy {_span(updated['final training accuracy'])} against "
            f"{_span(frozen['final training accuracy'])}. The line search rejects "
            f"{_span(updated['failed trials per step'], '{:.2f}')} trials per step"
            + (", and the parameters are the same in both arms, so only the statistics differ."
               if frozen["steps as updated"].all() else "."))
