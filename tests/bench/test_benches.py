"""The polling benchmarks run end to end on a few feeds and keep the output other scripts parse.

Figures are not asserted (they depend on the machine); the line formats and counts are.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(script: str, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        env={**os.environ, **(env or {})},
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


def postgres_absent_reason() -> str | None:
    """Return why this machine cannot start a throwaway PostgreSQL server, or None when it can."""
    from tests.support.postgres import PostgresUnavailable, find_bindir

    try:
        find_bindir()
    except PostgresUnavailable as exc:
        return str(exc)
    return None


POLLER_ROWS = r"^(PostgreSQL x \d pollers?|digests/s, \d pollers?) +: not measured: (.*)$"
CYCLE = r"cycle wall [\d.]+ s, cpu [\d.]+ ms per feed, 304 cycle cpu [\d.]+ ms per poll"


@pytest.mark.slow
def test_scale_bench_measures_sqlite_postgres_one_poller_and_digests_per_second() -> None:
    absent = postgres_absent_reason()
    if absent is not None:
        pytest.skip(f"PostgreSQL row not measurable here: {absent}")
    out = run("scale_bench.py", "--feeds", "40", "--items", "5", "--changed", "0.25", "--articles", "4")
    assert re.search(rf"^SQLite x 1 process +: {CYCLE} \(30 answered 304, 10 new entries\)$", out, re.M), out
    assert re.search(r"^bare aiohttp floor +: cycle wall [\d.]+ s, cpu [\d.]+ ms per feed", out, re.M), out
    # the throwaway server's store saw the same cycle: a quarter of the feeds published one item each
    assert re.search(rf"^PostgreSQL x 1 poller +: {CYCLE} \(30 answered 304, 10 new entries\)$", out, re.M), out
    rate = r"^digests/s, (\d) pollers? +: ([\d.]+) articles/s \(4 articles in [\d.]+ s, (\d) process"
    rates = re.findall(rate, out, re.M)
    assert [(n, p) for n, _, p in rates] == [("1", "1"), ("2", "2")], out
    assert all(float(rate) > 0 for _, rate, _ in rates), out
    for n in (2, 4):  # real poller processes: every feed polled, none fetched twice
        assert re.search(
            rf"^PostgreSQL x {n} pollers +: cycle wall [\d.]+ s, cpu [\d.]+ ms per feed "
            r"\(30 answered 304, 10 new entries, each feed fetched once; per poller [\d, ]+ feeds\)$",
            out,
            re.M,
        ), out


@pytest.mark.slow
def test_scale_bench_says_why_postgres_is_not_measured_without_its_binaries(tmp_path: Path) -> None:
    out = run(
        "scale_bench.py", "--feeds", "20", "--items", "3", "--changed", "0.25", "--articles", "0",
        env={"VEILLE_POSTGRES_BINDIR": str(tmp_path)},
    )
    assert re.search(rf"^SQLite x 1 process +: {CYCLE}", out, re.M), out
    reason = f"no PostgreSQL binaries (initdb, pg_ctl) in {tmp_path} (or pass --postgres URL)"
    assert re.findall(POLLER_ROWS, out, re.M) == [
        ("PostgreSQL x 1 poller", reason),
        ("PostgreSQL x 2 pollers", reason),
        ("PostgreSQL x 4 pollers", reason),
        ("digests/s, 1 poller", "--articles 0"),
        ("digests/s, 2 pollers", "--articles 0"),
    ], out
