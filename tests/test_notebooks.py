"""Every notebook: a papermill parameters cell, committed executed, listed in the book, and
runnable at the smoke scale. (nbval, run by the same pytest call, re-executes the committed
notebooks and compares their outputs.)"""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from critbatch.notebooks import all_notebooks, execute, opener
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

    listed = {toc["root"], *files(toc["parts"])}
    assert f"_notebooks/{path.relative_to(ROOT / 'notebooks').with_suffix('')}" in listed


@pytest.fixture(scope="session")
def smoke_results(tmp_path_factory) -> Path:
    """One smoke-scale store for every notebook's smoke run, shared by the xdist workers of this
    session (the store's lock lets one process train a run while the others wait for it): a run
    that several figures need is trained once."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "smoke-results"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_runs_at_smoke_scale(path, tmp_path, smoke_results, monkeypatch):
    monkeypatch.setenv("CRITBATCH_RESULTS", str(smoke_results))
    monkeypatch.setenv("CRITBATCH_CHECKPOINTS", str(smoke_results.with_name("smoke-checkpoints")))
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


@pytest.mark.parametrize("parameters, message", [
    ({"device": "gpu"}, "unknown device 'gpu'"),
    ({"seed": -1}, "seed must be a non-negative integer, got -1"),
    ({"seed": 1.5}, "seed must be a non-negative integer, got 1.5"),
    ({"data_root": "/nonexistent/critbatch-data"}, "is not an existing folder"),
    ({"scale": "full"}, "scale must be one of smoke, reduced, paper; got 'full'"),
], ids=["device", "negative seed", "float seed", "data_root", "scale"])
def test_opener_rejects_a_bad_parameter_in_one_line(parameters, message):
    with pytest.raises((ValueError, FileNotFoundError)) as error:
        opener(**{"scale": "reduced", **parameters})
    assert message in str(error.value) and "\n" not in str(error.value)


def test_opener_resolves_the_parameters(tmp_path):
    settings = opener("smoke", "cpu", 3, str(tmp_path))
    assert (settings.scale, settings.device, settings.seed, settings.data_root) == ("smoke", "cpu", 3, tmp_path)
    assert settings.options == {"device": "cpu", "data_root": tmp_path}
    assert opener("reduced", "auto").device in ("cpu", "cuda")
    with pytest.raises(AttributeError):
        settings.seed = 4  # frozen


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_the_cell_after_the_parameters_opens_with_the_opener(path):
    code = cells(path)
    first = next(i for i, c in enumerate(code) if "parameters" in c["metadata"].get("tags", []))
    assert "opener(scale, device, seed, data_root)" in "".join(code[first + 1]["source"])


def test_every_figure_has_a_caption_and_a_unique_name():
    names = []
    for path in NOTEBOOKS:
        paper = path.parent.name
        for cell in cells(path):
            if "plt.show()" not in "".join(cell["source"]):
                continue
            figure = cell["metadata"].get("mystnb", {}).get("figure", {})
            assert figure.get("caption") and figure.get("name", "").startswith(f"{paper}-"), path.name
            names.append(figure["name"])
    assert names and len(names) == len(set(names))


def test_a_failed_execution_leaves_the_notebook_as_it_was(tmp_path):
    """`make notebooks` (in place) replaces a notebook only once it has run to the end."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell("scale = 'reduced'")
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [parameters, nbformat.v4.new_code_cell("print('figure')"),
                      nbformat.v4.new_code_cell("raise RuntimeError('killed halfway')")]
    path = tmp_path / "figure.ipynb"
    nbformat.write(notebook, path)
    before = path.read_bytes()
    with pytest.raises(Exception, match="killed halfway"):
        execute(path, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["figure.ipynb"]
