"""The package's two import rules: the core never imports a paper, and a paper never imports
another paper (only ``papers/synthesis`` may import them all). Each paper is one folder."""

import ast
import re
from pathlib import Path

import pytest

from critbatch.paths import project_root

PACKAGE = project_root() / "src" / "critbatch"
PAPERS = PACKAGE / "papers"
SYNTHESIS = "synthesis"


def imported_modules(path: Path) -> set[str]:
    """Absolute names of every module that ``path`` imports (relative imports resolved)."""
    package = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]  # a module's package, or __init__'s own
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join(base + tuple(filter(None, (node.module or "").split("."))))
            names.add(module)
            names |= {f"{module}.{alias.name}" for alias in node.names}
    return names


def paper_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if parts[:2] == ["critbatch", "papers"] and len(parts) > 2 else None


def core_files() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if PAPERS not in p.parents]


def paper_folders() -> list[Path]:
    return sorted(p for p in PAPERS.iterdir() if p.is_dir() and p.name != "__pycache__")


def test_imported_modules_resolves_relative_imports():
    modules = imported_modules(PAPERS / "armijo" / "claims.py")
    assert "critbatch.papers.armijo.theory" in modules and "critbatch.analysis.verdicts" in modules


@pytest.mark.parametrize("path", core_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_never_imports_a_paper(path):
    papers = {m for m in imported_modules(path) if paper_of(m)}
    assert not papers, f"{path.relative_to(PACKAGE)} (core) imports {sorted(papers)}"


@pytest.mark.parametrize("folder", paper_folders(), ids=lambda p: p.name)
def test_a_paper_imports_no_other_paper(folder):
    if folder.name == SYNTHESIS:
        return
    for path in folder.rglob("*.py"):
        others = {m for m in imported_modules(path) if paper_of(m) not in (None, folder.name)}
        assert not others, f"{path.relative_to(PACKAGE)} imports another paper: {sorted(others)}"


def test_each_paper_is_one_folder():
    loose = [p.name for p in PAPERS.glob("*.py") if p.name != "__init__.py"]
    assert not loose, f"modules directly under papers/: {loose}; each paper is one folder"
    assert {p.name for p in paper_folders()} >= {"armijo", "interpolation"}
    for folder in paper_folders():
        assert (folder / "__init__.py").is_file(), f"{folder.name} is not a package"


def test_no_paper_module_left_in_the_core():
    flat = {p.stem for p in PACKAGE.glob("*.py")}
    assert not flat & {"armijo_study", "armijo_claims", "armijo_figures", "interpolation", "interpolation_claims",
                       "kernel_sgd", "theory", "sfo", "quoted", "variance_reduction"}


def readme_paths() -> set[str]:
    """Every backquoted path in the first column of the README's layout table, but those of rows
    for folders that are not committed (downloads, checkpoints: absent from a fresh clone)."""
    readme = (PACKAGE.parents[1] / "README.md").read_text()
    table = readme.split("## Where things live", 1)[1].split("\n\n", 2)[1]
    rows = [line.split("|") for line in table.splitlines() if line.startswith("| `")]
    first_column = [row[1] for row in rows if "not committed" not in row[2]]
    return {path for cell in first_column for path in re.findall(r"`([^`]+)`", cell)}


def test_the_readme_layout_table_matches_the_tree():
    listed = readme_paths()
    root = PACKAGE.parents[1]
    named = {p if p.startswith(("src/", "notebooks/", "book/", "data/", "tests/", "benchmarks/")) else
             f"src/critbatch/{p}" for p in listed}
    missing = [p for p in named if "<" not in p and not (root / p).exists()]
    assert not missing, f"the README's layout table names paths that do not exist: {missing}"
    entries = {p.name for p in PACKAGE.iterdir() if not p.name.startswith(("_", "."))}
    unlisted = [e for e in entries if not any(f"src/critbatch/{e}" in p for p in named)]
    assert not unlisted, f"modules or folders of src/critbatch missing from the README's layout table: {unlisted}"
