"""The book builds without warnings from the committed notebooks, and shows every figure."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from critbatch.notebooks import all_notebooks
from critbatch.paths import project_root

ROOT = project_root()
FRONT_PAGE = "_notebooks/synthesis/front-page.html"  # the book's root (book/_toc.yml)


def images_in(notebook: Path) -> int:
    return sum("image/png" in o.get("data", {})
               for c in json.loads(notebook.read_text())["cells"] for o in c.get("outputs", []))


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> Path:
    mathjax = ROOT / "book" / "mathjax_extra" / "mathjax" / "tex-mml-chtml.js"
    assert mathjax.is_file(), "MathJax is missing: run `make setup` (npm install mathjax@3)"
    book = tmp_path_factory.mktemp("build") / "book"
    shutil.copytree(ROOT / "book", book, ignore=shutil.ignore_patterns("_build", "_notebooks"))
    for notebook in all_notebooks(ROOT):
        target = book / "_notebooks" / notebook.relative_to(ROOT / "notebooks")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(notebook, target)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    done = subprocess.run([str(jupyter_book), "build", str(book), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-5000:]
    return book / "_build" / "html"


@pytest.mark.parametrize("notebook", all_notebooks(ROOT), ids=lambda p: p.stem)
def test_every_figure_is_shown_and_no_error(html, notebook):
    page = (html / "_notebooks" / notebook.relative_to(ROOT / "notebooks")).with_suffix(".html").read_text()
    expected = images_in(notebook)
    if notebook.stem.startswith("fig"):
        assert expected >= 1, f"{notebook.name} shows no figure"
    assert len(re.findall(r"<img [^>]*src=\"[^\"]*_images/", page)) >= expected
    for marker in ("Traceback", "output error", "output stderr"):
        assert marker not in page


def test_chapters_are_in_the_book(html):
    assert (html / "interpolation" / "index.html").is_file()
    assert "The Power of Interpolation" in (html / FRONT_PAGE).read_text()


def test_nothing_is_loaded_from_the_network(html):
    """Every script and stylesheet is served from the build; pages with maths load the local
    MathJax (npm mathjax@3), never a CDN."""
    pages = [p for p in html.rglob("*.html") if "http-equiv=\"Refresh\"" not in p.read_text()]
    assert len(pages) >= 5
    for page in pages:
        text = page.read_text()
        assert not re.search(r"<(script|link)[^>]+(src|href)=\"(https?:)?//", text), page
    assert (html / "mathjax" / "tex-mml-chtml.js").is_file()
    for page in (FRONT_PAGE, "interpolation/index.html"):
        assert "mathjax/tex-mml-chtml.js" in (html / page).read_text()
