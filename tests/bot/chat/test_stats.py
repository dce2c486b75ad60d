"""/stats: operators only, and figures that match what storage holds and what the process timed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.chat.stats import REFUSAL, RunTimes, StatsCommand, percentile, render
from bot.models import CommandContext
from bot.store.protocols import FailedReason, StatsSnapshot
from tests.support.core import Item, legal_body, rss, running_core
from tests.support.http import FeedServer

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
ITEM = Item("s1", "Fuite de données chez Assurix : enquête du parquet", legal_body("la société Assurix"))


def snapshot(**overrides: object) -> StatsSnapshot:
    values: dict[str, object] = {
        "feeds": {"active": 12, "backing_off": 2, "paused": 1, "gone": 0},
        "chats": {"discord": 2, "telegram": 3, "telegram:inactive": 1},
        "deliveries": {"sent": 40, "pending": 2, "failed": 1},
        "outbox": 2,
        "failures": (FailedReason("Forbidden: bot was blocked by the user", 1, NOW),),
        "digests": 17,
    }
    values.update(overrides)
    return StatsSnapshot(**values)  # type: ignore[arg-type]


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile([3.0], 0.95) == 3.0


def test_the_report_names_every_figure_in_french() -> None:
    times = RunTimes()
    for seconds in (0.5, 0.7, 0.9, 1.1, 4.0):
        times.digest_made(seconds)
    times.cycle_done(NOW, 3.25, 12)
    text = render(snapshot(), times, now=NOW.astimezone(PARIS))
    assert "Statistiques de Veille — 02/12/2026 10:30" in text
    assert "Flux : 12 actifs (dont 2 en erreur, relevés plus espacés) · 1 en pause · 0 disparu" in text
    assert "Discussions : 5 actives (discord 2, telegram 3) · 1 inactive" in text
    assert "Envois du jour : 40 envoyés · 2 en attente · 0 en cours · 1 en échec · 0 abandonnés" in text
    assert "File d'attente : 2 messages" in text
    assert "  • 1 × Forbidden: bot was blocked by the user (dernier à 10:30)" in text
    assert "Résumés du jour : 17 · durée p50 0,90 s, p95 4,00 s (sur les 5 derniers)" in text
    assert "Dernier cycle de relève : 3,25 s pour 12 flux, terminé à 10:30:00" in text


def test_the_report_says_when_nothing_was_timed_yet() -> None:
    text = render(snapshot(failures=(), outbox=1), RunTimes(), now=NOW)
    assert "Échecs du jour : aucun" in text
    assert "File d'attente : 1 message\n" in text
    assert "durée : aucun résumé fait depuis le démarrage" in text
    assert "Dernier cycle de relève : pas encore depuis le démarrage" in text


class FixedStore:
    def __init__(self) -> None:
        self.since: datetime | None = None

    async def snapshot(self, since: datetime) -> StatsSnapshot:
        self.since = since
        return snapshot()


def context(platform: str, user_id: str) -> CommandContext:
    return CommandContext(platform=platform, chat_id="1", user_id=user_id, command="stats")


async def test_only_listed_operators_get_the_figures_counted_from_local_midnight() -> None:
    store = FixedStore()
    command = StatsCommand(store, RunTimes(), {"telegram:42"}, zone=PARIS, clock=lambda: NOW)
    refused = await command(context("telegram", "43"), None)  # type: ignore[arg-type]  # chat unused
    assert refused.text == REFUSAL
    assert store.since is None  # nothing was read for a refused user
    assert (await command(context("discord", "42"), None)).text == REFUSAL  # type: ignore[arg-type]
    answer = await command(context("telegram", "42"), None)  # type: ignore[arg-type]
    assert answer.text.startswith("Statistiques de Veille")
    assert answer.ephemeral
    assert store.since == datetime(2026, 12, 2, 0, 0, tzinfo=PARIS)
    assert store.since.astimezone(UTC) == NOW.replace(hour=0, minute=0) - timedelta(hours=1)


async def test_stats_through_the_console_after_a_real_cycle(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", rss([ITEM]), content_type="application/rss+xml")
    async with running_core(tmp_path, VEILLE_ADMINS="console:console-user, telegram:1") as (app, console):
        assert (await console.command(f"/abonner {url}")) is not None
        await app.settle()  # the first item is digested and sent
        await app.storage.feeds.make_all_due()
        await app.poll_once()
        reply = await console.command("/stats")
        assert reply is not None
        text = reply.text
        assert "Flux : 1 actif (dont 0 en erreur, relevés plus espacés) · 0 en pause · 0 disparu" in text
        assert "Discussions : 1 active (console 1) · 0 inactive" in text
        assert "Envois du jour : 1 envoyés · 0 en attente" in text
        assert "File d'attente : 0 message" in text
        assert "Résumés du jour : 1 · durée p50 " in text and "(sur les 1 derniers)" in text
        assert "Dernier cycle de relève : " in text and " pour 1 flux, terminé à " in text
        refused = await console.command("/stats", user_id="quelqu-un")
        assert refused is not None and refused.text == REFUSAL
