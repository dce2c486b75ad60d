"""CPU per conditional GET answered 304, on loopback: bare aiohttp, bare httpx, Veille's Fetcher.

    .venv/bin/python bench/client_bench.py [--requests 4000] [--concurrency 64]

Why: the poll cost is mostly the HTTP client's. A server process on 20 loopback hosts answers
304 to every request carrying the right ETag; each client sends the same requests (URLs spread
over the hosts, as poll_bench does) and we print its wall time and CPU per request, so the
client can be chosen, or tuned, on measured cost.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web  # noqa: E402  # after the sys.path fix above

from bench.loopback import loopback_hosts, loopback_server  # noqa: E402

HOSTS = loopback_hosts(20)
ETAG = '"v1"'


def app() -> web.Application:
    async def feed(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == ETAG:
            return web.Response(status=304, headers={"ETag": ETAG})
        return web.Response(body=b"<rss/>", headers={"ETag": ETAG})

    application = web.Application()
    application.router.add_get("/feed/{index}.xml", feed)
    return application


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(get: Callable[[str], Awaitable[int]], urls: list[str], concurrency: int) -> tuple[float, float]:
    gate = asyncio.Semaphore(concurrency)

    async def one(url: str) -> None:
        async with gate:
            assert await get(url) == 304

    await asyncio.gather(*(one(u) for u in urls[:200]))  # warm up: connections, imports
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    await asyncio.gather(*(one(u) for u in urls))
    return time.perf_counter() - wall0, cpu_seconds() - cpu0


async def aiohttp_client(urls: list[str], concurrency: int) -> tuple[float, float]:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=100, limit_per_host=4)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def get(url: str) -> int:
            async with session.get(url, headers={"If-None-Match": ETAG}) as response:
                await response.read()
                return response.status

        return await run(get, urls, concurrency)


async def httpx_client(urls: list[str], concurrency: int, keepalive: int) -> tuple[float, float]:
    import httpx

    limits = httpx.Limits(max_connections=100, max_keepalive_connections=keepalive)
    async with httpx.AsyncClient(limits=limits, trust_env=False) as client:

        async def get(url: str) -> int:
            response = await client.get(url, headers={"If-None-Match": ETAG})
            return response.status_code

        return await run(get, urls, concurrency)


async def veille_fetcher(urls: list[str], concurrency: int) -> tuple[float, float]:
    from bot.feeds.fetch import Fetcher

    async with Fetcher(allow_private=True) as fetcher:

        async def get(url: str) -> int:
            return (await fetcher.fetch(url, etag=ETAG)).status

        return await run(get, urls, concurrency)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    from bot.logs import configure_logging

    configure_logging(level="WARNING")
    with loopback_server(app, hosts=HOSTS) as port:
        urls = [f"http://{HOSTS[i % len(HOSTS)]}:{port}/feed/{i}.xml" for i in range(args.requests)]
        print(f"{args.requests} conditional GETs answered 304, concurrency {args.concurrency}, {len(HOSTS)} hosts")
        clients: list[tuple[str, Callable[[], Awaitable[tuple[float, float]]]]] = [
            ("aiohttp (limit 100, 4 per host)", lambda: aiohttp_client(urls, args.concurrency)),
            ("httpx (keep-alive 20)", lambda: httpx_client(urls, args.concurrency, 20)),
            ("httpx (keep-alive 100)", lambda: httpx_client(urls, args.concurrency, 100)),
            ("veille Fetcher", lambda: veille_fetcher(urls, args.concurrency)),
        ]
        for name, client in clients:
            wall, cpu = asyncio.run(client())
            print(f"{name:<32}: wall {wall:.2f} s, cpu {cpu * 1000 / len(urls):.3f} ms per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
