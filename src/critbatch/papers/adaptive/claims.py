"""Steps, SFO, checks and stages of Umeda & Iiduka's schedules, measured on stored runs; the
claims of this chapter, each written once as a :class:`~critbatch.analysis.verdicts.Claim`; and
their decisions, per seed.

Everything here reads a run's log (one row per check: step, sfo, lr, batch_size, stage,
grad_norm, ..., seconds) and summary (seconds, measure_seconds, stages); nothing trains. Time is
decided on work only (steps, SFO, and SFO with the examples of the full-gradient checks, counted
from the config's check interval and the training-set size); wall-clock seconds, measured on a
shared machine, are shown but decide nothing. First reaches are read at the checks, so two
schedules within one check interval of each other are a tie.

The paper's figures (paper text, notes Sec. 1): Fig. 1 the SFO against batch size (our
``sfo-batch-size``), Fig. 2 exponential growth of both against linear batch-size growth (our
``growth``), Figs. 3/4 adaptive against fixed and periodic schedules (our ``joint-comparison``;
our ``batch-only`` asks the same of batch size alone); Propositions 1 and 2 the theory.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from critbatch.analysis.reach import first_reach
from critbatch.analysis.seeds import mean_and_range
from critbatch.analysis.verdicts import DERIVED, PAPER, QUESTION, Claim, Claims

__all__ = ["BUDGET", "CLOSED_LADDER", "CLOSED_MINIMUM", "CLOSED_RATIO", "RATIO_GROWTH", "FASTER", "FIT_RATIO", "GROWS", "INSIDE", "LADDER", "MINIMA_RATIO", "PROXY_SHARE", "PROXY_SWITCHES", "QUESTION_BUDGET", "QUESTION_FASTER", "SWITCH", "UNSTABLE",
           "GROWTH", "GROWTH_BUDGET", "GROWTH_FASTER", "budget_claims", "check_share", "level_claims", "verdict_grid", "check_work_share", "checks_until", "proxy_claims", "train_size", "comparison_claims", "critical_batch_sizes", "deepest_common",
           "first_reaches", "ladder_claims", "switch_steps", "took_effect", "reach_table", "sfo_claims", "stage_table",
           "stability_claims", "wall_clock"]

ABSTRACT = "converges faster than fixed or periodic schedules"
#: Work to the target, in three units (column of :func:`first_reaches` -> what it counts).
UNITS = {"step": "steps", "sfo": "SFO (training examples)", "work": "SFO plus the examples of the full-gradient checks"}


def _faster(unit: str, source: str, kind: str, quoted: str) -> Claim:
    return Claim(f"faster in {UNITS[unit]}", f"ours reaches the target ||grad f|| with less work ({UNITS[unit]}) "
                 "than the other schedule (decided at every threshold eps_m of the ladder, fixed before the runs)",
                 source, kind, f"{UNITS[unit]} of ours minus the other's, to the target", "<", 0.0, quoted=quoted)


#: Figs. 3/4 and the abstract: the adaptive schedule reaches each threshold first (steps: the
#: figures' axis; SFO and SFO with checks: the cost the title minimises).
FASTER = {unit: _faster(unit, "abstract; Figs. 3/4", PAPER, ABSTRACT) for unit in UNITS}
#: Fig. 2 and Proposition 1(iii), in the words of the paper's summary (no number could be read).
GROWTH = ("exponential growth of batch size and learning rate decays ||grad f|| faster than linear batch-size "
          "growth with a constant learning rate")
GROWTH_FASTER = {unit: _faster(unit, "Fig. 2; Proposition 1(iii)", PAPER, GROWTH) for unit in UNITS}
#: The same comparison beyond the paper (another optimizer, proxies of the norm): our question.
QUESTION_FASTER = {unit: _faster(unit, "our question", QUESTION, "") for unit in UNITS}
BUDGET = Claim("lower within the budget", "ours gets ||grad f|| lower than the other schedule within the budget",
               "abstract; Figs. 3/4", PAPER, "smallest checked ||grad f|| of ours over the other's", "<", 1.0,
               quoted=ABSTRACT)
QUESTION_BUDGET = dataclasses.replace(BUDGET, source="our question", kind=QUESTION, quoted="")
GROWTH_BUDGET = dataclasses.replace(BUDGET, source="Fig. 2; Proposition 1(iii)", quoted=GROWTH)
SWITCH = Claim("switch at the first check", "a stage ends at the first check with ||grad f|| <= eps_m",
               "Algorithm 2, line 5", DERIVED, "every switch at the first such check", "is", True,
               quoted="if ||grad f(theta_t)|| <= eps_m: m <- m + 1")
LADDER = Claim("one b* curve", "b_m eps_m^2 is constant: every stage on one critical-batch-size curve",
               "our notes (shared/specs/paper2-adaptive-batch-lr.md): the code's eps_m = eps0 sqrt(b0/b_m)", DERIVED,
               "max/min of b_m eps_m^2 over the stages", "<=", 1.01)
INSIDE = Claim("U-shaped", "N(b) has its minimum inside the batch sizes that reach eps", "Fig. 1", PAPER,
               "argmin of N(b) not at an end of the reached batch sizes (3 or more)", "is", True,
               quoted="U-shaped, minimum at the critical batch size")
_GRID = "b* is read on a doubling grid, so it moves by whole grid points: no move is a tie, not growth"
GROWS = Claim("b* grows", "the critical batch size grows as eps shrinks", "Proposition 2; Fig. 1", PAPER,
              "log2 b*(smaller eps) - log2 b*(larger eps), in grid points", ">", 0.0, resolution=0.5,
              resolution_why=_GRID, quoted="b* = 2 C2 / eps^2")
MINIMA_RATIO = Claim("b* ~ 1/eps^2 (minima)", "b* from the minima scales as 1/eps^2: a ratio of 4 between the "
                     "first two eps", "Proposition 2", PAPER, "|log2(b* ratio / 4)| from the minima", "<=", 1.0,
                     resolution=0.5, resolution_why="b* is read on a doubling grid: a factor 2 off is the boundary", quoted="b* = 2 C2 / eps^2")
FIT_RATIO = Claim("b* ~ 1/eps^2 (fits)", "b* from the fits of 1/T on 1/b scales as 1/eps^2: a ratio of 4 between "
                  "the first two eps", "Proposition 2", PAPER, "|log2(fitted b* ratio / 4)|", "<=", 1.0,
                  quoted="b* = 2 C2 / eps^2")
UNSTABLE = Claim("gamma >= sqrt(delta) unstable", "gamma >= sqrt(delta) destabilises training", "our question",
                 QUESTION, "a run diverges, or ends with ||grad f|| over 2x or test accuracy 0.05 below (2, 1.4)'s",
                 "is", True, quoted="outside the theory (no guarantee)",
                 chosen="the factor 2 and the 0.05 were fixed before the runs")
PROXY_SHARE = Claim("checks under half the work", "the full-gradient checks are under half the adaptive run's work",
                    "our question", QUESTION, "examples of the checks over all examples (training and checks)", "<",
                    0.5, quoted="our notes estimate ~50% overhead early in the code's runs")
PROXY_SWITCHES = Claim("proxy switches with the exact norm", "the proxy switches within one check interval of the "
                       "exact norm's switch", "our question", QUESTION, "share of the stages", ">=", 0.8)
def _trained(log: pd.DataFrame) -> pd.DataFrame:
    """The rows after the first update (the row at step 0 is the initial network's)."""
    return log[log.step > 0]


def wall_clock(result) -> pd.Series:
    """Seconds of wall-clock at each log row, measurements included: the logged training seconds
    plus the run's measurement time shared equally by its rows (every check makes the same
    passes), up to and including that row's own check."""
    log = result.log
    share = float(result.summary.get("measure_seconds", 0.0)) / max(len(log), 1)
    return log.seconds.astype(float) + share * np.arange(1, len(log) + 1)


def checks_until(result, step: float) -> float:
    """The full-gradient checks a run has made up to ``step``, from its config: one before the
    first update and one every ``eval_every`` steps."""
    return step // result.config.eval_every + 1


def train_size(result) -> int:
    """The examples of one full-gradient check: the training subset (CIFAR's 50,000 without one)."""
    return result.config.train_subset or 50_000


def first_reaches(results: dict, level: float, metric: str = "grad_norm") -> pd.DataFrame:
    """One row per run (schedule, seed) at the first check after the first update with
    ``metric <= level``: step, sfo, epoch, wall-clock seconds (shown, never decided), the batch
    size then, and ``work``, the SFO plus the examples of the full-gradient checks so far; NaN
    where it never gets there; and where each run's budget ended (``end_step``, ``end_sfo``,
    ``end_work``), a bound on the work of a run that never gets there."""
    rows = []
    for name, runs in results.items():
        for result in runs:
            log = result.log.assign(wall=wall_clock(result))
            hit = first_reach(log[log.step > 0], metric, at_most=level)  # from the first update on
            row = {k: (float(hit[k]) if hit is not None else math.nan)
                   for k in ("step", "sfo", "epoch", "wall", "batch_size")}
            row["work"] = row["sfo"] + checks_until(result, row["step"]) * train_size(result)
            last = result.log.iloc[-1]
            row |= {"end_step": float(last.step), "end_sfo": float(last.sfo),
                    "end_work": float(last.sfo) + checks_until(result, float(last.step)) * train_size(result)}
            rows.append({"schedule": name, "seed": result.config.seed, **row})
    return pd.DataFrame(rows)


def reach_table(results: dict, level: float, metric: str = "grad_norm") -> pd.DataFrame:
    """Per schedule, mean (NaN if a seed never got there), min and max over seeds of the step,
    SFO, SFO with checks, epoch and wall-clock seconds at which ``metric`` first reaches ``level``."""
    return mean_and_range(first_reaches(results, level, metric), "schedule", ["step", "sfo", "work", "epoch", "wall"],
                          strict=True)


def deepest_common(results: dict, levels, metric: str = "grad_norm") -> float | None:
    """The smallest of ``levels`` that every run of every schedule reaches after its first update
    (None: none is)."""
    lows = [_trained(r.log)[metric].min() for runs in results.values() for r in runs]
    best, worst = min(lows), max(lows)
    reached = [level for level in levels if level >= worst]
    return min(reached) if reached and best <= max(reached) else None


def stage_table(result) -> pd.DataFrame:
    """T1: one row per stage of a staged run: b_m and eta_m (from the run's schedules), eps_m (the
    threshold that ends it; None for periodic stages or the last one), the epoch and step of the
    switch into it, its steps and SFO (examples drawn in it), and whether it ended at its first
    check (``one check``: the limit of one switch per check, not eps_m, set its length). A switch
    at the check that ends the budget opens a stage of no step: it never took effect and is left out."""
    from critbatch.schedules import Progress, as_batch_size, from_spec

    config, records = result.config, result.summary.get("stages") or []
    batch_at, lr_at = from_spec(config.batch_size), from_spec(config.lr)
    total = int(result.summary["steps"]), int(result.summary["sfo"])
    rows = []
    for i, record in enumerate(records):
        at = Progress(step=int(record["step"]), epoch=float(record["epoch"]), examples=int(record["examples"]),
                      stage=int(record["stage"]))
        end = records[i + 1] if i + 1 < len(records) else {"step": total[0], "examples": total[1]}
        steps = int(end["step"]) - at.step
        if i > 0 and not took_effect(at.step, result):
            continue
        rows.append({"stage": at.stage, "b": as_batch_size(batch_at(at)), "lr": float(lr_at(at)),
                     "eps": record["threshold"], "switch epoch": at.epoch, "switch step": at.step,
                     "steps": steps, "SFO": int(end["examples"]) - at.examples,
                     "one check": i + 1 < len(records) and steps <= config.eval_every})
    return pd.DataFrame(rows)


def check_share(results: dict) -> pd.DataFrame:
    """Per schedule (mean, min and max over seeds): ``share``, the share of each run's time spent
    measuring at the checks (the full-gradient norm and any other metric, e.g. test accuracy), and
    ``gradient share``, the part of it due to the full-gradient passes, estimated by examples
    through the network (a pass with backward counts twice, as in ``measure_examples``)."""
    rows = []
    for name, runs in results.items():
        for r in runs:
            total = r.summary["seconds"] + r.summary["measure_seconds"]
            n = r.config.train_subset or 50_000
            gradient_examples = 2 * n * len(r.log) if "grad_norm" in r.log else 0
            part = gradient_examples / r.summary["measure_examples"] if r.summary.get("measure_examples") else math.nan
            rows.append({"schedule": name, "seed": r.config.seed, "share": r.summary["measure_seconds"] / total,
                         "gradient share": r.summary["measure_seconds"] * part / total,
                         "seconds": r.summary["seconds"], "measure_seconds": r.summary["measure_seconds"]})
    return mean_and_range(pd.DataFrame(rows), "schedule", ["share", "gradient share", "seconds", "measure_seconds"])


def critical_batch_sizes(table: pd.DataFrame) -> pd.Series:
    """Per eps, the batch size with the smallest mean N over the batch sizes every seed of which
    reached eps (the measured critical batch size); NaN where none did."""
    out = {}
    for eps, per_b in table.groupby(level="eps", sort=False):
        reached = per_b.sfo.dropna()
        out[eps] = reached.idxmin()[1] if len(reached) else math.nan
    return pd.Series(out, name="critical batch size")


def took_effect(step: int, result) -> bool:
    """Whether a stage switch at ``step`` took effect: one at the check that ends the budget opens
    a stage of no step."""
    return step < int(result.summary["steps"])


def switch_steps(results: dict, reference: str) -> pd.DataFrame:
    """Per run name (``results``: {name: results over seeds}) and seed, the step of each stage
    switch that took effect (:func:`took_effect`), and the difference from the run of the same
    seed named ``reference`` (driven by the exact norm)."""
    def steps(r) -> list[int]:
        return [s["step"] for s in r.summary.get("stages", [])[1:] if took_effect(s["step"], r)]

    base = {r.config.seed: steps(r) for r in results[reference]}
    rows = []
    for name, runs in results.items():
        for r in runs:
            for m, step in enumerate(steps(r), start=1):
                ref = base[r.config.seed][m - 1] if m - 1 < len(base[r.config.seed]) else math.nan
                rows.append({"run": name, "seed": r.config.seed, "stage": m, "switch step": step,
                             "exact switch step": ref, "difference": step - ref})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Decisions, per seed (runs paired by seed) and on the seed means.


def _less_work(ours: float, other: float, ours_end: float, other_end: float) -> float:
    """ours - other; where one run never gets there, its work at the end of its budget bounds
    it from below, so the difference is known only in one direction: kept where that direction
    is the bound's (ours faster than a run that stopped later, or slower than one that reached
    before ours stopped), else no value; both never: no value."""
    if np.isfinite(ours) and np.isfinite(other):
        return ours - other
    if np.isfinite(ours) and np.isfinite(other_end):  # the other needs more than other_end
        bound = ours - other_end
        return bound if bound < 0 else math.nan
    if np.isfinite(other) and np.isfinite(ours_end):  # ours needs more than ours_end
        bound = ours_end - other
        return bound if bound > 0 else math.nan
    return math.nan


def _by_seed(frame: pd.DataFrame, schedule: str, column: str) -> dict:
    rows = frame[frame.schedule == schedule]
    return dict(zip(rows.seed, rows[column]))


def _data(data: str) -> str:
    return f"substitute: {data}" if data else "real"


def comparison_claims(results: dict, level: float | None, ours: str, others: tuple[str, ...], *, substitute: str,
                      faster: dict = FASTER) -> Claims:
    """``ours`` reaches ``level`` before each of ``others``, in steps, SFO and SFO with checks,
    seed by seed. The tie band is one check interval of work: K steps; K times the larger batch
    size at the reach in SFO; that plus one check's examples with the checks counted. No common
    target (``level`` None): no value, inconclusive."""
    decisions = []
    frame = first_reaches(results, level) if level is not None else None
    for other in others:
        setting = f"{ours} vs {other}, ||grad f|| <= {level:.3g}" if level is not None else f"{ours} vs {other}"
        if frame is None:
            decisions += [claim.decide({}, setting=f"{setting}: no threshold every run reaches", data=_data(substitute))
                          for claim in faster.values()]
            continue
        pair = frame[frame.schedule.isin([ours, other])]
        check = max(r.config.eval_every for name in (ours, other) for r in results[name])
        n = max(train_size(r) for name in (ours, other) for r in results[name])
        batch = float(pair.batch_size.max()) if pair.batch_size.notna().any() else 0.0
        ties = {"step": (check, f"one check interval ({check} steps)"),
                "sfo": (check * batch, f"one check interval at the larger batch size then ({check} x {batch:g})"),
                "work": (check * batch + n, f"one check interval at the larger batch size then and one check "
                                            f"({check} x {batch:g} + {n})")}
        for unit, claim in faster.items():
            a, b = _by_seed(pair, ours, unit), _by_seed(pair, other, unit)
            a_end, b_end = _by_seed(pair, ours, f"end_{unit}"), _by_seed(pair, other, f"end_{unit}")
            seeds = {k: _less_work(a[k], b[k], a_end[k], b_end[k]) if k in b else math.nan for k in a}
            mean = _less_work(*(np.mean(list(v.values())) for v in (a, b, a_end, b_end)))
            tie, why = ties[unit]
            decisions.append(dataclasses.replace(claim, resolution=float(tie), resolution_why=why).decide(
                seeds, mean=mean, setting=setting, data=_data(substitute)))
    return Claims.of(decisions)


def level_claims(results: dict, levels, ours: str, others: tuple[str, ...], *, substitute: str,
                 faster: dict = FASTER) -> Claims:
    """:func:`comparison_claims` at every threshold of ``levels`` (the ladder's eps_m, fixed
    before the runs) that some run of ``ours`` or of the other schedule reached; a deeper one,
    reached by neither, has no value and is left out."""
    lows = {name: min(float(_trained(r.log).grad_norm.min()) for r in runs) for name, runs in results.items()}
    return Claims.of([comparison_claims(results, level, ours, (other,), substitute=substitute, faster=faster)
                      for other in others for level in levels if min(lows[ours], lows[other]) <= level])


def verdict_grid(claims: Claims) -> pd.DataFrame:
    """The work comparisons of ``claims`` as one table: a row per (pair, eps), a column per unit,
    each cell the verdict and the seed-mean difference (ours minus the other's)."""
    rows = {}
    units = {claim.name: unit for unit, claim in FASTER.items()}
    for d in claims:
        if d.claim.name not in units or "<=" not in d.setting:
            continue
        pair, level = d.setting.split(", ||grad f|| <= ")
        rows.setdefault((pair, float(level)), {})[UNITS[units[d.claim.name]]] = f"{d.verdict} ({d.value})"
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(["pair", "eps"])


def budget_claims(results: dict, ours: str, others: tuple[str, ...], *, substitute: str,
                  claim: Claim = BUDGET) -> Claims:
    """Within the same budget, ``ours`` gets the full-gradient norm lower than each of ``others``:
    each seed's smallest checked norm, and the seed means."""
    best = {name: {r.config.seed: float(_trained(r.log).grad_norm.min()) for r in runs} for name, runs in results.items()}
    return Claims.of([claim.decide({k: v / best[other].get(k, math.nan) for k, v in best[ours].items()},
                                   mean=np.mean(list(best[ours].values())) / np.mean(list(best[other].values())),
                                   setting=f"{ours} vs {other}", data=_data(substitute)) for other in others])


def _switch_at_first_check(result) -> bool:
    log, records = result.log, result.summary.get("stages") or []
    exact = True
    for previous, record in zip(records, records[1:]):
        checks = log[(log.step > previous["step"]) & (log.step <= record["step"])]
        first = checks[checks.grad_norm <= previous["threshold"]]
        exact &= bool(len(first)) and int(first.step.iloc[0]) == int(record["step"])
    return exact


def _ladder_spread(result) -> float:
    table = stage_table(result)
    product = (table.b * table.eps.astype(float) ** 2).dropna()
    return float(product.max() / product.min()) if len(product) else math.nan


def ladder_claims(adaptive: list, substitute: str) -> Claims:
    """The mechanics of the adaptive runs, per seed: every switch comes at the first check whose
    norm is at or below the stage's threshold (:data:`SWITCH`), and b_m eps_m^2 stays constant
    along the ladder (:data:`LADDER`). Self-checks: no seed mean."""
    switch = {r.config.seed: _switch_at_first_check(r) for r in adaptive}
    spread = {r.config.seed: _ladder_spread(r) for r in adaptive}
    switches = ", ".join(str(len(stage_table(r)) - 1) for r in adaptive)
    return Claims.of([SWITCH.decide(switch, setting=f"switches that took effect, per seed: {switches}",
                                    data=_data(substitute)),
                      LADDER.decide(spread, mean=max(spread.values()), setting="the largest over seeds on the mean",
                                    data=_data(substitute))])


def _inside(table: pd.DataFrame, eps: float, critical: float) -> bool:
    reached = table.loc[eps].sfo.dropna()
    return bool(len(reached) >= 3 and np.isfinite(critical) and critical not in (min(reached.index), max(reached.index)))


def _log2_ratio(tight: float, loose: float) -> float:
    return math.log2(tight / loose) if np.isfinite(tight) and np.isfinite(loose) else math.nan


def _within_4(ratio: float) -> float:
    return abs(math.log2(ratio / 4)) if np.isfinite(ratio) and ratio > 0 else math.nan


def sfo_claims(seeds: dict, mean: tuple, *, substitute: str, paper_eps: dict) -> Claims:
    """Fig. 1 and Proposition 2: N(b) has an interior minimum for each eps (:data:`INSIDE`); the
    critical batch size grows as eps shrinks (:data:`GROWS`); b*(second eps) / b*(first eps)
    against the theory's 4, from the minima and from the fits of 1/T on 1/b. ``seeds``: seed ->
    (table, critical, fits) on that seed's runs; ``mean``: the same on the seed means."""
    data, out = _data(substitute), []
    table, critical, fits = mean
    eps = list(critical.index)
    for level in eps:
        out.append(INSIDE.decide({k: _inside(t, level, c[level]) for k, (t, c, f) in seeds.items()},
                                 mean=_inside(table, level, critical[level]),
                                 setting=f"eps = {level:g} (the paper's {paper_eps.get(level, level):g}); "
                                         f"b* = {critical[level]:g} on the mean", data=data))
    for loose, tight in zip(eps, eps[1:]):
        out.append(GROWS.decide({k: _log2_ratio(c[tight], c[loose]) for k, (t, c, f) in seeds.items()},
                                mean=_log2_ratio(critical[tight], critical[loose]),
                                setting=f"eps {loose:g} -> {tight:g}: b* {critical[loose]:g} -> {critical[tight]:g} "
                                        "on the mean", data=data))
    if len(eps) >= 2:
        loose, tight = eps[0], eps[1]
        setting = f"eps {loose:g} -> {tight:g}"
        out.append(MINIMA_RATIO.decide({k: _within_4(c[tight] / c[loose]) for k, (t, c, f) in seeds.items()},
                                       mean=_within_4(critical[tight] / critical[loose]), setting=setting, data=data))
        out.append(FIT_RATIO.decide({k: _within_4(_fit_ratio(f, loose, tight)) for k, (t, c, f) in seeds.items()},
                                    mean=_within_4(_fit_ratio(fits, loose, tight)), setting=setting, data=data))
    return Claims.of(out)


def _fit_ratio(fits: dict, loose: float, tight: float) -> float:
    a, b = fits.get(loose), fits.get(tight)
    return b.critical / a.critical if a and b else math.nan


def _unstable(diverged: int, grad_norm: float, test_acc: float, base_norm: float, base_acc: float) -> bool:
    return bool(diverged > 0 or grad_norm > 2 * base_norm or test_acc < base_acc - 0.05)


def stability_claims(per_seed: pd.DataFrame, *, substitute: str) -> Claims:
    """Our question (i): per (delta, gamma, schedule) with gamma >= sqrt(delta), whether training
    became unstable (:data:`UNSTABLE`), seed by seed against the (2, 1.4) run of the same seed and
    schedule, and on the seed means. ``per_seed``: rows delta, gamma, schedule, seed, diverged
    (0 or 1), grad_norm and test_acc (the last finite check)."""
    out = []
    for (delta, gamma, schedule), rows in per_seed.groupby(["delta", "gamma", "schedule"], sort=False):
        if gamma < math.sqrt(delta):
            continue
        base = per_seed[(per_seed.schedule == schedule) & (per_seed.gamma < np.sqrt(per_seed.delta))].set_index("seed")
        seeds = {r.seed: _unstable(r.diverged, r.grad_norm, r.test_acc, base.grad_norm[r.seed], base.test_acc[r.seed])
                 for r in rows.itertuples()}
        mean = _unstable(rows.diverged.sum(), rows.grad_norm.mean(), rows.test_acc.mean(), base.grad_norm.mean(),
                         base.test_acc.mean())
        out.append(UNSTABLE.decide(seeds, mean=mean, setting=f"(delta, gamma) = ({delta:g}, {gamma:g}), {schedule}",
                                   data=_data(substitute)))
    return Claims.of(out)


def check_work_share(results: list) -> dict:
    """Per seed: the share of a run's examples (training SFO plus full-gradient checks, counted
    from its check interval and training-set size) that went into the checks."""
    out = {}
    for r in results:
        checks = checks_until(r, float(r.summary["steps"])) * train_size(r)
        out[r.config.seed] = checks / (float(r.summary["sfo"]) + checks)
    return out


def proxy_claims(conv: list, switches: pd.DataFrame, proxies: list, check: int, *, conv_substitute: str,
                 substitute: str) -> Claims:
    """Our question (ii): the checks' share of the adaptive run's work on the conv substitute
    (:data:`PROXY_SHARE`), and each proxy's switches against the exact norm's (:data:`PROXY_SWITCHES`)."""
    share = check_work_share(conv)
    out = [PROXY_SHARE.decide(share, setting="adaptive joint schedule, conv substitute", data=_data(conv_substitute))]
    for name in proxies:
        rows = switches[switches.run == name]
        within = rows.difference.abs().le(check)
        seeds = {k: float(v.mean()) for k, v in within.groupby(rows.seed)}
        out.append(PROXY_SWITCHES.decide(seeds, mean=float(within.mean()) if len(rows) else math.nan,
                                         setting=f"{name}: {len(rows)} switches, one check = {check} steps",
                                         data=_data(substitute)))
    return Claims.of(out)


# ---------------------------------------------------------------------------------------------
# The closed forms (no runs): derived checks with a known answer.

CLOSED_MINIMUM = Claim("b* is the minimum", "b*(eps) = 2 C2 / eps^2 is the minimum of N(b)", "Proposition 2", DERIVED,
                       "|grid argmin of N / (2 C2 / eps^2) - 1|", "<", 0.01, quoted="b* = 2 C2 / eps^2")
CLOSED_RATIO = Claim("b* ratio 4", "b*(0.5) / b*(1.0) = 4 on the grid", "Proposition 2", DERIVED,
                     "|ratio of the grid argmins / 4 - 1|", "<", 0.01, quoted="b* = O(1/eps^2)")
RATIO_GROWTH = Claim("V_T / B_T growth", "V_T / B_T grows per stage by max(1, gamma^2 / delta): bounded exactly when "
                     "gamma < sqrt(delta)", "Proposition 1; our notes (shared/specs/paper2-adaptive-batch-lr.md, Sec. 6)",
                     DERIVED, "|factor at stage 200 - max(1, gamma^2 / delta)|", "<", 0.01, quoted="gamma < sqrt(delta)")
CLOSED_LADDER = Claim("ladder on one curve", "b_m eps_m^2 is constant under the code's rule",
                      "our notes (shared/specs/paper2-adaptive-batch-lr.md): the code's eps_m = eps0 sqrt(b0/b_m)",
                      DERIVED, "max/min of b_m eps_m^2 - 1", "<=", 1e-9)
