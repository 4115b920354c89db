"""The results store: one Parquet file per run, named by a hash of the run's full config.

A run is described by a frozen dataclass (its *config*). :func:`config_key` hashes the
canonical JSON of the config (fields that are None left out), its class name and
:data:`STORE_VERSION`, so equal configs share a key on every machine, any change of a field
gives a new one, and a new optional field leaves the keys of earlier runs as they were. The file
``<root>/<key>.parquet`` holds the run's log (one row per logging event, any columns) with
the config and a summary (status, counts, timings, code version) as JSON in its metadata.

Files are written to a temporary name and renamed, so a crash never leaves a half-written
result. In cache-only mode (``cache_only=True`` or ``CRITBATCH_CACHE_ONLY=1``; the tests and the
book build use it) a missing result is an error that names the run instead of a silent training.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import paths

__all__ = ["MissingResult", "Result", "STORE_VERSION", "Store", "code_version", "config_key"]

#: Bump when the meaning of stored results changes, to orphan every older file at once.
STORE_VERSION = 1
_META = b"critbatch"


class MissingResult(LookupError):
    """A cache-only store was asked for a run it does not hold."""


def _without_none(value: Any) -> Any:
    """Drop None entries from every mapping: None means "not set", so a new optional field
    (default None) leaves the keys of all earlier runs unchanged."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_without_none(v) for v in value]
    return value


def _canonical(config: Any) -> dict:
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        raise TypeError(f"a run config must be a dataclass instance, got {type(config).__name__}")
    return {"type": type(config).__name__, "store_version": STORE_VERSION,
            "config": _without_none(dataclasses.asdict(config))}


def config_key(config: Any) -> str:
    """A stable 16-hex-digit key for a dataclass config.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Demo:
    ...     lr: float = 0.1
    >>> config_key(Demo()) == config_key(Demo(lr=0.1)) != config_key(Demo(lr=0.2))
    True
    """
    text = json.dumps(_canonical(config), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def code_version() -> str:
    """The git commit of the checkout (with ``-dirty`` for uncommitted changes), or ``unknown``."""
    try:
        root = paths.project_root()
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=root, capture_output=True, text=True, timeout=10, check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError, FileNotFoundError):
        return "unknown"


@dataclass
class Result:
    """A stored run: its config (as a dict), its log and its summary."""

    key: str
    config: dict
    log: pd.DataFrame
    summary: dict


class Store:
    """Load-or-run access to the results under ``root`` (default ``data/results``)."""

    def __init__(self, root: str | Path | None = None, *, cache_only: bool | None = None):
        self.root = Path(root) if root is not None else paths.results_dir()
        if cache_only is None:
            cache_only = os.environ.get("CRITBATCH_CACHE_ONLY", "") not in ("", "0")
        self.cache_only = cache_only

    def path(self, config: Any) -> Path:
        return self.root / f"{config_key(config)}.parquet"

    def __contains__(self, config: Any) -> bool:
        return self.path(config).is_file()

    def save(self, config: Any, log: pd.DataFrame, summary: dict) -> Result:
        """Write a run atomically; the summary gains the code version and the store version."""
        key = config_key(config)
        meta = {"config": _canonical(config), "summary": {**summary, "code_version": code_version()}}
        table = pa.Table.from_pandas(log, preserve_index=False)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META: json.dumps(meta)})
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.path(config)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
        try:
            pq.write_table(table, tmp)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return self.load(config)

    def load(self, config: Any) -> Result:
        """The stored run for ``config``; :class:`MissingResult` if there is none."""
        target = self.path(config)
        if not target.is_file():
            raise MissingResult(
                f"no stored result for run {config_key(config)} ({config!r}) under {self.root}. "
                + (
                    "This store is cache-only (CRITBATCH_CACHE_ONLY is set, or cache_only=True): "
                    "run the notebook or script that produces it without cache-only mode, "
                    "then commit the new file."
                    if self.cache_only
                    else "Produce it with Store.get(config, run)."
                )
            )
        table = pq.read_table(target)
        meta = json.loads(table.schema.metadata[_META])
        return Result(config_key(config), meta["config"]["config"], table.to_pandas(), meta["summary"])

    def get(self, config: Any, run: Callable[[], tuple[pd.DataFrame, dict]]) -> Result:
        """Load the run for ``config``, or (unless cache-only) call ``run()`` and store its
        ``(log, summary)``."""
        if config in self or self.cache_only:
            return self.load(config)
        log, summary = run()
        return self.save(config, log, summary)
