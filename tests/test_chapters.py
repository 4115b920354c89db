"""The claim records, their per-seed verdicts, and the figure tables that link a figure to its
runs: a tie never passes, one seed disagreeing makes a claim inconclusive, a figure loads
exactly the runs it declares."""

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from critbatch import chapters, runs
from critbatch.analysis.verdicts import (DERIVED, INCONCLUSIVE, NOT_REPRODUCED, PAPER, QUESTION, REPRODUCED, Claim,
                                         Claims)
from critbatch.store import Store, config_key

GROWS = Claim("grows", "b* grows as eps shrinks", "Theorem 3.3", PAPER, "b*(eps/2) / b*(eps)", ">", 1.0)


def test_a_tie_does_not_pass_a_grows_claim():
    assert GROWS.holds(1.0) is None
    assert GROWS.decide({0: 1.0, 1: 1.0, 2: 1.0}).verdict == INCONCLUSIVE  # 4 -> 4 on every seed
    assert GROWS.decide({0: 2.0, 1: 2.0}).verdict == REPRODUCED


def test_one_seed_disagreeing_makes_a_claim_inconclusive():
    assert GROWS.decide({0: 2.0, 1: 2.0, 2: 0.5}).verdict == INCONCLUSIVE
    assert GROWS.decide({0: 0.5, 1: 0.5, 2: 0.5}).verdict == NOT_REPRODUCED
    # the seeds agree but the value on the seed-averaged data does not
    assert GROWS.decide({0: 2.0, 1: 2.0}, mean=1.0).verdict == INCONCLUSIVE


def test_a_missing_value_is_never_a_verdict():
    assert GROWS.decide({0: 2.0, 1: float("nan")}).verdict == INCONCLUSIVE
    assert GROWS.decide({}).verdict == INCONCLUSIVE


def test_resolution_makes_near_values_ties():
    near = Claim("win", "a wins", "Fig. 2", PAPER, "steps of a - steps of b", "<", 0.0, resolution=100.0,
                 resolution_why="one check step")
    assert [near.holds(v) for v in (-150.0, -100.0, -50.0, 50.0, 150.0)] == [True, None, None, None, False]
    assert "within ±100 is a tie: one check step" in near.test
    at_least = Claim("sat", "saturates", "Sec. 5", QUESTION, "ratio", ">=", 4.0)
    assert [at_least.holds(v) for v in (3.9, 4.0, 4.1)] == [False, True, True]
    band = Claim("near", "16 m* is about GD", "Fig. 4", PAPER, "steps ratio", "between", (0.8, 1.25), resolution=0.05)
    assert [band.holds(v) for v in (0.7, 0.82, 1.0, 1.22, 1.4)] == [False, None, True, None, False]


def test_yes_no_claims_and_closed_forms():
    inside = Claim("inside", "minimum inside the grid", "Theorem 3.3", DERIVED, "minimum inside", "is", True)
    assert inside.decide({None: True}).verdict == REPRODUCED
    assert inside.decide({0: True, 1: False}).verdict == INCONCLUSIVE
    assert inside.decide({None: True}).spread == "one value (no seeds)"


def test_bad_claims_are_refused_with_one_line():
    with pytest.raises(ValueError, match="kind must be one of"):
        Claim("x", "x", "x", "papers", "q", ">", 1.0)
    with pytest.raises(ValueError, match="op must be one of"):
        Claim("x", "x", "x", PAPER, "q", "=>", 1.0)
    with pytest.raises(ValueError, match="needs a \\(low, high\\)"):
        Claim("x", "x", "x", PAPER, "q", "between", 1.0)


def test_claims_table_and_sentence_are_generated_from_the_records():
    claims = Claims.of([GROWS.decide({0: 2.0, 1: 2.0}, setting="SGD"), GROWS.decide({0: 1.0}, setting="Adam")])
    table = claims.table()
    assert table.test.tolist() == [GROWS.test] * 2
    assert table.kind.tolist() == ["the paper's claim"] * 2
    assert table.seeds.tolist() == ["seed 0: 2; seed 1: 2", "seed 0: 1"]
    assert claims.sentence() == ("1 of 2 tests reproduced, 1 inconclusive, 0 not reproduced. Not reproduced or "
                                 "inconclusive: b* grows as eps shrinks (Adam): inconclusive, 1.")
    assert claims.count() == {REPRODUCED: 1, INCONCLUSIVE: 1, NOT_REPRODUCED: 0}


@dataclass(frozen=True)
class Toy:
    x: int


runs.register(Toy, lambda config: (pd.DataFrame({"step": [0]}), {"value": config.x}))


def _store(tmp_path) -> Store:
    return Store(tmp_path, cache_only=False)


def test_a_figure_loads_its_declared_runs_in_their_shape(tmp_path):
    declared = {"a": [Toy(1), Toy(2)], "b": (Toy(1),)}
    figure = chapters.Figure("toy", lambda loaded, scale, seed: chapters.Result(
        {k: [r.summary["value"] for r in v] for k, v in loaded.items()}), lambda scale, seed: declared)
    assert [config_key(c) for c in figure.configs("smoke")] == [config_key(Toy(1)), config_key(Toy(2))]
    assert figure("smoke", store=_store(tmp_path)).data == {"a": [1, 2], "b": [1]}


def test_a_figure_that_loads_an_undeclared_run_is_an_error(tmp_path):
    store = _store(tmp_path)

    def sneaky(loaded, scale, seed):
        runs.run(Toy(3), store)
        return chapters.Result(None)

    figure = chapters.Figure("sneaky", sneaky, lambda scale, seed: [Toy(1)])
    with pytest.raises(RuntimeError, match="that its runs do not declare"):
        figure("smoke", store=store)
    runs.run(Toy(3), store)  # outside a figure's measure, loading is allowed again


def test_claims_get_the_figures_data_and_scale(tmp_path):
    figure = chapters.Figure("closed", lambda loaded, scale, seed: chapters.Result(
        None, Claims.of([GROWS.decide({None: 2.0})])), data="none: closed form")
    decision, = figure("reduced", store=_store(tmp_path)).claims
    assert (decision.data, decision.scale) == ("none: closed form", "paper")  # no runs: the same at every scale


def test_every_paper_folder_is_a_chapter():
    """A paper is one folder with its entry point (pyproject.toml): every folder declares one, and
    nothing else is declared."""
    root = Path(__file__).resolve().parents[1] / "src" / "critbatch" / "papers"
    folders = {p.parent.name for p in root.glob("*/__init__.py")}
    assert set(chapters.chapters()) == folders
    assert list(chapters.chapters()) == ["armijo", "adaptive", "interpolation", "graduated", "synthesis"]


def test_every_figure_has_its_notebook():
    root = Path(__file__).resolve().parents[1]
    for paper, chapter in chapters.chapters().items():
        for figure in chapter.figures:
            assert (root / "notebooks" / paper / f"{figure.name}.ipynb").is_file(), f"{paper}/{figure.name}"
