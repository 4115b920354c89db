"""Every claim the book tests, in one table for its front page: each chapter's claims table,
loaded through the chapter's own study call and tagged with its paper, notebook, data and scale.

:data:`ENTRIES` is the one registry of the notebooks that compute claims (:data:`SMOKE`, one
per paper, is what the smoke scale gathers); :func:`scoreboard` gathers their rows unchanged,
:func:`by_claim` merges the rows of one claim tested on several settings (giving "partly" where
it holds on some and not others), :func:`summary` counts the verdicts per paper and
:class:`Linked` shows a table with its notebooks as links.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Callable

import pandas as pd

from critbatch import sweep
from critbatch.analysis.claims import claim
from critbatch.papers.adaptive import study as adaptive
from critbatch.papers.armijo import study as armijo
from critbatch.papers.graduated import study as graduated
from critbatch.papers.graduated import trained
from critbatch.papers.interpolation import closed_forms
from critbatch.papers.interpolation import study as interpolation
from critbatch.store import MissingResult

__all__ = ["ENTRIES", "PAPERS", "SMOKE", "Entry", "Linked", "by_claim", "scoreboard", "summary"]

#: The four papers, by folder, as the front page names them.
PAPERS = {"armijo": "1. Armijo line search", "adaptive": "2. Growing batch and step",
          "interpolation": "3. Power of interpolation", "graduated": "4. Implicit graduated optimization"}

CLOSED_FORM = "none (closed form)"
TEST_FUNCTIONS = "real (the paper's test functions)"
NOT_RUN = "not run"


def _closed_form_rows(figure: str, result: closed_forms.ClosedForms) -> pd.DataFrame:
    """Figures 1 and 2 of Paper 3 as claim rows: one per problem and claim, ours the number
    the chapter's check tested (``result.verdicts`` against ``result.checks``)."""
    if "verdict" in result.verdicts:  # Figure 1: one verdict per problem over both checks
        return pd.DataFrame([claim(figure, p, "quoted m* = β/λ1 + 1, rounded; and s(∞)/s(m*) < 4", f"{r['m* quoted']}",
                                   f"{r['β/λ1+1']:.1f}; {r['s(∞)/s(m*)']:.2f}", r.verdict == "reproduced")
                             for p, r in result.verdicts.iterrows()])
    return pd.DataFrame([claim(figure, p, text, "holds", f"{check}: {result.checks.loc[p, check]:.4g}",
                               result.verdicts.loc[p, text] == "reproduced")
                         for text, check in zip(result.verdicts, result.checks) for p in result.verdicts.index])


def _variance_rows(result: interpolation.VarianceTable) -> pd.DataFrame:
    return pd.DataFrame([claim("3.1", "least squares", r.paper, "the table of Section 3.1", r.ours, r.verdict == "reproduced")
                         for r in result.verdicts.itertuples()])


@dataclass(frozen=True)
class Entry:
    """One notebook that computes claims: ``study(scale, seed, **options)`` is the chapter's own
    call, ``pick(result)`` the claims table the notebook shows; ``data`` describes the data of a
    result that names none (no ``substitute`` or ``panels``)."""

    paper: str  # folder under notebooks/ and papers/
    notebook: str  # notebooks/<paper>/<notebook>.ipynb
    study: Callable[..., Any]
    pick: Callable[[Any], pd.DataFrame] = attrgetter("claims")
    data: str | None = None


def _mnist_sweep(scale: str, seed: int, **options) -> armijo.Sweep:
    """Paper 1's MNIST sweep, which three notebooks show (:func:`scoreboard` calls it once)."""
    return armijo.steps_sfo(scale, seed, "mnist", **options)


