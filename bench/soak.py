"""Soak: many feeds (some hostile), many chats, several cycles; nothing lost, nothing repeated.

    .venv/bin/python bench/soak.py [--feeds 500] [--chats 200] [--cycles 5]

A server process on loopback serves the feeds. 10 % of them turn hostile after the chats
subscribe (HTTP 500, garbage bytes, a gzip bomb, a slow drip, 429 with Retry-After, a
redirect loop); every cycle 20 % of the healthy ones publish a new item. The core runs in
this process with a counting chat platform. Prints deliveries made / expected / lost /
duplicated, peak RSS and RSS growth between the first and the last cycle.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web  # noqa: E402  # after the sys.path fix above

from bench.loopback import loopback_hosts, loopback_server  # noqa: E402

HOSTS = loopback_hosts(10)
FAULTS = ("error500", "garbage", "bomb", "drip", "retry429", "loop")

CITIES = ["Lyon", "Lille", "Nantes", "Rennes", "Brest", "Metz", "Dijon", "Nice", "Caen", "Tours"]
OFFENCES = ["escroquerie en bande organisée", "blanchiment", "accès frauduleux", "extorsion", "recel"]
BODIES = ["l'OFAC", "la gendarmerie (UNCyber)", "la brigade de recherche", "la DGSI", "la police judiciaire"]


SYLLABLES = ["ba", "ce", "di", "fo", "gu", "la", "me", "ni", "po", "ru", "sa", "te", "vi", "zo", "cha", "tri"]


def word(rng: random.Random) -> str:
    """Return an invented word: synthetic stories must not share their vocabulary."""
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def item_xml(feed: int, serial: int) -> str:
    rng = random.Random(feed * 100_003 + serial)
    company = word(rng).capitalize() + word(rng)
    topic = " ".join(word(rng) for _ in range(14))
    city = rng.choice(CITIES)
    offence = rng.choice(OFFENCES)
    body = (
        f"<p>{topic.capitalize()}.</p><p>Le parquet de {city} a ouvert une enquête visant {company} pour {offence}. "
        f"Les investigations sont confiées à {rng.choice(BODIES)}, selon une source judiciaire.</p>"
        f"<p>Le dirigeant de {company}, âgé de {rng.randint(25, 70)} ans, a été placé en garde à vue "
        f"le {rng.randint(1, 28)} novembre. Il encourt {rng.randint(2, 10)} ans d'emprisonnement et "
        f"{rng.randint(1, 9)}00 000 euros d'amende. Le préjudice est estimé à {rng.randint(1, 90)} millions "
        "d'euros par les enquêteurs, qui ont saisi plusieurs comptes bancaires et des cryptoactifs.</p>"
        f"<p>La société {company} conteste les faits et annonce un recours. Une audience est prévue "
        f"en {rng.choice(['janvier', 'mars', 'juin'])} devant le tribunal correctionnel de {city}.</p>"
    )
    return (
        f"<item><title>{company} : {word(rng)} {word(rng)} {word(rng)}, enquête pour {offence}</title>"
        f"<link>https://site{feed}.example/{serial}</link><guid>{feed}-{serial}</guid>"
        f"<pubDate>Mon, 23 Nov 2026 10:{serial % 60:02d}:00 GMT</pubDate>"
        f"<description><![CDATA[{body}]]></description></item>"
    )


def feed_app(feeds: int) -> web.Application:
    """Build the feed server; POST /cycle publishes items and turns hostile feeds bad."""
    newest = [1] * feeds
    hostile = {i: FAULTS[i % len(FAULTS)] for i in range(0, feeds, 10)}
    state = {"bad": False}

    async def feed(request: web.Request) -> web.StreamResponse:
        index = int(request.match_info["index"])
        fault = hostile.get(index) if state["bad"] else None
        if fault == "error500":
            return web.Response(status=500, text="boom")
        if fault == "garbage":
            return web.Response(
                body=bytes(random.getrandbits(8) for _ in range(4096)), content_type="application/rss+xml"
            )
        if fault == "bomb":
            return web.Response(body=gzip.compress(b"\0" * 50_000_000, 1), headers={"Content-Encoding": "gzip"})
        if fault == "retry429":
            return web.Response(status=429, headers={"Retry-After": "3600"})
        if fault == "loop":
            raise web.HTTPFound(f"/feed/{index}.xml")
        if fault == "drip":
            response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
            await response.prepare(request)
            for _ in range(60):
                await response.write(b" ")
                await asyncio.sleep(1)
            return response
        items = "".join(item_xml(index, s) for s in range(newest[index], max(0, newest[index] - 5), -1))
        xml = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Flux {index}</title>{items}</channel></rss>'
        return web.Response(text=xml, content_type="application/rss+xml")

    async def cycle(request: web.Request) -> web.Response:
        state["bad"] = True
        rng = random.Random(int(request.query["seed"]))
        published = [i for i in range(feeds) if i not in hostile and rng.random() < 0.2]
        for index in published:
            newest[index] += 1
        return web.json_response(published)

    app = web.Application()
    app.router.add_get("/feed/{index}.xml", feed)
    app.router.add_post("/cycle", cycle)
    return app


class CountingChat:
    """A chat platform that counts what it is asked to send, per (chat, article)."""

    platform = "console"

    def __init__(self) -> None:
        self.sent: Counter[tuple[str, str]] = Counter()

    async def start(self, handler: object) -> None:
        """Nothing to connect."""

    async def stop(self) -> None:
        """Nothing to close."""

    async def send_digest(self, chat_id: str, digest: object, *, note: str | None = None) -> None:
        """Count one delivery."""
        self.sent[(chat_id, getattr(digest, "url", ""))] += 1

    async def send_reply(self, chat_id: str, reply: object) -> None:
        """Replies (notices) are not deliveries."""


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def soak(feeds: int, chats: int, cycles: int, port: int) -> None:
    import httpx

    from bot.compose import build
    from bot.config import load_settings
    from bot.store.sqlite.bench import digests_in_shared_stories, entries_left

    rng = random.Random(7)
    urls = [f"http://{HOSTS[i % len(HOSTS)]}:{port}/feed/{i}.xml" for i in range(feeds)]
    subscribers: dict[int, list[str]] = {i: [] for i in range(feeds)}
    newest = [1] * feeds  # mirrors the server's newest serial per feed
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            VEILLE_DB=Path(tmp) / "soak.db",
            VEILLE_ALLOW_PRIVATE_URLS=True,
            VEILLE_FETCH_TIMEOUT=5,
            VEILLE_MAX_BODY_BYTES=2_000_000,
        )
        chat_platform = CountingChat()
        async with build(settings, [chat_platform]) as app, httpx.AsyncClient() as client:
            for n in range(chats):
                chat = await app.storage.chats.upsert("console", f"chat{n}")
                for index in rng.sample(range(feeds), 5):
                    await app.subscriptions.subscribe(chat, urls[index])
                    subscribers[index].append(chat.external_id)
            await app.settle()
            chat_platform.sent.clear()
            expected: Counter[tuple[str, str]] = Counter()
            rss_after: list[float] = []
            for cycle in range(cycles):
                published = (await client.post(f"http://{HOSTS[0]}:{port}/cycle", params={"seed": cycle})).json()
                for index in published:
                    newest[index] += 1
                    for chat_id in subscribers[index]:
                        expected[(chat_id, f"https://site{index}.example/{newest[index]}")] += 1
                await app.storage.feeds.make_all_due()
                started = time.perf_counter()
                outcomes = await app.poll_once()
                await app.settle()
                errors = sum(o.status in ("error", "paused", "gone") for o in outcomes)
                rss_after.append(rss_mb())
                print(
                    f"cycle {cycle + 1}: {len(outcomes)} feeds polled, {len(published)} published, "
                    f"{errors} feed errors, {time.perf_counter() - started:.1f} s, RSS {rss_after[-1]:.0f} MB",
                    flush=True,
                )
            integrity = await app.storage.integrity_ok()
            failed_entries = await entries_left(app.storage)
            stories = await digests_in_shared_stories(app.storage)
    made = sum(chat_platform.sent.values())
    lost = sum(1 for key in expected if chat_platform.sent[key] == 0)
    duplicated = sum(count - 1 for count in chat_platform.sent.values() if count > 1)
    unexpected = sum(1 for key in chat_platform.sent if key not in expected)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    growth = (rss_after[-1] - rss_after[0]) / rss_after[0] * 100 if len(rss_after) > 1 else 0.0
    print(
        f"deliveries made {made}, expected {sum(expected.values())}, lost {lost}, duplicated {duplicated}, "
        f"unexpected {unexpected}; integrity {'ok' if integrity else 'FAILED'}"
    )
    print(
        f"entries not digested {failed_entries}; "
        f"digests merged into another feed's story {stories}"
    )
    print(f"peak RSS {peak:.0f} MB; RSS growth first→last cycle {growth:+.1f} %")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--cycles", type=int, default=5)
    args = parser.parse_args()
    from bot.logs import configure_logging

    configure_logging(level="ERROR")
    with loopback_server(feed_app, args.feeds, hosts=HOSTS) as port:
        asyncio.run(soak(args.feeds, args.chats, args.cycles, port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
