"""Every pytest run (unit tests and nbval alike) is cache-only: the committed notebooks are
re-executed against the stored results, and a missing result is an error naming the run, never
a silent training. Tests that train on purpose say so with their own store or environment.

`make test` spreads the tests over every core (pytest-xdist, ``-n auto --dist loadgroup``) one
by one, except for the groups below, each run in order on one worker; of the single tests, those
marked ``slow`` (they train) start first, so that no worker is left with a long one at the end."""

import os

import pytest

os.environ["CRITBATCH_CACHE_ONLY"] = "1"

#: Test modules whose tests share a costly module-scoped fixture (the book's build, a sweep).
SHARED_FIXTURES = ("tests/test_book.py", "tests/test_sweep.py")


def work_unit(nodeid: str) -> str:
    """The group of a test: its notebook (nbval runs a notebook's cells in order in one kernel),
    its module if that is one of SHARED_FIXTURES, else the test alone."""
    path = nodeid.split("::", 1)[0]
    return path if path.endswith(".ipynb") or path in SHARED_FIXTURES else nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` by :func:`work_unit`. (xdist 3.8 marks its groups with a suffix to
    the test's nodeid, which pytest 9 no longer reads: its own loadgroup spreads a notebook's
    cells over the workers.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByWorkUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return ByWorkUnit(config, log)


def pytest_collection_modifyitems(items):
    """The ``slow`` tests first (a stable sort: each group keeps its order). xdist (its default
    ``--loadscope-reorder``) hands out the work units with the most tests first (the notebooks'
    cells, the modules of SHARED_FIXTURES), then the single tests in this order, one at a time to
    whichever worker is free: the slow ones before the many short ones, so that no worker is left
    with a long one at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_ignore_collect(collection_path, config):
    """Hidden files are never collected: ``.NAME.PID.part.ipynb`` is what a killed notebook
    execution leaves (``critbatch.notebooks.execute``), and may be empty."""
    return True if collection_path.name.startswith(".") else None
