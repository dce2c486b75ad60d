"""Time one polling cycle of many feeds against a naive sequential loop, on loopback only.

    .venv/bin/python bench/poll_bench.py [--feeds 2000] [--items 50] [--changed 0.05]
        [--no-etag 0.0] [--no-naive] [--profile FILE] [--repeat 1]

A server process serves N RSS feeds (50 items, ~30 KB each) spread over 20 loopback hosts
(127.0.0.1-20), each answering 304 to a matching ETag. After a priming cycle, 5 % of the
feeds publish new items; we then time one Veille cycle as a tick runs it (due feeds selected
from SQLite, conditional GET, parse of the changed feeds, entries and poll results stored —
digests are benchmarked apart in digest_bench), then one more cycle where every feed answers
304 (CPU per 304 poll), and the same feeds read by a naive loop: sequential
`feedparser.parse(url)`, which fetches and parses every feed every time. Prints wall and CPU
time of each and the ratio.

`--repeat 5` times five mixed and five 304 cycles after one priming and prints the medians
(each mixed cycle publishes anew). `--no-etag 0.2` makes a share of the feeds ignore
conditional GET (200, same bytes each time); `--no-naive` skips the naive loop (minutes at
10,000 feeds); `--profile FILE` writes a cProfile of the first timed cycle.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import email.utils
import hashlib
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web  # noqa: E402  # after the sys.path fix above

from bench.loopback import loopback_hosts, loopback_server  # noqa: E402

HOSTS = loopback_hosts(20)
FIRST_ITEM = datetime(2026, 11, 1, tzinfo=UTC)

PARAGRAPH = (
    "Le parquet de Paris a ouvert une enquête préliminaire après la fuite de données d'un "
    "opérateur ; la CNIL a été saisie et l'OFAC est chargé des investigations. "
)


def feed_xml(index: int, version: int, items: int) -> bytes:
    """Return feed `index` at `version`: `version` new items on top of the base ones."""
    rows = []
    for n in range(items):
        serial = items + version - n
        # an item keeps its bytes (its date too) when newer ones are published, as in real feeds
        published = email.utils.format_datetime(FIRST_ITEM + timedelta(hours=serial), usegmt=True)
        rows.append(
            f"<item><title>Article {serial} du flux {index} : enquête et sanction</title>"
            f"<link>https://site{index % 20}.example/articles/{index}-{serial}.html</link>"
            f'<guid isPermaLink="false">{index}-{serial}</guid>'
            f"<pubDate>{published}</pubDate>"
            f"<description>{PARAGRAPH * 3}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Flux {index}</title><link>https://site{index % 20}.example/</link>"
        "<description>bench</description>" + "".join(rows) + "</channel></rss>"
    ).encode()


def feed_app(feeds: int, items: int, no_etag: float = 0.0) -> web.Application:
    """Build the feed server: N feeds with ETags, and POST /mutate to publish new items.

    A `no_etag` share of the feeds ignores conditional GET: it answers 200 with its current
    bytes every time, as many real servers do.
    """
    versions = [0] * feeds
    step = max(2, round(1 / no_etag)) if no_etag else 0
    plain = set(range(1, feeds, step)) if step else set()
    cache: dict[tuple[int, int], tuple[bytes, str]] = {}

    def body(index: int) -> tuple[bytes, str]:
        key = (index, versions[index])
        if key not in cache:
            data = feed_xml(index, versions[index], items)
            cache[key] = (data, '"' + hashlib.md5(data).hexdigest() + '"')
        return cache[key]

    async def feed(request: web.Request) -> web.Response:
        index = int(request.match_info["index"])
        data, etag = body(index)
        if index in plain:
            return web.Response(body=data, headers={"Content-Type": "application/rss+xml"})
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=data, headers={"ETag": etag, "Content-Type": "application/rss+xml"})

    async def mutate(request: web.Request) -> web.Response:
        share = float(request.query["share"])
        for index in range(0, feeds, max(1, round(1 / share))):
            versions[index] += 1
        hits.clear()
        return web.Response(text="ok")

    async def fetched(request: web.Request) -> web.Response:
        """Say how often each feed was fetched since the last /mutate (a cycle's duplicates)."""
        return web.json_response({"feeds": len(hits), "most": max(hits.values(), default=0)})

    hits: dict[int, int] = {}

    @web.middleware
    async def count(request: web.Request, handler: Any) -> web.StreamResponse:
        if "index" in request.match_info:
            index = int(request.match_info["index"])
            hits[index] = hits.get(index, 0) + 1
        return await handler(request)

    app = web.Application(middlewares=[count])
    app.router.add_get("/feed/{index}.xml", feed)
    app.router.add_post("/mutate", mutate)
    app.router.add_get("/fetched", fetched)
    return app


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True, slots=True)
class CycleFigures:
    """What one timed Veille cycle did and cost."""

    wall: float
    cpu: float
    select_ms: float
    due: int
    new: int
    not_modified: int
    unchanged: int
    idle_select_ms: float = 0.0  # a tick where no feed is due: what selecting costs alone


