"""Every pytest run (unit tests and nbval alike) is cache-only: the committed notebooks are
re-executed against the stored results, and a missing result is an error naming the run, never
a silent training. Tests that train on purpose say so with their own store or environment."""

import os

os.environ["CRITBATCH_CACHE_ONLY"] = "1"
