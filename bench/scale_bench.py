"""Polling at scale in one run: Veille's cycle per store and poller count, beside the bare-aiohttp floor.

    .venv/bin/python bench/scale_bench.py [--feeds 10000] [--items 50] [--changed 0.05]
        [--repeat 1] [--postgres postgresql://user:pass@host:port/db] [--pollers 1,2,4] [--articles 120]

Why: issue 12 asks for 10,000 feeds per cycle in ≤ 10 s wall and ≤ 0.8 ms of CPU per 304
poll, in one SQLite process and per poller on PostgreSQL, judged against what the HTTP
client alone costs. One server process (bench/loopback.py) serves the feeds of
bench/poll_bench.py on 20 loopback hosts; after a priming cycle, `--changed` of the feeds
publish one item, and we time:

- SQLite × 1 process: a tick as the app runs it (due feeds selected in SQL, conditional GETs,
  the changed feeds' new items parsed, entries and poll results stored): wall, CPU per feed;
  then an all-304 cycle (CPU per poll);
- the bare-aiohttp floor: the same conditional GETs (every one answered 304) sent by a bare
  aiohttp session with the fetcher's limits (100 connections, 4 per host, 64 at once): what
  the HTTP client alone costs, the floor under Veille's figure;
- PostgreSQL × 1 poller: the same tick with the store on PostgreSQL (an empty schema of
  `--postgres URL`, or of a throwaway server started here from the PostgreSQL binaries with
  tests/support/postgres.py and stopped at the end); "not measured: <reason>" without one;
- PostgreSQL × 2 and 4 pollers: N real poller processes (`bot.feeds.poller.Poller`, as
  `veille run --role poller` runs it) on one primed schema; once every feed is due they are
  released together and claim due feeds under leases until none is left. Wall runs from the
  release to the last poller's end; CPU is the pollers' summed rusage over the feeds polled;
  the feed server's count says whether any feed was fetched twice in the cycle;
- digests/s, 1 and 2 pollers: articles per second of the real DigestEngine in 1 and in 2
  worker processes, each loading the model once, timed after the load (bench/digest_rate.py;
  `--articles` of them, from ../shared/corpus/dev when it exists, else synthetic).

CPU is this process's (the feed server's and PostgreSQL's are billed to their own processes).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loopback import loopback_server  # noqa: E402  # after the sys.path fix above
from bench.poll_bench import (  # noqa: E402
    HOSTS,
    CycleFigures,
    cpu_seconds,
    feed_app,
    feed_xml,
    median_figures,
    subscribe_all,
    veille_cycles,
)

CONCURRENCY = 64  # what Pipeline.poll_many is given by the bench cycles


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table: a measured cycle, or why it was not measured."""

    name: str
    wall: float | None = None
    cpu_ms: float | None = None  # per feed (or per request for the floor)
    quiet_cpu_ms: float | None = None  # per 304 poll
    note: str = ""
    rate: float | None = None  # articles per second (the digest rows)

    def render(self) -> str:
        if self.rate is not None:
            return f"{self.name:<28}: {self.rate:.1f} articles/s ({self.note})"
        if self.wall is None or self.cpu_ms is None:
            return f"{self.name:<28}: {self.note}"
        quiet = f", 304 cycle cpu {self.quiet_cpu_ms:.2f} ms per poll" if self.quiet_cpu_ms is not None else ""
        note = f" ({self.note})" if self.note else ""
        return f"{self.name:<28}: cycle wall {self.wall:.2f} s, cpu {self.cpu_ms:.2f} ms per feed{quiet}{note}"


async def aiohttp_floor(urls: list[str]) -> tuple[float, float]:
    """Send every URL one conditional GET (answered 304) with a bare aiohttp session; return wall, CPU."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=100, limit_per_host=4)
    gate = asyncio.Semaphore(CONCURRENCY)
    etags: dict[str, str] = {}
    async with aiohttp.ClientSession(connector=connector) as session:

        async def learn(url: str) -> None:
            async with gate, session.get(url) as response:
                await response.read()
                etags[url] = response.headers["ETag"]

        async def conditional(url: str) -> None:
            async with gate, session.get(url, headers={"If-None-Match": etags[url]}) as response:
                await response.read()
                assert response.status == 304, response.status

        await asyncio.gather(*(learn(u) for u in urls))  # not timed: the validators, as a prior poll gets them
        wall0, cpu0 = time.perf_counter(), cpu_seconds()
        await asyncio.gather(*(conditional(u) for u in urls))
        return time.perf_counter() - wall0, cpu_seconds() - cpu0


def figures_row(name: str, mixed: list[CycleFigures], quiet: list[CycleFigures], repeat: int) -> Row:
    """Return the row of timed cycles: the mixed one's wall and CPU per feed, the 304 one's CPU per poll."""
    cycle, calm = median_figures(mixed), median_figures(quiet)
    return Row(
        name,
        wall=cycle.wall,
        cpu_ms=cycle.cpu * 1000 / max(cycle.due, 1),
        quiet_cpu_ms=calm.cpu * 1000 / max(calm.due, 1),
        note=f"{cycle.not_modified} answered 304, {cycle.new} new entries"
        + (f", medians of {repeat}" if repeat > 1 else ""),
    )


def sqlite_row(urls: list[str], changed: float, port: int, repeat: int) -> Row:
    """Time Veille's cycle on a temporary SQLite file in this one process."""
    mixed, quiet = asyncio.run(veille_cycles(urls, changed, port, repeat=repeat))
    return figures_row("SQLite x 1 process", mixed, quiet, repeat)