async def timed_cycle(storage: Any, pipeline: Any, when: datetime, profile: Any = None) -> CycleFigures:
    """Run one tick as the app does (select due feeds, poll them) and time all of it."""
    if profile is not None:
        profile.enable()
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    feeds = await storage.feeds.due(when)
    select_ms = (time.perf_counter() - wall0) * 1000
    outcomes = await pipeline.poll_many(feeds, concurrency=64)
    wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    if profile is not None:
        profile.disable()
    return CycleFigures(
        wall=wall,
        cpu=cpu,
        select_ms=select_ms,
        due=len(feeds),
        new=sum(o.new_entries for o in outcomes),
        not_modified=sum(o.status == "not_modified" for o in outcomes),
        unchanged=sum(o.status == "unchanged" for o in outcomes),
    )


def median_figures(runs: list[CycleFigures]) -> CycleFigures:
    """Return each figure's median over `runs` (the lower middle one of an even count: a real value)."""
    fields = {f.name: statistics.median_low(getattr(r, f.name) for r in runs) for f in dataclasses.fields(CycleFigures)}
    return CycleFigures(**fields)


async def subscribe_all(storage: Any, urls: list[str]) -> None:
    """Add every feed and subscribe one chat to it, so that every feed is polled."""
    chat = await storage.chats.upsert("console", "bench")
    for url in urls:
        feed, _ = await storage.feeds.add(url)
        await storage.chats.subscribe(chat.id, feed.id)


async def subscribe_and_prime(storage: Any, pipeline: Any, urls: list[str]) -> None:
    """Subscribe one chat to every feed and poll them all once: validators and entries stored."""
    await subscribe_all(storage, urls)
    await pipeline.poll_many(await storage.feeds.polled())


async def veille_cycles(
    urls: list[str], changed: float, port: int, profile: Any = None, repeat: int = 1, db: str | None = None
) -> tuple[list[CycleFigures], list[CycleFigures]]:
    """Prime every feed, then `repeat` times: a cycle where `changed` of them publish, an all-304 one.

    The store is a temporary SQLite file, or the (empty) PostgreSQL database of the URL `db`.
    """
    import httpx

    from bot.compose import new_engine, open_store
    from bot.config import load_settings
    from bot.feeds.fetch import make_fetcher
    from bot.feeds.pipeline import Pipeline

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(VEILLE_DB=db or Path(tmp) / "bench.db", VEILLE_ALLOW_PRIVATE_URLS=True)
        from bot.models import utcnow

        async with open_store(settings) as storage, make_fetcher(settings) as fetcher:
            pipeline = Pipeline(
                storage, fetcher, engine=new_engine(), poll_interval=settings.poll_interval, max_new_entries=50
            )
            await subscribe_and_prime(storage, pipeline, urls)
            idle0 = time.perf_counter()
            assert not await storage.feeds.due(utcnow())
            idle_ms = (time.perf_counter() - idle0) * 1000
            # every feed is due one interval after the cycle before scheduled it
            step = 2 * settings.poll_interval
            mixed, quiet = [], []
            for run in range(repeat):
                async with httpx.AsyncClient() as client:
                    await client.post(f"http://{HOSTS[0]}:{port}/mutate", params={"share": changed})
                cycle = await timed_cycle(storage, pipeline, utcnow() + (2 * run + 1) * step, profile)
                mixed.append(dataclasses.replace(cycle, idle_select_ms=idle_ms))
                quiet.append(await timed_cycle(storage, pipeline, utcnow() + (2 * run + 2) * step))
                profile = None  # the first timed cycle only
            pipeline.close()
    return mixed, quiet


