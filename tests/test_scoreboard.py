"""The front page's scoreboard: every decided claim of every chapter table, one row each with
its kind, tallied apart by kind and split by data and scale, shown in a table that wraps."""

import matplotlib

matplotlib.use("Agg")

from critbatch import chapters  # noqa: E402
from critbatch.analysis.verdicts import DERIVED, PAPER, QUESTION, Claim, Claims  # noqa: E402
from critbatch.papers.synthesis import scoreboard  # noqa: E402
from critbatch.store import MissingResult  # noqa: E402

A = Claim("a", "K falls", "Theorem 3.2", PAPER, "rises", "<=", 0.0)
B = Claim("b", "closed form", "Eq. 4", DERIVED, "error", "<", 1e-6)
C = Claim("c", "our idea", "our question", QUESTION, "gain", ">", 1.0)


def _measure(loaded, scale, seed, decisions=()):
    return chapters.Result(None, Claims.of(decisions))


def _missing(loaded, scale, seed):
    raise MissingResult("no stored result for run x")


def fake_chapters() -> dict:
    import functools

    one = chapters.Figure("one", functools.partial(_measure, decisions=[
        A.decide({0: 0.0, 1: 0.0}, setting="SGD"), A.decide({0: 1.0, 1: -1.0}, setting="Adam"),
        B.decide({None: 0.0})]), data="substitute: Fashion-MNIST")
    two = chapters.Figure("two", functools.partial(_measure, decisions=[C.decide({0: 2.0}, data="real")]))
    three = chapters.Figure("three", _missing)
    return {"p": chapters.Chapter("p", "1. Paper", (one, two, three))}


def test_every_claim_appears_with_its_kind_data_and_verdict():
    board = scoreboard.scoreboard("reduced", 0, fake_chapters())
    assert board.notebook.tolist() == ["p/one"] * 3 + ["p/two", "p/three"]
    assert board.kind.tolist()[:4] == ["the paper's claim", "the paper's claim", "derived check", "the book's question"]
    assert board.verdict.tolist() == ["reproduced", "inconclusive", "reproduced", "reproduced", scoreboard.NOT_RUN]
    assert board["data kind"].tolist()[:4] == ["substitute", "substitute", "substitute", "real"]
    assert board.seeds[0] == "seed 0: 0; seed 1: 0"


def test_tallies_count_each_kind_apart():
    board = scoreboard.scoreboard("reduced", 0, fake_chapters())
    papers = scoreboard.tally(board, "paper")
    assert papers.loc[("1. Paper", "substitute, paper"), "total"] == 2  # no runs: the same at every scale
    assert papers.loc[("total", ""), "reproduced"] == 1 and papers.loc[("total", ""), "inconclusive"] == 1
    assert scoreboard.tally(board, "derived").loc[("total", ""), "total"] == 1
    assert scoreboard.tally(board, "question").loc[("total", ""), "total"] == 1
    assert scoreboard.headline(board).startswith("**The papers' claims: 3 tests (**1** reproduced, **1** inconclusive")


def test_the_table_wraps_and_links_its_notebooks():
    board = scoreboard.scoreboard("reduced", 0, fake_chapters())
    page = scoreboard.Linked(board)._repr_html_()
    assert "table-layout:fixed" in page and "overflow-wrap:break-word" in page
    assert '<a href="../p/one.html">one</a>' in page
    assert "K falls — on Adam" in repr(scoreboard.Linked(board))


def test_the_picture_has_a_bar_per_paper_and_kind():
    board = scoreboard.scoreboard("reduced", 0, fake_chapters())
    ax = scoreboard.picture(board)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "1. Paper: the book's question", "1. Paper: derived check", "1. Paper: the paper's claim"]


def test_the_page_gathers_every_figure_of_every_chapter():
    every = [(c.paper, f.name) for c in chapters.chapters().values() for f in c.figures]
    gathered = [(c.paper, f.name) for c, f in scoreboard._figures(chapters.chapters(), "reduced", 0)]
    assert gathered == every


def test_the_front_page_counts_every_paper():
    import json

    from critbatch.paths import project_root

    cells = json.loads((project_root() / "notebooks" / "synthesis" / "front-page.ipynb").read_text())["cells"]
    shown = "".join(text for c in cells if c["cell_type"] == "code" for o in c["outputs"]
                    for text in o.get("data", {}).get("text/plain", []))
    for chapter in chapters.chapters().values():
        assert chapter.title in shown
