"""``python -m critbatch.data NAME ...``: fetch and verify dataset archives."""

from .archives import main

raise SystemExit(main())
