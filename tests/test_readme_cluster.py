"""The README's cluster section, run as written: its paper-scale dry run exits 0, prints
CPU-hours and GPU-hours per paper, and the README's table says the same runs and GPU-hours."""

import os
import re
import subprocess
import sys

from critbatch.paths import project_root

ROOT = project_root()
SECTION = "### What each paper costs at paper scale"


def section() -> str:
    text = (ROOT / "README.md").read_text()
    return text[text.index(SECTION):text.index("## Where things live")]


def test_the_readmes_paper_scale_dry_run_prints_gpu_hours_per_paper_as_the_readme_says():
    (command,) = [line for line in section().splitlines() if line.endswith("--scale paper --dry-run")]
    argv = command.split()
    assert argv[:3] == [".venv/bin/python", "-m", "critbatch.sweep"], command
    done = subprocess.run([sys.executable, *argv[1:]], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "CRITBATCH_CACHE_ONLY": "1"})
    assert done.returncode == 0, done.stderr
    printed = dict(re.findall(r"^  (\w+): (\d+ runs to train, CPU-hours .* GPU-hours .*)$", done.stdout, re.M))
    table = re.findall(r"^\| \d, `(\w+)` [^|]*\| (\d+) \| ([\d,]+|unknown)", section(), re.M)
    assert {paper for paper, _, _ in table} == {"armijo", "adaptive", "interpolation", "graduated"}
    for paper, runs, gpu_hours in table:
        line = printed[paper]
        assert line.startswith(f"{runs} runs to train"), (paper, line)
        if gpu_hours == "unknown":
            assert "GPU-hours unknown" in line, (paper, line)
        else:
            hours = float(re.search(r"GPU-hours ([\d,.]+)", line).group(1).replace(",", ""))
            assert round(hours) == int(gpu_hours.replace(",", "")), (paper, line)
    assert "unknown" in printed["interpolation"] and "0.00" not in done.stdout.split("runs needed")[-1]
