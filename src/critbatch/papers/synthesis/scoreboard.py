"""Every claim the book tests, for its front page, gathered from the chapter tables
(:func:`critbatch.chapters.chapters`): each figure computed once, each decided claim one row,
tagged with its paper, notebook, kind, data and scale.

:func:`scoreboard` gathers the rows; :func:`tally` counts verdicts per paper for one kind of
claim, split by data and scale; :func:`picture` draws the verdicts per paper and kind; and
:class:`Linked` shows the rows as a table that wraps (no sideways scrolling on a 1400-pixel page)
with each notebook a link to its page.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import matplotlib.pyplot as plt
import pandas as pd

from critbatch import chapters as tables
from critbatch.analysis.verdicts import INCONCLUSIVE, KINDS, NOT_REPRODUCED, REPRODUCED, VERDICTS
from critbatch.store import MissingResult

__all__ = ["NOT_RUN", "Linked", "data_kind", "headline", "picture", "scoreboard", "tally"]

NOT_RUN = "not run"
#: The colour of each verdict, in every picture of the page.
COLOURS = {REPRODUCED: "#4c956c", INCONCLUSIVE: "#e9c46a", NOT_REPRODUCED: "#c8553d", NOT_RUN: "#bbbbbb"}
COLUMNS = ["paper", "notebook", "claim", "setting", "kind", "source", "test", "ours", "seeds", "verdict", "data",
           "scale"]


def data_kind(data: str) -> str:
    """"real", "substitute" or "none", from a decision's data description."""
    first = data.split(":")[0].strip()
    return first if first in ("real", "substitute", "none") else "real"


def _figures(chapters: dict, scale: str, seed: int) -> list[tuple[tables.Chapter, tables.Figure]]:
    """Every figure of every chapter; at the smoke scale (the tests), only those that need no
    training, since the notebooks' own smoke runs already train the others."""
    chosen = [(c, f) for c in chapters.values() for f in c.figures]
    return chosen if scale != "smoke" else [(c, f) for c, f in chosen if not f.configs(scale, seed)]


def scoreboard(scale: str = "reduced", seed: int = 0, chapters: dict | None = None, **options) -> pd.DataFrame:
    """One row per decided claim of every figure (a figure whose runs are not stored is one
    "not run" row, so that it is seen); ``options`` (``device``, ``data_root``) go to each figure."""
    chapters = chapters if chapters is not None else tables.chapters()
    rows = []
    for chapter, figure in _figures(chapters, scale, seed):
        where = {"paper": chapter.title, "notebook": f"{chapter.paper}/{figure.name}"}
        try:
            claims = figure(scale, seed, **options).claims
        except MissingResult:
            rows.append({**where, "claim": "(its runs are not stored yet)", "verdict": NOT_RUN, "data": figure.data,
                         "kind": KINDS["paper"], "scale": scale})
            continue
        rows += [{**where, **d.row()} for d in claims]
    board = pd.DataFrame(rows, columns=COLUMNS).fillna("")
    return board.assign(**{"data kind": board.data.map(data_kind)})


def tally(board: pd.DataFrame, kind: str) -> pd.DataFrame:
    """For the rows of one ``kind`` ("paper", "derived" or "question"), the count of each verdict
    per paper and per (data kind, scale), with totals."""
    rows = board[board.kind == KINDS[kind]]
    if rows.empty:
        return pd.DataFrame(columns=[*VERDICTS, "total"])
    groups = [rows.paper, rows["data kind"].str.cat(rows.scale, sep=", ")]
    counts = pd.crosstab(groups, rows.verdict, margins=True, margins_name="total")
    counts.index.names = ["paper", "data, scale"]
    order = [v for v in (*VERDICTS, NOT_RUN) if v in counts] + ["total"]
    return counts[order]


