"""The project's own files agree with each other."""

import importlib.util
import re

import yaml

from critbatch.paths import project_root

ROOT = project_root()


def pins(lines):
    return dict(re.match(r"\s*-?\s*([A-Za-z0-9_.-]+)==(\S+)", line).groups()
                for line in lines if re.match(r"\s*-?\s*[A-Za-z0-9_.-]+==", line))


def test_environment_yml_pins_what_requirements_pin():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    requirements = pins((ROOT / "requirements.txt").read_text().splitlines())
    assert pins(pip_section) == requirements
    assert len(requirements) >= 10


def test_constraints_agree_with_requirements():
    constraints = pins((ROOT / "constraints.txt").read_text().splitlines())
    for name, version in pins((ROOT / "requirements.txt").read_text().splitlines()).items():
        assert constraints.get(name) == version, name


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme
    commands = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.startswith("#") and not line.startswith(("set ", "cd "))]
    assert commands == ["make test"]



def test_make_test_runs_on_every_core_with_each_notebook_on_one_worker():
    """nbval runs a notebook's cells in one kernel, in order: under xdist they are one work unit."""
    assert "pytest -n auto --dist loadgroup" in (ROOT / "Makefile").read_text()
    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    units = [conftest.work_unit(nodeid) for nodeid in (
        "notebooks/a/x.ipynb::Cell 0", "notebooks/a/x.ipynb::Cell 1", "notebooks/a/y.ipynb::Cell 0",
        "tests/test_book.py::test_chapters_are_in_the_book", "tests/test_book.py::test_every_figure[x]",
        "tests/test_store.py::test_one[a]", "tests/test_store.py::test_one[b]")]
    assert units == ["notebooks/a/x.ipynb", "notebooks/a/x.ipynb", "notebooks/a/y.ipynb", "tests/test_book.py",
                     "tests/test_book.py", "tests/test_store.py::test_one[a]", "tests/test_store.py::test_one[b]"]
