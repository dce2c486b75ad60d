"""The PostgreSQL half of the suite: it runs on a real server, or says in one line why it did not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.postgres import BINDIR_ENV, PostgresServer, find_bindir

ROOT = Path(__file__).resolve().parents[1]


def test_without_postgresql_the_suite_skips_those_tests_and_says_why_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "VEILLE_TEST_POSTGRES_URL"}
    env[BINDIR_ENV] = str(tmp_path / "no-postgres-here")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/bot/store/test_store_contract.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    lines = [line for line in done.stdout.splitlines() if "PostgreSQL" in line]
    assert len(lines) == 1, done.stdout[-2000:]
    assert lines[0].startswith("PostgreSQL tests skipped (") and "no PostgreSQL binaries" in lines[0]
    assert " passed, " in done.stdout and " skipped" in done.stdout  # the SQLite half still ran


def test_the_throwaway_server_starts_on_loopback_and_leaves_nothing_behind(postgres_server_url: str) -> None:
    # `postgres_server_url` skips this test, with the others, where PostgreSQL cannot run.
    server = PostgresServer.start(bindir=find_bindir())
    try:
        assert server.url.startswith("postgresql://postgres@127.0.0.1:")
        assert (server.directory / "data" / "postmaster.pid").exists()
        hba = (server.directory / "data" / "pg_hba.conf").read_text(encoding="utf-8")
        assert [line.split()[:4] for line in hba.splitlines() if line and not line.startswith("#")] == [
            ["local", "all", "all", "trust"],
            ["host", "all", "all", "127.0.0.1/32"],
        ]
    finally:
        server.stop()
    assert not server.directory.exists()
