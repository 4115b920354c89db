"""The results store: one Parquet file per run, named by a hash of the run's full config.

A run is described by a frozen dataclass (its *config*). :func:`config_key` hashes the
canonical JSON of the config (fields that are None left out), its class name and
:data:`STORE_VERSION`, so equal configs share a key on every machine, any change of a field
gives a new one, and a new optional field leaves the keys of earlier runs as they were. The file
``<root>/<key>.parquet`` holds the run's log (one row per logging event, any columns) with the
config, the paper it was made for and a summary (status, counts, timings, code version) as JSON
in its metadata. Config types registered with :func:`register_type` come back as dataclasses
(:func:`config_from_dict`), so :meth:`Store.load_key` can rebuild a run from its key alone.

Integrity. Every file records a SHA-256 of its log (values, types, pandas metadata) and of its
metadata, checked on every load: a damaged or hand-edited file raises :class:`CorruptResult`
instead of giving different numbers. Files are written to ``.<key>.parquet.<pid>.part`` and
renamed, so a crash never leaves a half-written result; a store that writes removes the
``.part`` files of writers that died. :meth:`Store.get` holds an ``flock`` on
``<root>/<key>.lock`` while it checks, trains and saves, so two processes asking for the same run
train it once. In cache-only mode (``cache_only=True`` or ``CRITBATCH_CACHE_ONLY=1``; the tests
and the book build use it) a missing result is an error that names the run instead of a silent
training.

Browsing. :meth:`Store.index` reads only the metadata of every file into one table, one row per
run, filtered by ``column=value``; from a shell::

    python -m critbatch.store ls type=TrainConfig batch_size.value=128 [--all]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import sys
import time
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import paths, validate

__all__ = ["CorruptResult", "MissingResult", "Result", "STORE_VERSION", "Store", "code_version",
           "SUMMARY_COLUMNS", "config_from_dict", "config_key", "index_fields", "register_type", "remove_stale_parts"]

#: Bump when the meaning of stored results changes, to orphan every older file at once.
STORE_VERSION = 1
_META = b"critbatch"
#: The summary entries among the first columns of :meth:`Store.index` (after key, type and paper).
SUMMARY_COLUMNS = ("status", "steps", "sfo", "seconds", "measure_seconds", "cpu", "onednn")
_INDEX = ("key", "type", "paper", *SUMMARY_COLUMNS)
_STALE_SECONDS = 3600  # a .part file this old is debris even if its pid is running again
_TYPES: dict[str, type] = {}


class MissingResult(LookupError):
    """A cache-only store was asked for a run it does not hold (``config``: that run)."""

    def __init__(self, message: str, config: Any = None):
        super().__init__(message)
        self.config = config


class CorruptResult(ValueError):
    """A stored file is unreadable, fails its checksum or predates checksums."""


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


def _json(value: Any, allow_nan: bool = True) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=allow_nan)


def _key(canonical: dict) -> str:
    return hashlib.sha256(_json(canonical, allow_nan=False).encode()).hexdigest()[:16]


def config_key(config: Any) -> str:
    """A stable 16-hex-digit key for a dataclass config.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Demo:
    ...     lr: float = 0.1
    >>> config_key(Demo()) == config_key(Demo(lr=0.1)) != config_key(Demo(lr=0.2))
    True
    """
    canonical = _canonical(config)
    validate.finite(canonical["config"], type(config).__name__)  # JSON has no NaN: name the field, not the encoder
    return _key(canonical)


def register_type(cls: type) -> type:
    """Let the store rebuild configs of the dataclass ``cls`` (known by its class name, as in
    the key) with :func:`config_from_dict`; returns ``cls``, so it also works as a decorator."""
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"a config type must be a dataclass, got {cls!r}")
    known = _TYPES.get(cls.__name__, cls)
    if (known.__module__, known.__qualname__) != (cls.__module__, cls.__qualname__):
        raise ValueError(f"two config types are named {cls.__name__} ({known.__module__} and "
                         f"{cls.__module__}): the store keys runs by class name, so rename one")
    _TYPES[cls.__name__] = cls  # the same class again, or a newer version of it after a reload
    return cls


def config_from_dict(type_name: str, fields: dict) -> Any:
    """Rebuild a config of a registered type from its stored fields: nested dataclasses from
    dicts, tuples from lists; a field left out (it was None, or is newer than the run) takes its
    default, or None if it has none. For a type that is not registered (its module is not
    imported), ``fields`` itself.

    >>> @register_type
    ... @dataclass(frozen=True)
    ... class Sweep:
    ...     sizes: tuple[int, ...]
    ...     patience: float | None = None
    >>> config_from_dict("Sweep", {"sizes": [8, 16]})
    Sweep(sizes=(8, 16), patience=None)
    >>> config_from_dict("Unknown", {"sizes": [8, 16]})
    {'sizes': [8, 16]}
    """
    cls = _TYPES.get(type_name)
    return fields if cls is None else _build(cls, fields)


def _build(cls: type, fields: dict) -> Any:
    try:
        hints = typing.get_type_hints(cls)
    except NameError:  # annotations naming local classes: go by the defaults' types
        hints = {f.name: type(f.default) for f in dataclasses.fields(cls)}
    unknown = fields.keys() - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))} (renamed or removed since the run?)")
    given = {f.name: _rebuild(hints.get(f.name, Any), fields[f.name])
             for f in dataclasses.fields(cls) if f.init and f.name in fields}
    missing = {f.name: None for f in dataclasses.fields(cls) if f.init and f.name not in fields
               and f.default is f.default_factory is dataclasses.MISSING}
    return cls(**given, **missing)


def _rebuild(hint: Any, value: Any) -> Any:
    """A JSON value as the type ``hint`` wants it: dataclasses from dicts, tuples from lists."""
    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    for option in typing.get_args(hint) if union else (hint,):
        origin = typing.get_origin(option) or option
        if isinstance(value, dict) and isinstance(origin, type) and dataclasses.is_dataclass(origin):
            return _build(origin, value)
        if isinstance(value, list) and origin in (tuple, list):
            args = [a for a in typing.get_args(option) if a is not Ellipsis] or [Any]
            return origin(_rebuild(args[min(i, len(args) - 1)], v) for i, v in enumerate(value))
    return value


def code_version() -> str:
    """The commit whose ``src/`` is running (:func:`critbatch.provenance.code_version`)."""
    from .provenance import code_version as running

    return running()


@dataclass
class Result:
    """A stored run: its config (a dict if its type is not registered), log, summary and paper."""

    key: str
    config: Any
    log: pd.DataFrame
    summary: dict
    paper: str | None = None


def _checksum(table: pa.Table, meta: dict) -> str:
    """SHA-256 of the table's Arrow IPC stream (our metadata removed) and of ``meta``'s JSON."""
    table = table.replace_schema_metadata(
        {k: v for k, v in (table.schema.metadata or {}).items() if k != _META}).combine_chunks()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    digest = hashlib.sha256(sink.getvalue())
    digest.update(_json(meta).encode())
    return digest.hexdigest()


def _corrupt(path: Path, problem: str) -> CorruptResult:
    return CorruptResult(f"{path}: {problem}; restore it from git (git checkout -- {path}) "
                         "or delete it and rerun its run")


def _read(path: Path, schema_only: bool = False) -> tuple[pa.Table | None, dict]:
    """A file's table (None if ``schema_only``) and metadata (without the checksum);
    :class:`CorruptResult` if it is unreadable or, read whole, lacks or fails its checksum."""
    try:
        table = None if schema_only else pq.read_table(path)
        meta = json.loads((pq.read_schema(path) if schema_only else table.schema).metadata[_META])
        checksum = meta.pop("sha256", None)
        if not (isinstance(meta.get("config"), dict) and isinstance(meta.get("summary"), dict)):
            raise ValueError("no config or summary in its metadata")
        valid = schema_only or checksum == _checksum(table, meta)
    except (pa.ArrowException, OSError, ValueError, LookupError, TypeError, AttributeError) as error:
        raise _corrupt(path, f"unreadable ({type(error).__name__}: {' '.join(str(error).split())})") from error
    if checksum is None and not schema_only:
        raise CorruptResult(f"{path}: written before results carried a checksum; rewrite it with "
                            "data/migrations/001_one_vocabulary.py (which re-saves every file with Store.save)")
    if not valid:
        raise _corrupt(path, "its content does not match its checksum (damaged or edited)")
    return table, meta


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        pass
    return True


def remove_stale_parts(folder: Path) -> None:
    """Remove the temporary files ``.<name>.<pid>.part`` of writers that died (pid not running,
    or over an hour old) from ``folder``: results here, checkpoints (:func:`critbatch.runs.train`)."""
    for part in folder.glob(".*.part"):
        pid = part.name.rsplit(".", 2)[-2]
        with contextlib.suppress(FileNotFoundError):  # renamed or removed meanwhile
            if not (pid.isdigit() and _running(int(pid))) or time.time() - part.stat().st_mtime > _STALE_SECONDS:
                part.unlink()


def _flatten(value: dict, prefix: str = "") -> dict:
    """``{"model": {"kind": "mlp"}}`` as ``{"model.kind": "mlp"}``."""
    flat = {}
    for name, item in value.items():
        if isinstance(item, dict) and item:
            flat.update(_flatten(item, f"{prefix}{name}."))
        else:
            flat[prefix + name] = item
    return flat


def _index_fields(fields: dict) -> dict:
    """Config fields as :meth:`Store.index` names them: flattened with dots, ``config.`` in front
    of a name that clashes with the index's own columns."""
    return {f"config.{name}" if name in _INDEX else name: value for name, value in _flatten(fields).items()}


