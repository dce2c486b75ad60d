"""Suite-wide fixtures: no network beyond loopback, a local feed server, a real PostgreSQL.

Any socket connect, UDP send or name lookup that would leave the machine raises
`NetworkAccessError` at once, and the test fails at teardown even if the code under test
swallowed the error. Loopback (127.0.0.0/8, ::1) and Unix sockets are allowed.

PostgreSQL tests take `postgres_url`: a database URL whose `search_path` is a schema of its own,
created empty for the test and dropped after. The server is `VEILLE_TEST_POSTGRES_URL` when set
(`.ci/run` starts one), else a throwaway one started here on first use when the binaries exist
(`tests.support.postgres`), else those tests are skipped and the run ends with one line saying why.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import structlog

from tests.support.http import FeedServer
from tests.support.postgres import PostgresServer, PostgresUnavailable, fresh_schema

POSTGRES_URL_ENV = "VEILLE_TEST_POSTGRES_URL"
_POSTGRES_SKIP = "PostgreSQL unavailable: "


class NetworkAccessError(AssertionError):
    """A test tried to reach the network outside loopback."""


def _is_loopback_host(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """Put structlog back as it was after a test that ran the CLI in-process.

    `veille …` configures logging to print to the `sys.stderr` of that moment: under pytest, a
    capture that is closed once the test ends, so a later test's log line would raise.
    """
    config = structlog.get_config()
    yield
    structlog.configure(**config)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Refuse every connection, datagram and DNS lookup that is not loopback."""
    violations: list[str] = []

    def refuse(what: str) -> NetworkAccessError:
        violations.append(what)
        return NetworkAccessError(f"test tried to reach the network: {what}")

    def guard_address(sock: socket.socket, address: Any, op: str) -> None:
        if sock.family == getattr(socket, "AF_UNIX", None):
            return
        host = address[0] if isinstance(address, tuple) else address
        if not _is_loopback_host(host):
            raise refuse(f"{op} {address!r}")

    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_sendto = socket.socket.sendto
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        guard_address(self, address, "connect")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        guard_address(self, address, "connect")
        return real_connect_ex(self, address)

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        guard_address(self, args[-1], "sendto")
        return real_sendto(self, data, *args)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_loopback_host(host):
            try:
                ipaddress.ip_address(str(host))  # a literal needs no lookup; connect is guarded
            except ValueError:
                raise refuse(f"name lookup {host!r}") from None
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", sendto)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield violations
    if violations:
        pytest.fail(f"network access outside loopback: {violations}")


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    """A started `FeedServer` on 127.0.0.1 (see tests/support/http.py)."""
    async with FeedServer() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """Return the URL of the test PostgreSQL database, starting a throwaway server if needed."""
    given = os.environ.get(POSTGRES_URL_ENV)
    if given:
        yield given
        return
    try:
        server = PostgresServer.start()
    except PostgresUnavailable as exc:
        pytest.skip(f"{_POSTGRES_SKIP}{exc} (set {POSTGRES_URL_ENV} or install PostgreSQL)")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
async def postgres_url(postgres_server_url: str) -> AsyncIterator[str]:
    """Yield a URL whose search_path is a fresh empty schema, dropped after the test."""
    async with fresh_schema(postgres_server_url) as url:
        yield url


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say in one line that the PostgreSQL tests were skipped, and why (the default summary would not)."""
    reasons = [
        report.longrepr[2]
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple) and _POSTGRES_SKIP in str(report.longrepr[2])
    ]
    if reasons:
        reason = reasons[0].split(_POSTGRES_SKIP, 1)[1]
        terminalreporter.write_line(f"PostgreSQL tests skipped ({len(reasons)}): {reason}")
