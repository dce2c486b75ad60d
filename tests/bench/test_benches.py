"""The polling benchmarks run end to end on a few feeds and keep the output other scripts parse.

Figures are not asserted (they depend on the machine); the line formats and counts are.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
def test_poll_bench_prints_its_cycle_line_unchanged() -> None:
    out = run("poll_bench.py", "--feeds", "40", "--items", "5", "--changed", "0.25", "--no-naive", "--repeat", "2")
    cycle = r"^veille cycle : wall ([\d.]+) s, cpu ([\d.]+) s, (\d+) answered 304, (\d+) new entries stored$"
    line = re.search(cycle, out, re.M)
    assert line is not None, out
    assert (int(line[3]), int(line[4])) == (30, 10)  # a quarter of the feeds published one item each
    assert re.search(r"^per feed     : cpu [\d.]+ ms;", out, re.M)
    assert re.search(r"^304 cycle    : wall [\d.]+ s, cpu [\d.]+ ms per poll, 40 answered 304", out, re.M)


@pytest.mark.slow
def test_scale_bench_prints_sqlite_and_the_aiohttp_floor_and_marks_postgres_not_measured() -> None:
    out = run("scale_bench.py", "--feeds", "40", "--items", "5", "--changed", "0.25")
    assert re.search(r"^SQLite x 1 process +: cycle wall [\d.]+ s, cpu [\d.]+ ms per feed, 304 cycle", out, re.M), out
    assert re.search(r"^bare aiohttp floor +: cycle wall [\d.]+ s, cpu [\d.]+ ms per feed", out, re.M), out
    pending = re.findall(r"^(PostgreSQL x \d pollers?|digests/s, \d pollers?) +: not measured: ", out, re.M)
    assert pending == [
        "PostgreSQL x 1 poller",
        "PostgreSQL x 2 pollers",
        "PostgreSQL x 4 pollers",
        "digests/s, 1 poller",
        "digests/s, 2 pollers",
    ]
