"""Which code produced a result: every stored result names a commit whose ``src/`` produced it.

:func:`code_version` is the commit of the code running now: a snapshot's commit, or the
checkout's ``HEAD`` when its ``src/`` has no uncommitted change (``<commit>-dirty`` otherwise,
which names no code). :func:`snapshot` extracts one commit's ``src/`` into
``build/snapshots/<commit>/``, so that a sweep trains from a clean commit while work goes on in
the checkout (:func:`workers_from`), and so that ``python -m critbatch.store verify`` can
retrain a stored run with the exact code its result names.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Iterator

from . import paths

__all__ = ["MARKER", "code_version", "commit_of", "snapshot", "src_is_clean", "workers_from"]

#: The file at the top of a snapshot that names its commit.
MARKER = ".critbatch-commit"


def _git(*args: str) -> str:
    out = subprocess.run(["git", *args], cwd=paths.project_root(), capture_output=True, text=True, timeout=30,
                         check=True)
    return out.stdout.strip()


def _snapshot_commit() -> str | None:
    """The commit of the snapshot this package was imported from, if it was."""
    marker = Path(__file__).resolve().parents[2] / MARKER
    return marker.read_text().strip() if marker.is_file() else None


def src_is_clean() -> bool:
    """Whether the checkout's ``src/`` matches its ``HEAD`` (untracked files included)."""
    return _git("status", "--porcelain", "--untracked-files=all", "--", "src") == ""


def commit_of(revision: str = "HEAD") -> str:
    """The full commit hash of ``revision`` in the checkout."""
    return _git("rev-parse", "--verify", f"{revision}^{{commit}}")


def code_version() -> str:
    """The commit (12 hex digits) whose ``src/`` is running: a snapshot's, or ``HEAD``'s when
    ``src/`` is clean; ``<HEAD>-dirty`` when it is not; ``unknown`` outside a git checkout."""
    commit = _snapshot_commit()
    if commit:
        return commit[:12]
    try:
        head = commit_of()[:12]
        return head if src_is_clean() else f"{head}-dirty"
    except (OSError, subprocess.SubprocessError, FileNotFoundError):
        return "unknown"


def snapshot(revision: str = "HEAD") -> Path:
    """``build/snapshots/<commit>/``: the ``src/`` of ``revision``, extracted once (atomically)
    with a :data:`MARKER` naming the commit. Raises ``ValueError`` for an unknown revision."""
    try:
        commit = commit_of(revision)
    except subprocess.CalledProcessError as error:
        raise ValueError(f"no commit {revision!r} in this checkout (git rev-parse failed); "
                         "give a commit hash or branch name") from error
    target = paths.project_root() / "build" / "snapshots" / commit
    if (target / MARKER).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{commit[:12]}.", dir=target.parent))
    try:
        archive = staging / "src.tar"
        with open(archive, "wb") as out:
            subprocess.run(["git", "archive", "--format=tar", commit, "src"], cwd=paths.project_root(), stdout=out,
                           check=True, timeout=120)
        with tarfile.open(archive) as tar:
            tar.extractall(staging, filter="data")
        archive.unlink()
        (staging / MARKER).write_text(commit + "\n")
        try:
            os.replace(staging, target)
        except OSError:  # another process made it first
            if not (target / MARKER).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


@contextlib.contextmanager
def workers_from(folder: Path) -> Iterator[None]:
    """Processes started in the body import critbatch from the snapshot ``folder``: its ``src``
    goes first on ``PYTHONPATH`` (subprocesses) and on ``sys.path``, which spawned
    multiprocessing workers copy from this process (this process keeps the modules it has)."""
    source = str(folder / "src")
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([source, *([before] if before else [])])
    sys.path.insert(0, source)
    try:
        yield
    finally:
        sys.path.remove(source)
        if before is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = before