def index_fields(config: Any) -> dict:
    """The index columns of ``config`` (to compare a config with :meth:`Store.index` rows)."""
    return _index_fields(_canonical(config)["config"])


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

    def save(self, config: Any, log: pd.DataFrame, summary: dict, *, paper: str | None = None) -> Result:
        """Write a run atomically, with its checksum; the summary gains the code version unless
        it has one (a migration keeps the original)."""
        meta = {"config": _canonical(config), "paper": paper,
                "summary": {"code_version": code_version(), **summary}}
        buffer = pa.BufferOutputStream()
        pq.write_table(pa.Table.from_pandas(log, preserve_index=False), buffer)
        table = pq.read_table(pa.BufferReader(buffer.getvalue()))  # as every load will read it
        meta["sha256"] = _checksum(table, meta)
        table = table.replace_schema_metadata({**table.schema.metadata, _META: json.dumps(meta)})
        self.root.mkdir(parents=True, exist_ok=True)
        remove_stale_parts(self.root)
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
        """The stored run for ``config``: :class:`MissingResult` if there is none,
        :class:`CorruptResult` if its file fails its checks."""
        return self._load(config_key(config), config)

    def load_key(self, key: str) -> Result:
        """The stored run with this key, its config rebuilt by :func:`config_from_dict`."""
        return self._load(key)

    def _load(self, key: str, config: Any = None) -> Result:
        target = self.root / f"{key}.parquet"
        if not target.is_file():
            run = key if config is None else f"{key} ({config!r})"
            raise MissingResult(
                f"no stored result for run {run} under {self.root}. "
                + (
                    "This store is cache-only (CRITBATCH_CACHE_ONLY is set, or cache_only=True): "
                    "train what is missing with `python -m critbatch.sweep` (or `make results`), "
                    "then commit the new files."
                    if self.cache_only
                    else "Produce it with critbatch.run(config)."
                ),
                config,
            )
        table, meta = _read(target)
        if _key(meta["config"]) != key:
            raise _corrupt(target, f"it holds run {_key(meta['config'])}, not {key} (renamed or copied?)")
        if config is None:
            config = config_from_dict(meta["config"]["type"], meta["config"]["config"])
            if dataclasses.is_dataclass(config) and config_key(config) != key:
                raise ValueError(f"{target}: its config rebuilt as {config!r} has another key: "
                                 f"{type(config).__name__} changed since this run was stored")
        return Result(key, config, table.to_pandas(), meta["summary"], meta.get("paper"))

    def get(self, config: Any, run: Callable[[], tuple[pd.DataFrame, dict]], *,
            paper: str | None = None) -> Result:
        """Load the run for ``config``, or (unless cache-only) call ``run()`` and store its
        ``(log, summary)``; a second process asking meanwhile waits, then loads it."""
        if config in self or self.cache_only:
            return self.load(config)
        with self._lock(config_key(config)):
            if config in self:  # trained by the process we waited for
                return self.load(config)
            log, summary = run()
            return self.save(config, log, summary, paper=paper)

    @contextlib.contextmanager
    def _lock(self, key: str):
        """Hold an exclusive ``flock`` on ``<root>/<key>.lock``, removing the file at the end."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"{key}.lock"
        while True:
            f = open(path, "a")
            fcntl.flock(f, fcntl.LOCK_EX)
            with contextlib.suppress(FileNotFoundError):
                if os.path.samestat(os.fstat(f.fileno()), os.stat(path)):
                    break
            f.close()  # the holder removed this file as we waited: lock the new one
        try:
            yield
        finally:
            path.unlink(missing_ok=True)  # still locked, so waiters see a removed file and retry
            f.close()

    def index(self, *, skip_corrupt: bool = False, **filters: Any) -> pd.DataFrame:
        """One row per stored run: key, type, paper, status, steps, sfo, seconds, the CPU model and oneDNN, then every
        config field flattened with dots (``model.kind``; a field named like one of the first
        columns gets ``config.`` in front). ``column=value`` keeps the rows where the column,
        as a string, equals ``str(value)``. Reads only the metadata, so no checksum is checked; an
        unreadable file is :class:`CorruptResult`, or left out with ``skip_corrupt``.

        >>> Store("/nonexistent").index().columns.tolist()
        ['key', 'type', 'paper', 'status', 'steps', 'sfo', 'seconds', 'measure_seconds', 'cpu', 'onednn']
        """
        rows = []
        for path in sorted(self.root.glob("*.parquet")):
            try:
                _, meta = _read(path, schema_only=True)
            except CorruptResult:
                if skip_corrupt:
                    continue
                raise
            row = {"key": path.stem, "type": meta["config"].get("type"), "paper": meta.get("paper"),
                   **{name: meta["summary"].get(name) for name in SUMMARY_COLUMNS}}
            row.update(_index_fields(meta["config"].get("config", {})))
            rows.append(row)
        unknown = set(filters) - set(_INDEX).union(*rows)
        if rows and unknown:
            raise ValueError(f"no stored run has a column {', '.join(sorted(unknown))} "
                             "(python -m critbatch.store ls --all lists them)")
        rows = [row for row in rows if all(str(row.get(c)) == str(v) for c, v in filters.items())]
        return pd.DataFrame(rows, columns=list(dict.fromkeys([*_INDEX, *(c for row in rows for c in row)])))


def main(argv: list[str] | None = None) -> None:
    """``python -m critbatch.store ls [column=value ...] [--all] [--root DIR]``, or
    ``python -m critbatch.store verify [--sample N] [--per-type] [KEY ...]`` (:mod:`critbatch.verify`)."""
    parser = argparse.ArgumentParser(prog="python -m critbatch.store", description="Browse the results store.")
    commands = parser.add_subparsers(dest="command", required=True)
    ls = commands.add_parser("ls", help="list the stored runs, one line each")
    ls.add_argument("filters", nargs="*", metavar="column=value", help="keep runs whose column equals value")
    ls.add_argument("--all", action="store_true", help="show every config column")
    ls.add_argument("--root", help="the store's folder (default: data/results)")
    check = commands.add_parser("verify", help="retrain stored runs with the code they name and compare bit for bit")
    check.add_argument("keys", nargs="*", help="run keys (default: a random sample)")
    check.add_argument("--sample", type=int, default=1, help="how many runs to draw at random (default 1)")
    check.add_argument("--per-type", action="store_true", help="also the cheapest stored run of every run type")
    check.add_argument("--seed", type=int, default=0, help="the draw's seed (default 0)")
    check.add_argument("--commit", default="HEAD", help="retrain results that name no commit at this one (default HEAD)")
    check.add_argument("--stamp", action="store_true", help="re-save an identical untraced result naming that commit")
    check.add_argument("--out", help="also write the table as JSON here")
    check.add_argument("--root", help="the store's folder (default: data/results)")
    args = parser.parse_args(argv)
    if args.command == "verify":
        from . import verify

        try:
            sys.exit(verify.main(args))
        except (ValueError, RuntimeError, MissingResult) as error:
            sys.exit(f"critbatch.store verify: {error}")
    filters = {}
    for item in args.filters:
        column, equals, value = item.partition("=")
        if not (column and equals):
            sys.exit(f"critbatch.store: malformed filter {item!r}: write column=value, e.g. model.kind=mlp")
        filters[column] = value
    try:
        table = Store(args.root).index(**filters)
    except ValueError as error:  # an unknown column, or a CorruptResult
        sys.exit(f"critbatch.store: {error}")
    if not args.all:
        table = table[list(dict.fromkeys([*_INDEX, *filters]))]
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", None):
        print(table.to_string(index=False) if len(table) else "no stored run matches")


if __name__ == "__main__":
    main()