def naive_cycle(urls: list[str]) -> tuple[float, float, int]:
    import feedparser

    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    entries = sum(len(feedparser.parse(url).entries) for url in urls)
    return time.perf_counter() - wall0, cpu_seconds() - cpu0, entries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--changed", type=float, default=0.05)
    parser.add_argument("--no-etag", type=float, default=0.0, help="share of feeds ignoring conditional GET")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive sequential loop")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the timed cycle to FILE")
    parser.add_argument("--repeat", type=int, default=1, help="time N mixed and 304 cycles, print medians")
    args = parser.parse_args()
    from bot.logs import configure_logging

    configure_logging(level="WARNING")
    with loopback_server(feed_app, args.feeds, args.items, args.no_etag, hosts=HOSTS) as port:
        urls = [f"http://{HOSTS[i % len(HOSTS)]}:{port}/feed/{i}.xml" for i in range(args.feeds)]
        size = len(feed_xml(0, 0, args.items))
        print(f"{args.feeds} feeds x {args.items} items (~{size // 1024} KB each), {len(HOSTS)} loopback hosts")
        profile = cProfile.Profile() if args.profile else None
        mixed_runs, quiet_runs = asyncio.run(veille_cycles(urls, args.changed, port, profile, args.repeat))
        figures, quiet = median_figures(mixed_runs), median_figures(quiet_runs)
        if args.repeat > 1:
            each = ", ".join(f"{r.cpu * 1000 / max(r.due, 1):.2f}" for r in mixed_runs)
            print(f"medians of {args.repeat} cycles of each kind (cpu per feed of each mixed cycle: {each} ms)")
        wall, cpu = figures.wall, figures.cpu
        print(
            f"veille cycle : wall {wall:.2f} s, cpu {cpu:.2f} s, {figures.not_modified} answered 304, "
            f"{figures.new} new entries stored"
        )
        if args.no_etag:
            print(f"no ETag      : {figures.unchanged} feeds answered 200 with the bytes they sent last time")
        print(
            f"per feed     : cpu {cpu * 1000 / max(figures.due, 1):.2f} ms; "
            f"due selection {figures.select_ms:.0f} ms for {figures.due} feeds, "
            f"{figures.idle_select_ms:.1f} ms on a tick with none due"
        )
        print(
            f"304 cycle    : wall {quiet.wall:.2f} s, cpu {quiet.cpu * 1000 / max(quiet.due, 1):.2f} ms per poll, "
            f"{quiet.not_modified} answered 304"
        )
        if profile is not None:
            profile.dump_stats(args.profile)
        if args.no_naive:
            return 0
        naive_wall, naive_cpu, entries = naive_cycle(urls)
        print(f"naive loop   : wall {naive_wall:.2f} s, cpu {naive_cpu:.2f} s, {entries} entries parsed")
        print(f"ratio naive/veille: wall x{naive_wall / wall:.1f}, cpu x{naive_cpu / max(cpu, 1e-9):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