#: Every notebook that computes claims, in the book's order. One line adds one.
ENTRIES = (
    Entry("armijo", "mnist-steps-sfo", _mnist_sweep, lambda r: r.claims_of("K(b), N(b)")),
    Entry("armijo", "mnist-evaluations", _mnist_sweep, lambda r: r.claims_of("computations")),
    Entry("armijo", "mnist-two-targets", _mnist_sweep, lambda r: r.claims_of("two targets", rebuttal=True)),
    Entry("armijo", "mnist-step-sizes", lambda s, seed, **o: armijo.step_sizes(s, seed, "mnist", **o)),
    Entry("armijo", "cifar-steps-sfo", lambda s, seed, **o: armijo.steps_sfo(s, seed, "cifar10", **o)),
    Entry("armijo", "cifar-step-sizes-curves", lambda s, seed, **o: armijo.step_sizes(s, seed, "cifar10", **o)),
    Entry("armijo", "open-questions", armijo.open_questions,
          data=f"real (round-off: MNIST, MLP); substitute: {armijo.SUBSTITUTE} (batch-norm trials)"),
    Entry("adaptive", "theory", lambda s, seed, **o: adaptive.theory_figures(s), data=CLOSED_FORM),
    Entry("adaptive", "sfo-batch-size", adaptive.sfo_batch_size),
    Entry("adaptive", "joint-comparison", lambda s, seed, **o: adaptive.joint_comparison(s, seed, "resnet", **o)),
    Entry("adaptive", "stage-table", adaptive.stage_tables),
    Entry("adaptive", "batch-only", adaptive.batch_only),
    Entry("adaptive", "beyond-stability", adaptive.stability),
    Entry("adaptive", "beyond-proxy", adaptive.proxy),
    Entry("adaptive", "beyond-adam", adaptive.adam, lambda r: pd.concat([r[0].claims, r[1].claims], ignore_index=True)),
    Entry("interpolation", "fig1-speedup", lambda s, seed, **o: closed_forms.figure1(s), lambda r: _closed_form_rows("1", r), CLOSED_FORM),
    Entry("interpolation", "fig2-regimes", lambda s, seed, **o: closed_forms.figure2(s), lambda r: _closed_form_rows("2", r), CLOSED_FORM),
    Entry("interpolation", "table-variance-reduction", interpolation.variance_reduction, _variance_rows, "none (synthetic least squares)"),
    Entry("interpolation", "fig3-histograms", interpolation.figure3),
    Entry("interpolation", "fig4-iterations", interpolation.figure4),
    Entry("interpolation", "fig5-epochs", interpolation.figure5),
    Entry("interpolation", "fig6-train-test", interpolation.figure6),
    Entry("interpolation", "speedup-measured", interpolation.speedups),
    Entry("graduated", "fig1-smoothing", lambda s, seed, **o: graduated.smoothing(s, seed), data=TEST_FUNCTIONS),
    Entry("graduated", "fig2-heavy-tails", lambda s, seed, **o: graduated.heavy_tails(s, seed), data=TEST_FUNCTIONS),
    Entry("graduated", "fig3-schedules", lambda s, seed, **o: graduated.schedules(s), data=CLOSED_FORM),
    Entry("graduated", "fig4-variants", trained.four_variants),
    Entry("graduated", "fig5-lr-schedules", trained.lr_schedules),
    Entry("graduated", "fig6-sharpness", trained.sharpness_sweep),
    Entry("graduated", "fig7-noise", trained.gradient_noise),
    Entry("graduated", "theory", lambda s, seed, **o: graduated.ladder(s), data=CLOSED_FORM),
    Entry("graduated", "fig8-explicit-go", lambda s, seed, **o: graduated.explicit_go(s, seed), data=TEST_FUNCTIONS),
    Entry("graduated", "beyond-smoothing", trained.smoothing_check),
)


#: One entry per paper that runs in seconds at the smoke scale, where every entry together
#: would train for minutes: what the front page gathers when the tests run it.
SMOKE = tuple(e for e in ENTRIES if (e.paper, e.notebook) in {
    ("armijo", "mnist-step-sizes"), ("adaptive", "theory"), ("interpolation", "fig1-speedup"), ("graduated", "fig3-schedules")})


def _substitute(name: str | None) -> str:
    return f"substitute: {name}" if name else "real"


def _data(entry: Entry, result: Any, tested_on: pd.Series) -> pd.Series:
    """Per row, "real", "substitute: <name>" or the entry's own description."""
    if entry.data:
        return pd.Series(entry.data, index=tested_on.index)
    if hasattr(result, "panels"):  # Paper 3's kernel figures: one data set (or substitute) per panel
        substitutes = {p.name: p.substitute for p in result.panels}
        return tested_on.map(lambda name: _substitute(substitutes[name]))
    first = result[0] if isinstance(result, tuple) else result
    return pd.Series(_substitute(first.substitute), index=tested_on.index)


