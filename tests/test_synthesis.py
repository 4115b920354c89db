"""The front page's scoreboard: the chapters' own claims rows, unchanged and tagged, merged per
claim with a "partly" that means what the page says, and links to pages the book has."""

import json
import re

import numpy as np
import pandas as pd
import pytest
import yaml

from critbatch.analysis.claims import claim
from critbatch.papers.armijo import study as armijo
from critbatch.papers.graduated import study as graduated
from critbatch.papers.synthesis import kernel_scales, predictions, scoreboard
from critbatch.papers.synthesis.claims import closest, doublings, problem_claims
from critbatch.paths import project_root
from critbatch.store import MissingResult

ROOT = project_root()


def entry(paper: str, notebook: str) -> scoreboard.Entry:
    return next(e for e in scoreboard.ENTRIES if (e.paper, e.notebook) == (paper, notebook))


def test_every_entry_is_a_notebook_of_the_book_and_every_paper_has_one():
    toc = (ROOT / "book" / "_toc.yml").read_text()
    for e in scoreboard.ENTRIES:
        assert (ROOT / "notebooks" / e.paper / f"{e.notebook}.ipynb").is_file(), e
        assert f"_notebooks/{e.paper}/{e.notebook}\n" in toc, e
    assert {e.paper for e in scoreboard.ENTRIES} == {e.paper for e in scoreboard.SMOKE} == set(scoreboard.PAPERS)
    assert len({(e.paper, e.notebook) for e in scoreboard.ENTRIES}) == len(scoreboard.ENTRIES)


def test_the_rows_are_the_chapters_own_claims(monkeypatch):
    monkeypatch.setenv("CRITBATCH_CACHE_ONLY", "1")
    chosen = (entry("armijo", "mnist-steps-sfo"), entry("graduated", "fig3-schedules"))
    board = scoreboard.scoreboard("reduced", 0, chosen)
    own = pd.concat([armijo.steps_sfo("reduced", 0, "mnist").claims_of("K(b), N(b)"),
                     graduated.schedules("reduced").claims], ignore_index=True)
    assert len(board) == len(own)
    for column, theirs in (("claim", "claim"), ("ours", "ours"), ("verdict", "verdict"), ("tested on", "data")):
        assert board[column].tolist() == own[theirs].tolist()
    first = board.notebook.eq("armijo/mnist-steps-sfo")
    assert board.paper[first].eq(scoreboard.PAPERS["armijo"]).all()
    assert set(board.scale[first]) == {"paper"}  # the MNIST sweep runs the paper's own settings
    assert set(board.data[first]) == {"real"} and set(board.data[~first]) == {scoreboard.CLOSED_FORM}


def test_a_claim_holds_partly_where_it_holds_on_some_settings_only():
    rows = [claim("5", data, text, "", ours, holds) for text, data, ours, holds in [
        ("saturates", "MNIST", "9.5", True), ("saturates", "TIMIT", "2.3", False),
        ("linear", "MNIST", "1.3", True), ("linear", "TIMIT", "1.2", True), ("ranks", "MNIST", "0.2", False)]]
    board = pd.DataFrame(rows).rename(columns={"data": "tested on", "paper": "quoted"}).drop(columns="figure")
    board = board.assign(paper="3", notebook="interpolation/fig5-epochs", data="real", scale="reduced")
    merged = scoreboard.by_claim(board)
    assert merged.set_index("claim").verdict.to_dict() == {
        "saturates": "partly", "linear": "reproduced", "ranks": "not reproduced"}
    assert merged.ours[0] == "MNIST: 9.5; TIMIT: 2.3"
    counts = scoreboard.summary(merged)
    assert counts.loc["total"].tolist() == [1, 1, 1, 3]


def test_a_figure_without_stored_runs_is_a_not_run_row():
    def missing(scale, seed, **options):
        raise MissingResult("no stored result for run 0123456789abcdef (...)")

    board = scoreboard.scoreboard("reduced", 0, (scoreboard.Entry("graduated", "fig5-lr-schedules", missing),))
    assert board.verdict.tolist() == [scoreboard.NOT_RUN]


def test_the_links_lead_to_the_notebooks_pages():
    """The front page is _notebooks/synthesis/front-page.html, so ../<paper>/<notebook>.html
    is the page of notebooks/<paper>/<notebook>.ipynb."""
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
    assert toc["root"] == "_notebooks/synthesis/front-page"
    table = pd.DataFrame({"paper": ["1"], "notebook": ["armijo/mnist-step-sizes"], "claim": ["c < 0.1 & more"]})
    page = scoreboard.Linked(table)._repr_html_()
    assert re.findall(r'href="([^"]+)"', page) == ["../armijo/mnist-step-sizes.html"]
    assert "c &lt; 0.1 &amp; more" in page and "c < 0.1" in repr(scoreboard.Linked(table))


