"""Fan-out benchmark: how close Veille's Telegram delivery gets to Telegram's flood limits.

Usage (from the repository root):

    .venv/bin/python bench/fanout_bench.py                 # ~1 minute
    .venv/bin/python bench/fanout_bench.py --full-group    # group case at real limits (~4.5 min)

Everything real except the far end: the outbox (`bot.store.sqlite`), the `Dispatcher`, the
`TelegramAdapter` on python-telegram-bot, all sending to the fake Bot API of the tests
(`tests.support.telegram_api`) on 127.0.0.1, which enforces Telegram's limits — 30 messages/s
overall, 1/s per chat, 20/min per group, as sliding windows over arrival times — and answers
429 with `retry_after` to any message that would break them.

Case 1: one digest to each of 1,000 private chats. Theoretical minimum 1,000 / 30 s.
Case 2: 100 digests into one group. At real limits its minimum is ~259 s (20 messages, 1 s
apart, per 60 s window), so by default every time constant of the limits is divided by
`--group-scale` (20): the ratio is what scaling preserves, the elapsed time is not.

Prints elapsed time, theoretical minimum, ratio (minimum / elapsed; 1.0 = exactly at the
limit), 429s received and messages lost or duplicated. Target: ratio ≥ 0.9, zero 429s, zero lost.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from adapters.telegram import TelegramAdapter  # noqa: E402  # after the sys.path fix above
from adapters.telegram_pacing import Limits  # noqa: E402
from bot.delivery.dispatch import Dispatcher  # noqa: E402
from bot.logs import configure_logging  # noqa: E402
from bot.models import Entry  # noqa: E402
from bot.store.sqlite import SqliteStore  # noqa: E402
from digests.model import Actor, Digest, LegalItem  # noqa: E402
from tests.support.handlers import NoCommands  # noqa: E402
from tests.support.telegram_api import TOKEN, FakeBotAPI  # noqa: E402

GROUP_ID = -1001000000001


def invented_digest(number: int) -> Digest:
    """An invented French legal-news digest, typical in size."""
    return Digest(
        title=f"Fraude aux marchés publics n° {number} : le parquet national financier ouvre une enquête",
        url=f"https://actu-juridique.example/articles/{number}",
        published=datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
        source="Actu Juridique (banc d'essai)",
        summary=(
            "Le parquet national financier a ouvert une enquête préliminaire pour favoritisme et "
            "prise illégale d'intérêts visant l'attribution de marchés de travaux par la "
            "communauté d'agglomération. Des perquisitions ont eu lieu mardi."
        ),
        actors=(
            Actor("parquet national financier", "organisation", "parquet/accusation"),
            Actor("communauté d'agglomération", "organisation", "mis en cause"),
        ),
        legal=(LegalItem("infraction", "favoritisme"), LegalItem("procédure", "enquête préliminaire")),
        text="Le PNF enquête sur des marchés publics.",
    )


def minimum_seconds(count: int, limits: Limits, *, group: bool) -> float:
    """Earliest time the last of `count` messages can arrive under the fake's sliding windows."""
    times: list[float] = []
    for k in range(count):
        t = 0.0
        if k >= limits.per_second:
            t = max(t, times[k - limits.per_second] + 1.0)
        if group:
            if k:
                t = max(t, times[k - 1] + limits.chat_interval)
            if k >= limits.group_limit:
                t = max(t, times[k - limits.group_limit] + limits.group_period)
        times.append(t)
    return times[-1] if times else 0.0


async def fill_outbox(storage: SqliteStore, chat_ids: list[str], digests: int) -> None:
    """Subscribe the chats to one feed and store `digests` digests: one delivery per chat each."""
    feed, _ = await storage.feeds.add("https://actu-juridique.example/flux.xml", "Actu Juridique")
    for chat_id in chat_ids:
        chat = await storage.chats.upsert("telegram", chat_id)
        await storage.chats.subscribe(chat.id, feed.id)
    entries = [
        Entry(uid=f"e{n}", url=f"https://actu-juridique.example/articles/{n}", title=f"Article {n}")
        for n in range(digests)
    ]
    for n, entry_id in enumerate(await storage.entries.add(feed.id, entries)):
        await storage.entries.store_digest(entry_id, invented_digest(n))


