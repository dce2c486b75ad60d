"""Crash safety with a real process: SIGKILL mid-work, restart, nothing lost, little repeated.

`veille run` without tokens serves a console chat; every message it prints starts with a
"── <chat id> ──" line, so the test counts deliveries per chat across both processes.

A kill at an exact point of the code (rather than after some output) comes from a hook that
the child installs before Veille starts: SQLite's trace callback sends the process SIGKILL
when it is about to run a chosen statement. Veille's code is the real one, unchanged.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.chat.follows import normalize_term
from bot.feeds.parse import parse_feed
from bot.models import utcnow
from bot.store.protocols import PollSuccess
from bot.store.sqlite import SqliteStore
from tests.support.core import Item, legal_body, make_settings, rss
from tests.support.http import FeedServer
from tests.support.sqlite_rows import digest_stored, stored_entries

ROOT = Path(__file__).resolve().parents[2]
HEADER = re.compile(r"^── (c\d+) ──$")
CHATS = 1000
NEVER = datetime(2999, 1, 1, tzinfo=UTC)  # a next poll that never comes: no polling needed


# Run by the child instead of `-m bot.cli run`: kill ourselves when `KILL_AT` is about to run.
KILL_HOOK = """
import os, runpy, signal, sqlite3, sys

connect = sqlite3.connect

def connect_with_kill_point(*args, **kwargs):
    conn = connect(*args, **kwargs)
    def trace(sql):
        if " ".join(sql.split()).upper().startswith(os.environ["KILL_AT"]):
            os.kill(os.getpid(), signal.SIGKILL)
    conn.set_trace_callback(trace)
    return conn