@contextmanager
def postgres_server(url: str | None) -> Iterator[tuple[str | None, str]]:
    """Yield (server URL, "") for `url`, else for a throwaway server run meanwhile, else (None, why not)."""
    if url:
        yield url, ""
        return
    from tests.support.postgres import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer.start()
    except PostgresUnavailable as exc:
        yield None, f"not measured: {exc} (or pass --postgres URL)"
        return
    try:
        yield server.url, ""
    finally:
        server.stop()


def postgres_one_row(url: str, urls: list[str], changed: float, port: int, repeat: int) -> Row:
    """Time Veille's cycle in this one process with the store in a new, empty schema of `url`."""
    from tests.support.postgres import fresh_schema

    async def figures() -> tuple[list[CycleFigures], list[CycleFigures]]:
        async with fresh_schema(url) as schema_url:
            return await veille_cycles(urls, changed, port, repeat=repeat, db=schema_url)

    mixed, quiet = asyncio.run(figures())
    return figures_row("PostgreSQL x 1 poller", mixed, quiet, repeat)


def postgres_rows(
    url: str | None, reason: str, pollers: list[int], urls: list[str], changed: float, port: int, repeat: int
) -> list[Row]:
    """PostgreSQL × N pollers: one poller timed in this process, more as real poller processes."""
    rows = []
    for n in pollers:
        name = f"PostgreSQL x {n} poller{'s' if n > 1 else ''}"
        if url is None:
            rows.append(Row(name, note=reason))
        elif n == 1:
            rows.append(postgres_one_row(url, urls, changed, port, repeat))
        else:
            rows.append(postgres_many_row(name, url, n, urls, changed, port))
    return rows


@dataclass(frozen=True, slots=True)
class PollerReport:
    """What one poller process did in the timed cycle, sent back to the bench."""

    polled: int
    new: int
    not_modified: int
    cpu: float
    ended: float  # time.monotonic() when its cycle ended: one clock for every process


def _poller_process(db_url: str, owner: str, steps: Any, reports: Any) -> None:
    """Run one poller process: a warm-up cycle, then the timed one, each when the bench says go."""
    from bot.logs import configure_logging

    configure_logging(level="WARNING")
    asyncio.run(_poller_cycles(db_url, owner, steps, reports))


async def _poller_cycles(db_url: str, owner: str, steps: Any, reports: Any) -> None:
    """Poll what this poller can claim at each of `steps` (events); report each cycle.

    The first cycle primes the feeds (validators, entries) and warms the process as a
    long-running poller is warm (imports, connections); the second is the one timed.
    """
    from datetime import timedelta

    from bot.compose import new_engine, open_store
    from bot.config import load_settings
    from bot.feeds.fetch import make_fetcher
    from bot.feeds.pipeline import Pipeline
    from bot.feeds.poller import Poller
    from bot.store.leases import Leases

    settings = load_settings(VEILLE_DB=db_url, VEILLE_ALLOW_PRIVATE_URLS=True)
    async with open_store(settings) as store, make_fetcher(settings) as fetcher:
        pipeline = Pipeline(store, fetcher, engine=new_engine(), poll_interval=settings.poll_interval)
        poller = Poller(store, pipeline, Leases(store, owner, timedelta(minutes=5)), concurrency=CONCURRENCY)
        reports.put("ready")
        for step in steps:
            await asyncio.to_thread(step.wait)
            cpu0 = cpu_seconds()
            outcomes = await poller.poll_due()
            reports.put(
                PollerReport(
                    polled=len(outcomes),
                    new=sum(o.new_entries for o in outcomes),
                    not_modified=sum(o.status == "not_modified" for o in outcomes),
                    cpu=cpu_seconds() - cpu0,
                    ended=time.monotonic(),
                )
            )
        pipeline.close()


