"""Every notebook: a papermill parameters cell, committed executed, listed in the book, and
runnable at the smoke scale. (nbval, run by the same pytest call, re-executes the committed
notebooks and compares their outputs.)"""

import ast
import json
import os
import subprocess
import sys

import pytest
import yaml

from critbatch.notebooks import all_notebooks, execute
from critbatch.paths import project_root

ROOT = project_root()
NOTEBOOKS = all_notebooks(ROOT)
IDS = [str(p.relative_to(ROOT / "notebooks")) for p in NOTEBOOKS]


def cells(path, kind="code"):
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == kind]


def test_notebooks_exist():
    assert len(NOTEBOOKS) >= 3, f"expected the book's notebooks under {ROOT / 'notebooks'}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_parameters_cell(path):
    tagged = [c for c in cells(path) if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1, "exactly one cell must be tagged 'parameters'"
    assigned = {t.id: ast.literal_eval(node.value) for node in ast.parse("".join(tagged[0]["source"])).body
                if isinstance(node, ast.Assign) for t in node.targets}
    assert {"scale", "device", "seed", "data_root"} <= set(assigned)
    assert assigned["scale"] == "reduced", "the committed outputs are the reduced-scale run"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_executed_in_order_without_errors(path):
    code = cells(path)
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "run every cell once, top to bottom (make notebooks)"
    assert not [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert not [o for c in code for o in c["outputs"] if o.get("name") == "stderr"], "stderr breaks nbval"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_listed_in_the_book(path):
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())

    def files(entries):
        for entry in entries:
            yield entry.get("file")
            yield from files(entry.get("sections", []) + entry.get("chapters", []))

    listed = set(files(toc["parts"]))
    assert f"_notebooks/{path.relative_to(ROOT / 'notebooks').with_suffix('')}" in listed


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_runs_at_smoke_scale(path, tmp_path, monkeypatch):
    monkeypatch.setenv("CRITBATCH_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("CRITBATCH_CACHE_ONLY", "0")
    target = tmp_path / path.name
    execute(path, target, {"scale": "smoke"})
    nb = json.loads(target.read_text())
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert injected and "scale = \"smoke\"" in "".join(injected[0]["source"])
    assert all(c["execution_count"] for c in nb["cells"] if c["cell_type"] == "code")


def test_nbval_is_cache_only_and_names_a_missing_run(tmp_path):
    """`make test` re-executes notebooks against the store: with an empty store the first run the
    notebook needs is an error naming it, not a training (even if the caller's environment asked
    for training)."""
    notebook = ROOT / "notebooks" / "interpolation" / "table-variance-reduction.ipynb"
    env = {**os.environ, "CRITBATCH_RESULTS": str(tmp_path / "empty"), "CRITBATCH_CACHE_ONLY": "0"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(notebook)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "MissingResult" in done.stdout and "no stored result for run" in done.stdout
    assert not (tmp_path / "empty").exists() or not any((tmp_path / "empty").glob("*.parquet"))
