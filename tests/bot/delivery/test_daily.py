"""Daily digests: cron jobs at the chat's local time (DST included), restart, catch-up, content."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.job import Job

from adapters.console import ConsoleAdapter
from bot.app import Veille
from bot.chat.commands import FloodGuard
from bot.delivery.daily import REPLY_CHARS, DailyDigests, parse_time
from bot.errors import InputError
from bot.models import ChatRecord, Reply
from tests.support.core import running_core
from tests.support.newsroom import add_feed, make_digest, publish, subscribe
from tests.support.sqlite_rows import delivery_rows

Core = tuple[Veille, ConsoleAdapter]
PARIS = ZoneInfo("Europe/Paris")


async def ask(console: ConsoleAdapter, line: str) -> Reply:
    reply = await console.command(line)
    assert reply is not None
    return reply


def daily_job(app: Veille, chat: ChatRecord) -> Job:
    job = app.scheduler.get_job(f"daily:{chat.id}")
    assert job is not None
    return job


def fire_times(job: Job, start: datetime, count: int) -> list[datetime]:
    """Ask the job's own trigger for its next fire times, as the scheduler's clock would."""
    times, now = [], start
    for _ in range(count):
        fire = job.trigger.get_next_fire_time(None, now)
        times.append(fire.astimezone(UTC))
        now = fire + timedelta(seconds=1)
    return times


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_time_parser_accepts_french_ways_of_writing_an_hour() -> None:
    assert [parse_time(t) for t in ("8h", "08:30", "7h05", "23:59", "0h")] == [
        "08:00",
        "08:30",
        "07:05",
        "23:59",
        "00:00",
    ]
    with pytest.raises(InputError):
        parse_time("25:00")


async def test_daily_job_fires_at_local_time_across_both_dst_changes(core: Core, chat: ChatRecord) -> None:
    app, console = core
    assert "08:00 (Europe/Paris)" in (await ask(console, "/quotidien 08:00")).text
    job = daily_job(app, chat)
    # Europe/Paris springs forward on Sunday 29 March 2026 and falls back on Sunday 25 October.
    assert fire_times(job, utc(2026, 3, 27, 12), 3) == [
        utc(2026, 3, 28, 7),
        utc(2026, 3, 29, 6),
        utc(2026, 3, 30, 6),
    ]
    assert fire_times(job, utc(2026, 10, 23, 12), 3) == [
        utc(2026, 10, 24, 6),
        utc(2026, 10, 25, 7),
        utc(2026, 10, 26, 7),
    ]
    await ask(console, "/fuseau America/Martinique")  # no DST there: UTC-4 all year
    assert fire_times(daily_job(app, chat), utc(2026, 3, 28, 0), 2) == [
        utc(2026, 3, 28, 12),
        utc(2026, 3, 29, 12),
    ]


async def test_the_job_sends_the_digest_once_when_it_fires(
    core: Core, chat: ChatRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, console = core
    await ask(console, "/mode quotidien")
    job = daily_job(app, chat)
    now = datetime.now(UTC)
    fire = job.trigger.get_next_fire_time(None, now)
    monkeypatch.setattr("bot.delivery.daily.utcnow", lambda: fire.astimezone(UTC) + timedelta(seconds=2))
    before = len(console.messages)
    await job.func(*job.args)  # the scheduler's clock reached the fire time
    await job.func(*job.args)  # a duplicate run of the same occurrence sends nothing
    sent = console.messages[before:]
    assert len(sent) == 1 and sent[0].text.startswith("Digest quotidien du")


async def test_restart_rebuilds_jobs_from_the_database(tmp_path: Path) -> None:
    async with running_core(tmp_path) as (app, console):
        app.commands.flood = FloodGuard(limit=1000)
        await ask(console, "/quotidien 07:45")
        await ask(console, "/fuseau Indian/Reunion")
        await console.command("/quotidien 7h45", user_id="other")
    async with running_core(tmp_path) as (app, console):
        chat = await app.storage.chats.upsert("console", "console")
        job = daily_job(app, chat)
        assert str(job.trigger.timezone) == "Indian/Reunion"
        assert fire_times(job, utc(2026, 5, 1, 0), 1) == [utc(2026, 5, 1, 3, 45)]
        assert len(app.scheduler.get_jobs()) == 1
        await ask(console, "/quotidien off")
        assert app.scheduler.get_jobs() == []
    async with running_core(tmp_path) as (app, _console):
        assert app.scheduler.get_jobs() == []


async def test_a_days_digest_is_queued_once_per_chat_and_local_date_whatever_the_state_says(
    core: Core, chat: ChatRecord
) -> None:
    app, console = core
    await ask(console, "/mode quotidien")
    job = daily_job(app, chat)
    for _ in range(2):  # each time the occurrence looks missed (state rewound, time zone moved…)
        await app.storage.daily.mark_due(chat.id, datetime.now(UTC) - timedelta(days=2))
        await job.func(*job.args)
    daily = [m for m in console.messages if m.text.startswith("Digest quotidien du")]
    assert len(daily) == 1
    assert [(r.kind, r.state) for r in await delivery_rows(app.storage)] == [("daily", "sent")]


@pytest.mark.parametrize(("late", "sent"), [(timedelta(hours=2), True), (timedelta(hours=8), False)])
async def test_a_missed_digest_is_sent_at_start_only_when_less_than_6_hours_late(
    tmp_path: Path, late: timedelta, sent: bool
) -> None:
    due = (datetime.now(PARIS) - late).replace(second=0, microsecond=0)
    async with running_core(tmp_path) as (app, console):
        await ask(console, f"/quotidien {due:%H:%M}")
        chat = await app.storage.chats.upsert("console", "console")
        # Pretend the last digest handled was the day before: the one at `due` was missed.
        await app.storage.daily.mark_due(chat.id, due - timedelta(days=1))
    async with running_core(tmp_path) as (app, console):
        daily = [m for m in console.messages if m.text.startswith("Digest quotidien du")]
        assert bool(daily) is sent
        assert await app.storage.daily.last_due(chat.id) == due.astimezone(UTC)


async def test_daily_digest_merges_a_story_told_by_three_feeds(core: Core, chat: ChatRecord) -> None:
    app, console = core
    feeds = [await add_feed(app, name) for name in ("journal", "actu", "depeche")]
    await subscribe(app, chat, *feeds)
    await ask(console, "/mode quotidien")
    tellings = [
        ("La CNIL inflige une amende de 5 millions d'euros à Mutualis", "Le Journal du Droit"),
        ("Fuite de données : Mutualis sanctionnée à hauteur de 5 M€ par la CNIL", "Actu Juridique"),
        ("Mutualis condamnée à 5 millions d'euros d'amende par la CNIL", "Dépêche Légale"),
    ]
    for feed, (title, source) in zip(feeds, tellings, strict=True):
        summary = "La mutuelle Mutualis est sanctionnée après la fuite des données de santé de ses adhérents."
        digest = make_digest(
            title, summary, source=source, actors=[("CNIL",), ("Mutualis",)], legal=[("peine", "amende")]
        )
        await publish(app, feed, digest)
    await publish(app, feeds[1], make_digest("Le Conseil d'État suspend un arrêté", source="Actu Juridique"))
    assert await app.storage.outbox.pending_count() == 0  # quotidien: nothing instant
    daily = DailyDigests(app.storage, app.storage.daily, app.scheduler, _no_send, max_items=10)
    (reply,) = await daily.build(chat, datetime.now(UTC) + timedelta(minutes=1))
    assert len(reply.items) == 2
    first = reply.items[0]  # the sentence (legal weight) and three outlets rank it first
    assert "Sources : Le Journal du Droit, Actu Juridique, Dépêche Légale" in first.detail
    assert "Mutualis" in first.title


async def test_long_daily_digests_split_across_replies_without_cutting_items(core: Core, chat: ChatRecord) -> None:
    app, _console = core
    feed = await add_feed(app, "journal")
    await subscribe(app, chat, feed)
    subjects = ["escroquerie", "corruption", "blanchiment", "harcèlement", "meurtre", "incendie", "fraude"]
    for n, subject in enumerate(subjects * 2):
        long_summary = f"Affaire {n} de {subject} : " + " ".join(f"piece{n}x{k}" for k in range(60))
        await publish(app, feed, make_digest(f"Dossier {n} : {subject} à Lyon n° {n}", long_summary))
    daily = DailyDigests(app.storage, app.storage.daily, app.scheduler, _no_send, max_items=12)
    replies = await daily.build(chat, datetime.now(UTC) + timedelta(minutes=1))
    assert len(replies) > 1
    assert sum(len(r.items) for r in replies) == 12
    for reply in replies:
        assert sum(len(i.title) + len(i.url) + len(i.detail) for i in reply.items) <= REPLY_CHARS
        assert all(i.detail.endswith("…") for i in reply.items)  # each summary shortened, item whole
    assert replies[0].text.endswith(f"(1/{len(replies)}) :")


async def test_mode_and_timezone_commands_answer_in_french(core: Core, chat: ChatRecord) -> None:
    app, console = core
    assert "Mode actuel : instant" in (await ask(console, "/mode")).text
    assert "Modes possibles" in (await ask(console, "/mode parfois")).text
    assert "Fuseau inconnu" in (await ask(console, "/fuseau Mars/Olympus")).text
    assert "Heure non reconnue" in (await ask(console, "/quotidien midi")).text
    await ask(console, "/mode both")
    assert app.scheduler.get_job(f"daily:{chat.id}") is not None
    await ask(console, "/mode instant")
    assert app.scheduler.get_job(f"daily:{chat.id}") is None


async def _no_send() -> None:
    raise AssertionError("not sent in this test")


async def test_mode_agrees_with_quotidien_off_and_names_both_in_french(core: Core, chat: ChatRecord) -> None:
    app, console = core
    await ask(console, "/mode both")
    assert "Mode actuel : les deux" in (await ask(console, "/mode")).text
    await ask(console, "/quotidien off")
    assert "Mode actuel : instant" in (await ask(console, "/mode")).text
    stored = await app.storage.chats.by_id(chat.id)
    assert stored is not None and stored.mode == "instant"
    await ask(console, "/mode quotidien")
    await ask(console, "/quotidien off")
    assert "Mode actuel : instant" in (await ask(console, "/mode")).text


async def test_daily_digest_dates_the_first_of_a_month_as_1er(core: Core, chat: ChatRecord) -> None:
    app, _console = core
    daily = DailyDigests(app.storage, app.storage.daily, app.scheduler, _no_send)
    (reply,) = await daily.build(chat, datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    assert reply.text.startswith("Digest quotidien du 1er décembre 2026")
