"""The book's notebooks: the opener every notebook calls, and execution with papermill (used
by the Makefile and the tests).

Every notebook lives in ``notebooks/<paper>/<figure>.ipynb``, has a cell tagged ``parameters``
(``scale``, ``device``, ``seed``, ``data_root``) and then an opener cell that calls
:func:`opener`, which checks every parameter (one line naming the fix, before any data loads)
and applies the house style. Execution runs each notebook in its own folder (as nbval does) and drops the
metadata that changes on every run (timestamps, durations), so that re-executing an unchanged
notebook leaves an unchanged file.

Command line::

    python -m critbatch.notebooks --inplace                    # refresh the committed outputs
    python -m critbatch.notebooks --out book/_notebooks        # execute into the book's staging folder
    python -m critbatch.notebooks --out /tmp/nb -p scale smoke notebooks/interpolation/fig1-speedup.ipynb
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from . import paths, scales, validate

__all__ = ["Settings", "all_notebooks", "execute", "opener", "strip_volatile"]


@dataclass(frozen=True)
class Settings:
    """A notebook's parameters, checked and resolved by :func:`opener`."""

    scale: str  # "smoke", "reduced" or "paper" (critbatch.scales)
    device: str  # a torch device name ("auto" resolved)
    seed: int  # the first seed of every run
    data_root: Path | None  # dataset archives; None: $CRITBATCH_DATA or <repo>/data/raw

    @property
    def options(self) -> dict:
        """What ``critbatch.run`` (and each paper's figure calls) take besides the config:
        ``device`` and ``data_root``, which cannot change a result."""
        return {"device": self.device, "data_root": self.data_root}


def opener(scale: str, device: str = "cpu", seed: int = 0, data_root=None) -> Settings:
    """Check a notebook's parameters, apply the house style, and return them resolved.

    Each bad value fails with one line that names the fix, before any data loads:

    >>> opener("reduced", device="gpu")
    Traceback (most recent call last):
    ValueError: unknown device 'gpu'; use 'cpu', 'cuda' (or 'cuda:N'), 'mps' or 'auto'
    >>> opener("reduced", seed=-1)
    Traceback (most recent call last):
    ValueError: seed must be a non-negative integer, got -1 (int); give 0, 1, 2, ...
    >>> opener("reduced").options
    {'device': 'cpu', 'data_root': None}
    """
    from . import devices
    from .plotting import use_house_style

    scales.check(scale)
    validate.seed(seed)
    folder = validate.existing_folder(data_root)
    resolved = devices.resolve(device)
    use_house_style()
    return Settings(scale, resolved, seed, folder)


def all_notebooks(root: Path | None = None) -> list[Path]:
    """Every notebook under ``<root>/notebooks``, sorted; hidden files (``.NAME.PID.part.ipynb``,
    left by an execution that was killed) are not notebooks."""
    root = root or paths.project_root()
    return sorted(p for p in (root / "notebooks").rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts and not p.name.startswith("."))


def strip_volatile(path: Path) -> None:
    """Remove papermill's timestamps and per-cell timings from a notebook file, in place."""
    nb = json.loads(path.read_text())
    nb["metadata"].pop("papermill", None)
    for cell in nb["cells"]:
        cell["metadata"].pop("papermill", None)
        cell["metadata"].pop("execution", None)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def execute(source: Path, target: Path, parameters: dict | None = None) -> None:
    """Run ``source`` with papermill in its own folder and write the executed notebook to
    ``target`` only once it has run to the end: a failed or killed execution leaves ``target``
    as it was (papermill writes to a temporary file beside it, which is then renamed)."""
    import papermill

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.stem}.{os.getpid()}.part.ipynb")
    try:
        papermill.execute_notebook(
            str(source), str(partial), parameters=parameters or {}, kernel_name="python3",
            cwd=str(source.parent), progress_bar=False,
        )
        strip_volatile(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m critbatch.notebooks", description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--inplace", action="store_true", help="overwrite each notebook with its executed version")
    where.add_argument("--out", type=Path, help="write executed notebooks here, keeping notebooks/'s folders")
    parser.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="a parameter (the value is parsed as JSON if it can be, else kept as text)")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook")
    args = parser.parse_args(argv)
    parameters = {}
    for name, value in args.p:
        try:
            parameters[name] = json.loads(value)
        except json.JSONDecodeError:
            parameters[name] = value
    root = paths.project_root()
    chosen = [p.resolve() for p in args.notebooks] or all_notebooks(root)
    if not chosen:
        parser.error(f"no notebooks found under {root / 'notebooks'}")
    from papermill.exceptions import PapermillExecutionError

    for source in chosen:
        target = source if args.inplace else args.out / source.relative_to(root / "notebooks")
        print(f"executing {source} -> {target}", file=sys.stderr, flush=True)
        try:
            execute(source, target, parameters)
        except PapermillExecutionError as error:  # the notebook's own one-line message, not the kernel's traceback
            print(f"error: {source.name}, cell {error.exec_count}: {error.ename}: {error.evalue}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
