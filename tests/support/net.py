"""Network doubles for SSRF tests: a stub resolver and a dialer that only ever reaches loopback.

`StaticResolver` maps test host names to whatever addresses a test needs (private,
link-local, "public"), so the guard's decisions are exercised without any DNS query.
`LoopbackDialer` sits under the guard: whatever (checked) address the guard dials, the
connection goes to 127.0.0.1 on the same port, and the address asked for is recorded.
Together they let a test fetch from a "public" host that is really the local test server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


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


class LoopbackDialer:
    """Connect to 127.0.0.1 whatever checked address the guard dials, recording the addresses asked.

    Plugged in as the fetcher's `dialer`: the guard calls it only with addresses it has
    checked, so `dialled` lists exactly what the guard let through.
    """

    def __init__(self) -> None:
        self.dialled: list[tuple[str, int]] = []

    def __call__(self, address: str, port: int) -> str:
        self.dialled.append((address, port))
        return "127.0.0.1"
