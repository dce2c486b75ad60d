"""Network doubles for SSRF tests: a stub resolver and a dialer that only ever reaches loopback.

`StaticResolver` maps test host names to whatever addresses a test needs (private,
link-local, "public"), so the guard's decisions are exercised without any DNS query.
`LoopbackDialer` is the network backend under the guard: whatever (checked) address the guard
dials, it connects to 127.0.0.1 on the same port and records the address it was asked for.
Together they let a test fetch from a "public" host that is really the local test server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import httpcore


class StaticResolver:
    """Resolve names from a fixed table; an unknown name is an error, never a real lookup."""

    def __init__(self, table: Mapping[str, str | Sequence[str]]) -> None:
        self.table = {name: [addr] if isinstance(addr, str) else list(addr) for name, addr in table.items()}
        self.queries: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.queries.append(host)
        try:
            return self.table[host]
        except KeyError:
            raise OSError(f"StaticResolver: unknown test host {host!r}") from None


class LoopbackDialer(httpcore.AsyncNetworkBackend):
    """Dial 127.0.0.1:port whatever address is asked for, recording the addresses asked."""

    def __init__(self) -> None:
        self.dialled: list[tuple[str, int]] = []
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.dialled.append((host, port))
        return await self._inner.connect_tcp("127.0.0.1", port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise AssertionError("tests never dial unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