async def run_case(name: str, chat_ids: list[str], digests: int, limits: Limits, *, group: bool) -> bool:
    """Deliver through the real outbox, dispatcher and adapter; print the figures."""
    expected = len(chat_ids) * digests
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeBotAPI(limits=limits) as api, SqliteStore(Path(tmp) / "bench.db") as storage:
            await fill_outbox(storage, chat_ids, digests)
            adapter = TelegramAdapter(TOKEN, api_url=api.api_url, limits=limits, poll_timeout=1)
            await adapter.start(NoCommands())
            dispatcher = Dispatcher(storage, {"telegram": adapter})
            started = time.monotonic()
            idle = max(0.2, 5.0 * limits.chat_interval)  # the dispatcher's 5 s idle, scaled like the limits
            loop = asyncio.create_task(dispatcher.run_forever(idle_seconds=idle))
            deadline = started + 60 + 3 * expected / min(limits.per_second, 30)
            if group:
                deadline += digests * limits.group_period / limits.group_limit
            while len(api.sent) < expected and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            dispatcher.request_stop()
            await loop
            await adapter.stop()
            pending = await storage.outbox.pending_count()
    elapsed = (api.sent[-1].at - started) if api.sent else float("inf")
    minimum = minimum_seconds(expected, limits, group=group)
    by_rate = expected / (limits.group_limit / limits.group_period if group else limits.per_second)
    counts = Counter((str(m.chat_id), m.text) for m in api.sent)
    duplicates = sum(n - 1 for n in counts.values())
    lost = expected - len(counts)
    too_many = sum(1 for _, code in api.rejected if code == 429)
    ratio = minimum / elapsed if elapsed else 0.0
    print(f"== {name}")
    print(f"   messages delivered   {len(counts)}/{expected} (still queued: {pending})")
    print(f"   elapsed              {elapsed:.2f} s")
    print(f"   theoretical minimum  {minimum:.2f} s (sliding windows; messages / allowed rate = {by_rate:.2f} s)")
    print(f"   ratio                {ratio:.3f}")
    print(f"   429 answers          {too_many}")
    print(f"   lost / duplicated    {lost} / {duplicates}")
    return ratio >= 0.9 and too_many == 0 and lost == 0 and duplicates == 0


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=1000, help="private chats in case 1 (default 1000)")
    parser.add_argument("--group-messages", type=int, default=100, help="digests into one group")
    parser.add_argument("--group-scale", type=float, default=20.0, help="divide the limits' periods by this")
    parser.add_argument("--full-group", action="store_true", help="group case at real limits (~4.5 min)")
    args = parser.parse_args()
    configure_logging(level="WARNING")

    ok = await run_case(
        f"case 1: 1 digest to each of {args.chats} private chats (limits: 30/s overall, 1/s per chat)",
        [str(100_000 + n) for n in range(args.chats)],
        1,
        Limits(),
        group=False,
    )
    scale = 1.0 if args.full_group else args.group_scale
    scaled = Limits(chat_interval=1.0 / scale, group_limit=20, group_period=60.0 / scale)
    label = "real limits" if scale == 1.0 else f"time scaled 1/{scale:g}: 20 per {scaled.group_period:g} s"
    ok &= await run_case(
        f"case 2: {args.group_messages} digests into one group ({label})",
        [str(GROUP_ID)],
        args.group_messages,
        scaled,
        group=True,
    )
    if scale != 1.0:
        real = minimum_seconds(args.group_messages, Limits(), group=True)
        print(f"   (at real limits the minimum for this case is {real:.0f} s; run with --full-group)")
    print("target met" if ok else "target NOT met (ratio >= 0.9, no 429, none lost)")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
