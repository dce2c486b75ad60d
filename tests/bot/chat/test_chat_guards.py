"""Chat input guards and secrets: floods, caps, and tokens that never reach a log line."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import structlog

from bot.chat.commands import FloodGuard
from bot.chat.subscribe import MAX_SUBSCRIPTIONS_PER_CHAT
from bot.logs import SecretScrubber, configure_logging
from tests.support.core import Item, rss, running_core
from tests.support.http import FeedServer

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijkl"


def test_flood_guard_warns_once_per_burst_then_stays_silent() -> None:
    now = [0.0]
    guard = FloodGuard(limit=3, window=10.0, clock=lambda: now[0])
    verdicts = [guard.check("telegram", "u1") for _ in range(6)]
    assert verdicts == ["ok", "ok", "ok", "warn", "drop", "drop"]
    assert guard.check("telegram", "u2") == "ok"  # others are not affected
    now[0] = 11.0
    assert guard.check("telegram", "u1") == "ok"  # the window passed


async def test_a_command_flood_gets_one_french_warning_and_is_ignored(tmp_path: Path) -> None:
    async with running_core(tmp_path) as (_, console):
        replies = [await console.command("/aide", user_id="flooder") for _ in range(12)]
    warnings = [r for r in replies if r is not None and "ralentissez" in r.text]
    assert len(warnings) == 1
    assert replies[-1] is None


async def test_an_overlong_argument_is_refused_before_any_work(tmp_path: Path) -> None:
    async with running_core(tmp_path) as (app, console):
        reply = await console.command("/abonner https://exemple.fr/" + "a" * 5000)
        feeds = (await app.storage.gauges.read()).feeds  # every feed, by status
    assert reply is not None and "trop long" in reply.text
    assert sum(feeds.values()) == 0


async def test_a_chat_cannot_pass_the_subscription_cap(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/last.xml", rss([Item("z", "Titre", "Texte")]), content_type="application/rss+xml")
    async with running_core(tmp_path) as (app, console):
        chat = await app.storage.chats.upsert("console", "console")
        for n in range(MAX_SUBSCRIPTIONS_PER_CHAT):
            feed, _ = await app.storage.feeds.add(f"https://exemple{n}.fr/rss")
            await app.storage.chats.subscribe(chat.id, feed.id)
        reply = await console.command(f"/abonner {url}")
        subscriptions = await app.storage.chats.subscriptions(chat.id)
    assert reply is not None and "Limite atteinte" in reply.text
    assert len(subscriptions) == MAX_SUBSCRIPTIONS_PER_CHAT
    assert feed_server.hits("/last.xml") == 0


def test_tokens_are_scrubbed_from_structlog_events_and_stdlib_records() -> None:
    scrubber = SecretScrubber([TOKEN, "discord-secret-token-xyz"])
    event = scrubber(None, "info", {"event": "x", "url": f"https://api.telegram.org/bot{TOKEN}/getMe"})
    assert TOKEN not in event["url"] and "***" in event["url"]
    assert scrubber.scrub("auth discord-secret-token-xyz failed") == "auth *** failed"
    # Shaped like a bot token but not configured: still masked.
    assert "***" in scrubber.scrub("GET /bot987654321:ZZother_token_value_123456789/sendMessage")


def test_configured_logging_never_prints_a_token(capsys) -> None:  # type: ignore[no-untyped-def]  # pytest fixture
    configure_logging(level="INFO", secrets=[TOKEN])
    try:
        structlog.get_logger("t").info("http.request", url=f"https://api.telegram.org/bot{TOKEN}/getMe")
        logging.getLogger("httpx").warning("HTTP Request: POST https://api.telegram.org/bot%s/sendMessage", TOKEN)
        err = capsys.readouterr().err
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers[:] = [logging.StreamHandler(io.StringIO())]
    assert "getMe" in err and "sendMessage" in err
    assert TOKEN not in err


async def test_a_private_address_typed_in_chat_is_refused_in_french_before_any_connection(tmp_path: Path) -> None:
    async with running_core(tmp_path, VEILLE_ALLOW_PRIVATE_URLS=False) as (app, console):
        replies = [await console.command(f"/abonner {url}", user_id=f"u{n}") for n, url in enumerate(SSRF_URLS)]
        feeds = (await app.storage.gauges.read()).feeds  # every feed, by status
    for reply in replies:
        assert reply is not None and "Adresse refusée" in reply.text, reply
    assert sum(feeds.values()) == 0


SSRF_URLS = [
    "http://127.0.0.1/feed.xml",
    "http://2130706433/",
    "http://127.1/",
    "http://0x7f000001/",
    "http://[::ffff:127.0.0.1]/",
    "http://10.0.0.8/rss",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:8080/",
]


def test_the_env_file_with_tokens_is_git_ignored() -> None:
    gitignore = (Path(__file__).resolve().parents[3] / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".env" in gitignore
