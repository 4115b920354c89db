"""Every pytest run (unit tests and nbval alike) is cache-only: the committed notebooks are
re-executed against the stored results, and a missing result is an error naming the run, never
a silent training. Tests that train on purpose say so with their own store or environment."""

import os

os.environ["CRITBATCH_CACHE_ONLY"] = "1"


def pytest_ignore_collect(collection_path, config):
    """Hidden files are never collected: ``.NAME.PID.part.ipynb`` is what a killed notebook
    execution leaves (``critbatch.notebooks.execute``), and may be empty."""
    return True if collection_path.name.startswith(".") else None
