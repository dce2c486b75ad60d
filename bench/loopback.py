"""Run a benchmark's HTTP server in its own process, listening on several loopback hosts.

Why a process: the server's CPU must not be billed to the code being measured. Why several
hosts (127.0.0.1, 127.0.0.2, …, all loopback on Linux): the fetcher limits concurrency per host,
as it would against many real sites.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web


def loopback_hosts(count: int) -> list[str]:
    """Return `count` loopback addresses: 127.0.0.1, 127.0.0.2, …"""
    return [f"127.0.0.{i}" for i in range(1, count + 1)]


def _serve(
    build_app: Callable[..., web.Application], args: tuple[Any, ...], hosts: list[str], port: Any, ready: Any
) -> None:
    async def main() -> None:
        runner = web.AppRunner(build_app(*args), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, hosts[0], 0).start()
        chosen = runner.addresses[0][1]
        for host in hosts[1:]:
            await web.TCPSite(runner, host, chosen).start()
        port.value = chosen
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


@contextmanager
def loopback_server(build_app: Callable[..., web.Application], *args: Any, hosts: list[str]) -> Iterator[int]:
    """Serve `build_app(*args)` on every host (one port) in a child process; yield the port."""
    ready = multiprocessing.Event()
    port = multiprocessing.Value("i", 0)
    server = multiprocessing.Process(target=_serve, args=(build_app, args, hosts, port, ready), daemon=True)
    server.start()
    try:
        if not ready.wait(30):
            raise RuntimeError("benchmark server did not start")
        yield port.value
    finally:
        server.terminate()
        server.join(5)