sqlite3.connect = connect_with_kill_point
sys.argv = ["veille", "run"]
runpy.run_module("bot.cli", run_name="__main__")
"""


def start_veille(db: Path, *, kill_at: str | None = None) -> subprocess.Popen[str]:
    """Run `veille run` on `db`; with `kill_at`, SIGKILL it when that SQL statement is about to run."""
    env = {
        **os.environ,
        "VEILLE_DB": str(db),
        "VEILLE_ALLOW_PRIVATE_URLS": "1",
        "VEILLE_POLL_INTERVAL": "10",
        "TELEGRAM_BOT_TOKEN": "",
        "DISCORD_BOT_TOKEN": "",
        "VEILLE_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "bot.cli", "run"]
    if kill_at is not None:
        env["KILL_AT"] = kill_at.upper()
        command = [sys.executable, "-c", KILL_HOOK]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        bufsize=1,
    )


class Transcript:
    """Drain a child's stdout in a thread (a full pipe would block it) and count messages per chat."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.counts: Counter[str] = Counter()
        self._proc = proc
        self._thread = threading.Thread(target=self._drain, args=(proc,), daemon=True)
        self._thread.start()

    def _drain(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            match = HEADER.match(line.strip())
            if match:
                self.counts[match.group(1)] += 1

    async def wait_for(self, total: int, *, timeout: float) -> int:
        """Wait until `total` messages were seen (or the timeout); return how many were."""
        deadline = time.monotonic() + timeout
        while sum(self.counts.values()) < total and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return sum(self.counts.values())

    def join(self) -> None:
        """Wait for the child's stdout to close, then close our ends of its pipes."""
        self._thread.join(10)
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None:
                stream.close()


async def prepare(tmp_path: Path, feed_server: FeedServer, *, follow: bool = False) -> Path:
    """Store a feed with one new entry and CHATS console chats subscribed to it.

    With `follow`, the chats follow a word of the entry's title instead of subscribing: they
    get it as follow alerts.
    """
    body = rss([Item("k1", "Rançongiciel : enquête ouverte", legal_body("la société Omega"))])
    url = feed_server.set("/feed.xml", body, content_type="application/rss+xml")
    settings = make_settings(tmp_path)
    async with SqliteStore(settings.db) as db:
        feed, _ = await db.feeds.add(url, "Flux test")
        parsed = parse_feed(body, url=url)
        polled = PollSuccess(next_poll_at=NEVER, etag=None, last_modified=None)
        await db.entries.add(feed.id, parsed.entries, digest_limit=1, poll=polled)
        for n in range(CHATS):
            chat = await db.chats.upsert("console", f"c{n}")
            if follow:
                await db.follows.add(chat.id, "rançongiciel", normalize_term("rançongiciel"), now=utcnow())
            else:
                await db.chats.subscribe(chat.id, feed.id)
    return settings.db


async def delivery_states(db: SqliteStore) -> dict[str, int]:
    """Count the deliveries by state, every platform together; states without any are left out."""
    counts: Counter[str] = Counter()
    for (state, _), count in (await db.gauges.read()).deliveries.items():
        counts[state] += count
    return {state: count for state, count in counts.items() if count}


@pytest.mark.slow
async def test_sigkill_mid_fanout_then_restart_loses_nothing_and_repeats_at_most_once_per_chat(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    db_path = await prepare(tmp_path, feed_server)

    first = start_veille(db_path)
    before = Transcript(first)
    await before.wait_for(300, timeout=120)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    before.join()
    assert 0 < sum(before.counts.values()) < CHATS, f"kill must land mid-fan-out: {sum(before.counts.values())}"

    second = start_veille(db_path)
    after = Transcript(second)
    try:
        async with SqliteStore(db_path) as db:
            for _ in range(600):
                if (await delivery_states(db)).get("sent") == CHATS:
                    break
                await asyncio.sleep(0.1)
    finally:
        second.send_signal(signal.SIGTERM)
        started = time.monotonic()
        code = second.wait(15)
        stopped_in = time.monotonic() - started
        after.join()

    async with SqliteStore(db_path) as db:
        assert await db.integrity_ok()
        states = await delivery_states(db)
    counts = before.counts + after.counts
    assert states == {"sent": CHATS}
    assert len(counts) == CHATS, "every chat got the digest"
    assert max(counts.values()) <= 2, "at most one duplicate per chat"
    assert code == 0 and stopped_in < 10


@pytest.mark.slow
async def test_sigkill_before_the_digest_is_made_then_restart_delivers_it_once(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    db_path = await prepare(tmp_path, feed_server)
    proc = start_veille(db_path)
    killed = Transcript(proc)
    time.sleep(0.5)  # still loading the language model: the entry is not digested yet
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    killed.join()
    async with SqliteStore(db_path) as db:
        assert len(await db.entries.pending()) == 1

    second = start_veille(db_path)
    transcript = Transcript(second)
    try:
        await transcript.wait_for(CHATS, timeout=120)
    finally:
        second.send_signal(signal.SIGTERM)
        code = second.wait(15)
        transcript.join()
    assert code == 0
    assert len(transcript.counts) == CHATS and max(transcript.counts.values()) == 1


async def restart_until_every_chat_is_served(
    db_path: Path, before: Counter[str], *, sent: int
) -> tuple[Counter[str], dict[str, int], int, float]:
    """Run Veille again until `sent` deliveries are confirmed; return what it printed and did."""
    second = start_veille(db_path)
    after = Transcript(second)
    try:
        async with SqliteStore(db_path) as db:
            for _ in range(600):
                if (await delivery_states(db)).get("sent") == sent and len(before + after.counts) >= CHATS:
                    break
                await asyncio.sleep(0.1)
    finally:
        second.send_signal(signal.SIGTERM)
        started = time.monotonic()
        code = second.wait(15)
        stopped_in = time.monotonic() - started
        after.join()
    async with SqliteStore(db_path) as db:
        assert await db.integrity_ok()
        states = await delivery_states(db)
    return before + after.counts, states, code, stopped_in


@pytest.mark.slow
async def test_sigkill_right_after_the_digest_is_stored_still_delivers_every_follow_alert(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    db_path = await prepare(tmp_path, feed_server, follow=True)
    first = start_veille(db_path)
    before = Transcript(first)
    reader = sqlite3.connect(db_path, timeout=5)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # kill the moment the digest is committed
            if digest_stored(reader):
                break
            time.sleep(0.001)
        first.send_signal(signal.SIGKILL)
    finally:
        reader.close()
    first.wait(10)
    before.join()
    assert sum(before.counts.values()) < CHATS, "the kill must land before the fan-out is over"

    counts, states, code, stopped_in = await restart_until_every_chat_is_served(db_path, before.counts, sent=CHATS)
    assert states == {"sent": CHATS}
    assert len(counts) == CHATS, "every follower got the alert"
    assert max(counts.values()) <= 2, "at most one duplicate per chat"
    assert code == 0 and stopped_in < 10


@pytest.mark.slow
async def test_sigkill_mid_daily_digest_fan_out_then_restart_sends_each_chat_its_day_once_more_at_most(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    db_path = await prepare(tmp_path, feed_server)
    # Every chat wants its daily digest at a time passed five minutes ago, and was last served
    # the day before: the start-time catch-up owes each chat today's digest.
    due = (datetime.now(UTC) - timedelta(minutes=5)).replace(second=0, microsecond=0)
    async with SqliteStore(db_path) as db:
        for n in range(CHATS):
            chat = await db.chats.get("console", f"c{n}")
            assert chat is not None
            await db.chats.update(chat.id, mode="quotidien", daily_time=f"{due:%H:%M}", timezone="UTC")
            await db.daily.mark_due(chat.id, due - timedelta(days=1))

    first = start_veille(db_path)
    before = Transcript(first)
    await before.wait_for(300, timeout=120)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    before.join()
    assert 0 < sum(before.counts.values()) < CHATS, f"kill must land mid-fan-out: {sum(before.counts.values())}"

    counts, states, code, stopped_in = await restart_until_every_chat_is_served(db_path, before.counts, sent=CHATS)
    assert len(counts) == CHATS, "every chat got its daily digest"
    assert max(counts.values()) <= 2, "at most one duplicate per chat"
    assert states == {"sent": CHATS}, "one daily delivery per chat, all confirmed"
    assert code == 0 and stopped_in < 10


@pytest.mark.slow
async def test_sigkill_while_storing_a_polls_entries_then_restart_delivers_them(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """The poll's ETag and its entries land together: a kill between them would mean a 304 forever."""
    body = rss([Item("p1", "Escroquerie au faux conseiller : un réseau démantelé", legal_body("le réseau"))])
    url = feed_server.set("/feed.xml", body, content_type="application/rss+xml", etag='"v1"')
    db_path = make_settings(tmp_path).db
    async with SqliteStore(db_path) as db:
        feed, _ = await db.feeds.add(url, "Flux test")  # due now, never polled
        chat = await db.chats.upsert("console", "c0")
        await db.chats.subscribe(chat.id, feed.id)

    first = start_veille(db_path, kill_at="INSERT OR IGNORE INTO entries")
    killed = Transcript(first)
    deadline = time.monotonic() + 60
    while first.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)  # the feed server runs on this event loop: never block it
    if first.poll() is None:
        first.kill()
    code = first.wait(10)
    killed.join()
    assert code == -signal.SIGKILL, "the kill point (storing the polled entries) was reached"
    async with SqliteStore(db_path) as db:
        assert await db.integrity_ok()
        stored = await db.feeds.get(feed.id)
        entries = await stored_entries(db, feed.id)
    assert stored is not None and stored.etag is None and not entries, "nothing of the poll landed"

    second = start_veille(db_path)
    transcript = Transcript(second)
    try:
        await transcript.wait_for(1, timeout=90)
    finally:
        second.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(second.wait, 15)
        transcript.join()
    assert code == 0
    assert transcript.counts == {"c0": 1}, "the item arrives after the restart, once"
    assert [r.headers.get("If-None-Match") for r in feed_server.requests] == [None, None]