def _scale(entry: Entry, scale: str) -> str:
    """``"paper"`` where the sweep lists the same runs at ``scale`` as at the paper's, else ``scale``."""
    figure = sweep.figures().get((entry.paper, entry.notebook))
    try:
        same = figure is not None and list(figure.runs(scale, None)) == list(figure.runs("paper", None))
    except ValueError:  # the paper's configurations are listed elsewhere (Paper 4's trained figures)
        same = False
    return "paper" if same else scale


def _rows(entry: Entry, scale: str, seed: int, options: dict, results: dict) -> pd.DataFrame:
    """The entry's claims rows, its study called once per ``results`` (shared by the entries that
    show the same study)."""
    try:
        if entry.study not in results:
            results[entry.study] = entry.study(scale, seed, **options)
        result = results[entry.study]
    except MissingResult:  # shown as a row, so that a figure not yet trained is seen
        return pd.DataFrame([{"claim": "(its runs are not stored yet)", "tested on": "", "data": "", "quoted": "",
                              "ours": "", "verdict": NOT_RUN}])
    claims = entry.pick(result).rename(columns={"data": "tested on", "paper": "quoted"})
    return claims.assign(data=_data(entry, result, claims["tested on"])).drop(columns="figure")


def scoreboard(scale: str = "reduced", seed: int = 0, entries: tuple[Entry, ...] = ENTRIES, **options) -> pd.DataFrame:
    """Every row of every entry's claims table, in order, with its ``paper``, ``notebook``,
    ``data`` and ``scale``; ``options`` (``device``, ``data_root``) go to each study call."""
    results = {}  # study -> its result: one call per study, however many entries show it
    tables = [_rows(e, scale, seed, options, results).assign(
        paper=PAPERS[e.paper], notebook=f"{e.paper}/{e.notebook}", scale=_scale(e, scale)) for e in entries]
    columns = ["paper", "notebook", "claim", "verdict", "ours", "data", "scale", "tested on", "quoted"]
    return pd.concat(tables, ignore_index=True)[columns]


def _merged(verdicts: pd.Series) -> str:
    if verdicts.eq(NOT_RUN).any():
        return NOT_RUN
    held = verdicts.eq("reproduced")
    return "reproduced" if held.all() else "not reproduced" if not held.any() else "partly"


def _joined(values: pd.Series) -> str:
    return "; ".join(dict.fromkeys(v for v in values if v))


def by_claim(board: pd.DataFrame) -> pd.DataFrame:
    """One row per claim of a notebook: the rows of :func:`scoreboard` with the same paper,
    notebook and claim text merged. The verdict is "reproduced" if every row holds, "not
    reproduced" if none does, and "partly" if some do (the claim holds on some of the settings
    it was tested on, and not on others); ``ours`` lists each setting's number."""
    def merge(rows: pd.DataFrame) -> pd.Series:
        ours = rows.ours.iloc[0] if len(rows) == 1 else "; ".join(f"{on}: {v}" for on, v in zip(rows["tested on"], rows.ours))
        return pd.Series({"verdict": _merged(rows.verdict), "ours": ours, "data": _joined(rows.data),
                          "scale": _joined(rows.scale), "tested on": _joined(rows["tested on"])})

    keys = ["paper", "notebook", "claim"]
    return board.groupby(keys, sort=False)[board.columns.drop(keys).tolist()].apply(merge).reset_index()


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per paper, how many rows of ``table`` have each verdict, and their total."""
    counts = pd.crosstab(table.paper, table.verdict, margins=True, margins_name="total")
    order = [v for v in ("reproduced", "partly", "not reproduced", NOT_RUN) if v in counts] + ["total"]
    return counts[order].reindex([*[p for p in PAPERS.values() if p in counts.index], "total"])


@dataclass(frozen=True)
class Linked:
    """A table shown with its ``notebook`` column as links to the book's pages (HTML, from a page
    of ``_notebooks/<folder>/``), and as plain text (what nbval compares)."""

    table: pd.DataFrame

    def _repr_html_(self) -> str:
        cells = self.table.map(lambda v: html.escape(str(v)))
        cells["notebook"] = [f'<a href="../{n}.html">{html.escape(n)}</a>' for n in self.table.notebook]
        return cells.to_html(index=False, escape=False)

    def __repr__(self) -> str:
        with pd.option_context("display.max_colwidth", None, "display.width", None):
            return self.table.to_string(index=False)