@pytest.mark.parametrize("name", list(scoreboard.PAPERS.values()))
def test_the_front_page_counts_every_paper(name):
    cells = json.loads((ROOT / "notebooks" / "synthesis" / "front-page.ipynb").read_text())["cells"]
    shown = "".join(text for c in cells if c["cell_type"] == "code" for o in c["outputs"]
                    for text in o.get("data", {}).get("text/plain", []))
    assert name in shown


# The four critical-batch predictions ------------------------------------------------------------


def test_exact_kernel_scales_match_explicit_per_example_gradients():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    features = torch.randn(12, 5, dtype=torch.float64)  # an explicit feature map: K = Phi Phi^T
    k = features @ features.T
    residuals = torch.randn(12, 3, dtype=torch.float64)
    per_example = torch.einsum("ic,id->icd", residuals, features).flatten(1)  # g_i = R_i (x) phi_i
    full = per_example.mean(0)
    trace = float(((per_example - full) ** 2).sum(1).mean())
    exact = kernel_scales.exact_scales(k, residuals)
    assert exact["grad_norm"] == pytest.approx(float(full.norm()))
    assert exact["noise_trace"] == pytest.approx(trace)
    assert exact["noise_scale"] == pytest.approx(trace / float(full.norm() ** 2))


def test_the_predictions_of_runs_that_follow_mccandlish_model():
    """Steps S(b) = 100 + 800/b exactly: B_crit = 8, McCandlish's model fits with no error, the SFO
    grows with b (smallest at the smallest b), and its knee is where E(b) = 800 + 100 b passes 1.25 E(1)."""
    sizes = [1, 2, 4, 8, 16, 32, 64]
    frame = pd.DataFrame([{"target": 0.1, "b": b, "seed": s, "steps": 100 + 800 / b, "sfo": b * (100 + 800 / b)}
                          for b in sizes for s in range(2)])
    scales_at = pd.DataFrame({"m*": [2.0], "B_simple": [30.0]}, index=[0.1])
    table, errors = predictions.critical_table(frame, scales_at)
    row = table.loc[0.1]
    assert row["McCandlish B_crit"] == pytest.approx(8.0)
    assert row["measured"] == 1 and row["measured knee"] == 2  # E: 900, 1000, 1200 > 1.25 * 900
    assert errors.loc[0.1, "McCandlish"] == pytest.approx(0, abs=1e-9)
    assert closest(table, "measured knee")[0.1] == "m*" and closest(table, "measured")[0.1] != "B_simple"
    assert float(doublings(row["B_simple"], row["measured knee"])) == pytest.approx(np.log2(15))


def test_a_seed_that_misses_the_target_removes_its_batch_size():
    frame = pd.DataFrame([{"target": 0.5, "b": b, "seed": s, "steps": np.nan if (b, s) == (4, 1) else 10.0 / b + 5,
                           "sfo": np.nan} for b in (1, 2, 4, 8) for s in range(2)])
    frame["sfo"] = frame.b * frame.steps
    means = predictions.mean_steps(frame)
    assert np.isnan(means.loc[(0.5, 4), "steps"]) and means.loc[(0.5, 2), "steps"] == 10.0


def table_of(targets: dict) -> pd.DataFrame:
    """A predictions table with the given measured knees per target, every prediction 8."""
    return pd.DataFrame({t: {"measured": knee, "measured knee": knee, "fitted b*": 8.0, "m*": 8.0, "B_simple": 8.0,
                             "McCandlish B_crit": 8.0} for t, knee in targets.items()}).T


def errors_of(targets, paper1: float, mccandlish: float, missed) -> pd.DataFrame:
    return pd.DataFrame({t: {"Paper 1 K(b)": paper1, "McCandlish": mccandlish, "Paper 1: b with no finite K": missed}
                         for t in targets}).T


def test_the_problem_claims_test_what_they_say():
    tables = {"training error": table_of({0.5: 4.0, 0.1: 32.0})}
    claims = pd.DataFrame(problem_claims("kernel", tables, {"training error": errors_of([0.5, 0.1], 0.2, 0.3, 1)}))
    verdicts = dict(zip(claims.claim.str.split(" \\(").str[0], claims.verdict))
    assert verdicts["Paper 3: m* = β/λ1 + 1 ends the linear scaling"] == "not reproduced"  # 8 against 32
    assert verdicts["McCandlish: B_simple approximates B_crit"] == "reproduced"
    assert verdicts["McCandlish's S(b) = S_min + E_min/b describes the measured steps better than Paper 1's K(b)"] \
        == "not reproduced"  # 0.3 against 0.2, whatever Paper 1 predicts elsewhere
    assert claims.verdict.iloc[-1] == "not reproduced" and claims.ours.iloc[-1] == "4 against 32"


def test_one_target_makes_no_early_against_late_claim_and_no_fit_is_said():
    tables = {"gradient norm": table_of({0.2: 8.0})}
    claims = problem_claims("MLP", tables, {"gradient norm": errors_of([0.2], np.nan, 0.3, np.nan)})
    assert not claims.claim.str.startswith("the knee").any()
    row = claims[claims.claim.str.startswith("McCandlish's")].iloc[0]
    assert row.paper.startswith("no fit") and row.verdict == "reproduced"