async def _pollers_cycle(name: str, url: str, n: int, urls: list[str], changed: float, port: int) -> Row:
    import multiprocessing

    import httpx

    from bot.compose import open_store
    from bot.config import load_settings
    from tests.support.postgres import fresh_schema

    async with fresh_schema(url) as schema_url:
        settings = load_settings(VEILLE_DB=schema_url, VEILLE_ALLOW_PRIVATE_URLS=True)
        async with open_store(settings) as storage:
            await subscribe_all(storage, urls)  # primed by the pollers' warm-up cycle
        spawn = multiprocessing.get_context("spawn")
        warm, timed, reports = spawn.Event(), spawn.Event(), spawn.Queue()
        workers = [
            spawn.Process(target=_poller_process, args=(schema_url, f"bench-poller-{i}", [warm, timed], reports))
            for i in range(n)
        ]
        for worker in workers:
            worker.start()
        for _ in workers:  # every poller connected and idle before the first cycle
            await asyncio.to_thread(reports.get, True, 120)
        warm.set()
        for _ in workers:
            await asyncio.to_thread(reports.get, True, 600)
        async with httpx.AsyncClient() as client, open_store(settings) as storage:
            await client.post(f"http://{HOSTS[0]}:{port}/mutate", params={"share": changed})
            await storage.feeds.make_all_due()
            start = time.monotonic()
            timed.set()
            done: list[PollerReport] = [await asyncio.to_thread(reports.get, True, 600) for _ in workers]
            fetched = (await client.get(f"http://{HOSTS[0]}:{port}/fetched")).json()
        for worker in workers:
            worker.join(30)
    polled = sum(r.polled for r in done)
    if polled != len(urls) or fetched["most"] != 1:
        return Row(name, note=f"failed: {polled} of {len(urls)} feeds polled, one fetched {fetched['most']} times")
    return Row(
        name,
        wall=max(r.ended for r in done) - start,
        cpu_ms=sum(r.cpu for r in done) * 1000 / polled,
        note=f"{sum(r.not_modified for r in done)} answered 304, {sum(r.new for r in done)} new entries, "
        f"each feed fetched once; per poller {', '.join(str(r.polled) for r in done)} feeds",
    )


def postgres_many_row(name: str, url: str, n: int, urls: list[str], changed: float, port: int) -> Row:
    """Time one cycle of `n` poller processes sharing a primed schema of `url` (see the docstring)."""
    return asyncio.run(_pollers_cycle(name, url, n, urls, changed, port))


def digest_rows(articles: int) -> list[Row]:
    """Digest throughput of the real engine in 1 and in 2 worker processes, after the model load."""
    from bench.digest_rate import digest_rate

    rows = []
    for n in (1, 2):
        if articles <= 0:
            rows.append(Row(f"digests/s, {n} poller{'s' if n > 1 else ''}", note="not measured: --articles 0"))
            continue
        rate = digest_rate(n, articles)
        note = f"{rate.articles} articles in {rate.wall:.2f} s, {n} process{'es' if n > 1 else ''}, {rate.source}"
        rows.append(Row(f"digests/s, {n} poller{'s' if n > 1 else ''}", note=note, rate=rate.per_second))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--changed", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=1, help="time N cycles of each kind, print medians")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL database for the poller rows")
    parser.add_argument("--pollers", default="1,2,4", help="poller counts for the PostgreSQL rows")
    parser.add_argument(
        "--articles", type=int, default=120, help="articles digested for the digests/s rows (0: skip them)"
    )
    args = parser.parse_args()
    pollers = [int(n) for n in args.pollers.split(",") if n.strip()]
    from bot.logs import configure_logging

    configure_logging(level="WARNING")
    with loopback_server(feed_app, args.feeds, args.items, hosts=HOSTS) as port:
        urls = [f"http://{HOSTS[i % len(HOSTS)]}:{port}/feed/{i}.xml" for i in range(args.feeds)]
        size = len(feed_xml(0, 0, args.items))
        print(
            f"{args.feeds} feeds x {args.items} items (~{size // 1024} KB each), {len(HOSTS)} loopback hosts, "
            f"{args.changed:.0%} publish one item per cycle"
        )
        rows = [sqlite_row(urls, args.changed, port, args.repeat)]
        wall, cpu = asyncio.run(aiohttp_floor(urls))
        rows.append(Row("bare aiohttp floor", wall=wall, cpu_ms=cpu * 1000 / len(urls), note="304s only"))
        with postgres_server(args.postgres) as (url, reason):
            rows += postgres_rows(url, reason, pollers, urls, args.changed, port, args.repeat)
        rows += digest_rows(args.articles)
        for row in rows:
            print(row.render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
