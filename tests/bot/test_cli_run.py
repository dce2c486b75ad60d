"""`veille run` and `veille demo --interactive` as real processes: headless, console, clean stops.

A feed server that accepts connections and never answers keeps a polling cycle in flight, so
that each stop below happens in the middle of one (the case that used to print a traceback).
"""

from __future__ import annotations

import asyncio
import os
import pty
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store.sqlite import SqliteStore

VEILLE = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).resolve().parents[2]


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts and then says nothing: a poll that never ends."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connected = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            self.connected.set()

    def close(self) -> None:
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent_feed(tmp_path: Path) -> Iterator[tuple[Path, SilentServer]]:
    """A database where a console chat subscribes to a feed served by a `SilentServer`."""
    server = SilentServer()
    db = tmp_path / "veille.db"

    async def subscribe() -> None:
        async with SqliteStore(db) as storage:
            feed, _ = await storage.feeds.add(f"http://127.0.0.1:{server.port}/feed.xml", "Silencieux")
            chat = await storage.chats.upsert("console", "console", "Console")
            await storage.chats.subscribe(chat.id, feed.id)

    asyncio.run(subscribe())
    yield db, server
    server.close()


def _env(db: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "", "DISCORD_BOT_TOKEN": "", "VEILLE_DB": str(db)}
    env.pop("VEILLE_LOG_LEVEL", None)
    env.update(VEILLE_ALLOW_PRIVATE_URLS="1", VEILLE_FETCH_TIMEOUT="60", **extra)
    return env


def _read_until(fd: int, marker: bytes, timeout: float) -> bytes:
    """Read a pipe until `marker` shows up (or fail after `timeout` seconds)."""
    seen = b""
    deadline = time.monotonic() + timeout
    os.set_blocking(fd, False)
    while marker not in seen:
        assert time.monotonic() < deadline, f"{marker!r} never came; got {seen[-2000:]!r}"
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            time.sleep(0.05)
            continue
        if not chunk:
            raise AssertionError(f"output ended before {marker!r}; got {seen[-2000:]!r}")
        seen += chunk
    return seen


def test_run_without_tokens_and_without_a_terminal_runs_headless_until_sigterm(
    silent_feed: tuple[Path, SilentServer],
) -> None:
    db, server = silent_feed
    proc = subprocess.Popen(
        VEILLE + ["run"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=_env(db, VEILLE_LOG_LEVEL="INFO"),
    )
    try:
        assert server.connected.wait(60), "the headless bot never polled its feed"
        time.sleep(1.0)
        assert proc.poll() is None, "veille run ended on an empty stdin instead of running headless"
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr[-2000:]
    assert b"veille.headless" in stderr
    assert b"Traceback" not in stderr and b"CancelledError" not in stderr, stderr[-3000:]
    assert b"timestamp=" not in stdout  # logs never go to the chat's stream


def test_end_of_input_in_the_console_stops_cleanly_during_a_poll(silent_feed: tuple[Path, SilentServer]) -> None:
    db, server = silent_feed
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        VEILLE + ["run"], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=_env(db)
    )
    os.close(slave)
    try:
        assert proc.stdout is not None
        os.write(master, b"/aide\n")
        _read_until(proc.stdout.fileno(), b"/abonner", timeout=60)
        assert server.connected.wait(60), "the console bot never polled its feed"
        os.write(master, b"\x04")  # Ctrl-D: end of input on the terminal
        _, stderr = proc.communicate(timeout=60)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr[-2000:]
    assert b"Traceback" not in stderr and b"CancelledError" not in stderr, stderr[-3000:]


def test_console_chat_keeps_info_logs_out_of_the_terminal_unless_asked(
    silent_feed: tuple[Path, SilentServer],
) -> None:
    db, server = silent_feed

    def session(**extra: str) -> tuple[bytes, bytes]:
        master, slave = pty.openpty()
        proc = subprocess.Popen(
            VEILLE + ["run"],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env=_env(db, **extra),
        )
        os.close(slave)
        try:
            assert proc.stdout is not None
            os.write(master, b"/aide\n")
            out = _read_until(proc.stdout.fileno(), b"/abonner", timeout=60)
            os.write(master, b"\x04")
            rest, err = proc.communicate(timeout=60)
        finally:
            os.close(master)
            if proc.poll() is None:
                proc.kill()
        return out + rest, err

    out, err = session()
    assert b"level='info'" not in err and b"Running job" not in err, err[-2000:]
    assert b"timestamp=" not in out
    _, err_info = session(VEILLE_LOG_LEVEL="INFO")
    assert b"event='veille.running'" in err_info  # an explicit level still wins


def test_interactive_demo_says_when_the_user_can_type_after_its_own_output(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        VEILLE + ["demo", "--interactive"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=_env(tmp_path / "ignored.db"),
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        out = _read_until(proc.stdout.fileno(), "À vous".encode(), timeout=300)
        assert "Cycle terminé".encode() in out.split("À vous".encode())[0]
        _, stderr = proc.communicate(timeout=60)  # closes stdin: end of input ends the demo
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr[-2000:]
    assert b"Traceback" not in stderr