def headline(board: pd.DataFrame) -> str:
    """The page's first sentence: the papers' claims counted alone, then the others apart."""
    def counted(kind: str) -> str:
        rows = board[board.kind == KINDS[kind]]
        parts = [f"**{(rows.verdict == v).sum()}** {v}" for v in (*VERDICTS, NOT_RUN) if (rows.verdict == v).any()]
        return f"{len(rows)} tests ({', '.join(parts) or 'none'})"

    real = board[(board.kind == KINDS["paper"]) & (board["data kind"] == "real")]
    return (f"**The papers' claims: {counted('paper')}**, of which {len(real)} on the paper's own data "
            f"({(real.verdict == REPRODUCED).sum()} reproduced). Counted apart: derived checks, "
            f"{counted('derived')}; the book's questions, {counted('question')}. "
            f"From {board.notebook.nunique()} notebooks.")


def picture(board: pd.DataFrame, ax=None):
    """Per paper and kind of claim, a bar of its verdicts (stacked counts)."""
    counts = pd.crosstab([board.paper, board.kind], board.verdict)
    counts = counts[[v for v in (*VERDICTS, NOT_RUN) if v in counts]]
    order = [(p, k) for p in dict.fromkeys(board.paper) for k in KINDS.values() if (p, k) in counts.index]
    counts = counts.loc[order[::-1]]
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 0.32 * len(counts) + 1.2))
    left = pd.Series(0, index=counts.index)
    labels = [f"{p}: {k}" for p, k in counts.index]
    for verdict in counts:
        ax.barh(labels, counts[verdict], left=left, color=COLOURS[verdict], label=verdict)
        left += counts[verdict]
    ax.set_xlabel("tests (a claim on one setting)")
    ax.legend(loc="lower right", frameon=False)
    return ax


def _suffix(texts: pd.Series, form: str) -> pd.Series:
    """``form`` filled with each text, or nothing where the text is empty."""
    return texts.where(texts == "", texts.map(form.format))


@dataclass(frozen=True)
class Linked:
    """The rows shown as one wrapping table, each notebook a link to its page (HTML, from a
    page of ``_notebooks/<folder>/``); the plain text is what nbval compares."""

    table: pd.DataFrame

    def _shown(self) -> pd.DataFrame:
        t = self.table
        claim = t.claim + _suffix(t.setting, " — on {}")
        return pd.DataFrame({"claim": claim, "source, kind": t.source + "; " + t.kind, "test": t.test,
                             "ours (per seed)": t.ours + _suffix(t.seeds, " ({})"),
                             "verdict": t.verdict, "data, scale": t.data + "; " + t.scale,
                             "notebook": t.notebook})

    def _repr_html_(self) -> str:
        shown = self._shown()
        cells = shown.astype(str).map(html.escape)
        cells["notebook"] = [f'<a href="../{n}.html">{html.escape(n.split("/")[1])}</a>' for n in shown.notebook]
        cells["verdict"] = [f'<span style="color:{COLOURS.get(v, "#000")};font-weight:bold">{html.escape(v)}</span>'
                            for v in shown.verdict]
        widths = ["22%", "12%", "22%", "16%", "11%", "10%", "7%"]
        head = "".join(f'<col style="width:{w}">' for w in widths)
        body = cells.to_html(index=False, escape=False, classes="scoreboard")
        body = body.replace('<table border="1" class="dataframe scoreboard">',
                            f'<table class="scoreboard"><colgroup>{head}</colgroup>', 1)
        return ('<style>table.scoreboard{table-layout:fixed;width:100%;font-size:0.78em;border-collapse:collapse}'
                'table.scoreboard td,table.scoreboard th{white-space:normal;overflow-wrap:break-word;'
                'vertical-align:top;text-align:left;padding:2px 4px;border-bottom:1px solid #ddd}</style>' + body)

    def __repr__(self) -> str:
        with pd.option_context("display.max_colwidth", None, "display.width", None):
            return self._shown().to_string(index=False)
