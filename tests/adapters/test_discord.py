"""The Discord adapter against a fake Discord on 127.0.0.1, driven by the real discord.py client.

Every test runs discord.py for real (REST login, gateway HELLO/IDENTIFY/READY, interactions)
against `tests.support.discord_fake.FakeDiscord`; only the far end is fake.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord import ChannelPacer, DiscordAdapter
from adapters.discord_render import digest_message
from bot.app import Veille
from bot.chat.commands import CommandSpec
from bot.compose import build
from bot.errors import ChatGoneError, ConfigError, RejectedError, SendError
from bot.models import Button, CommandContext, Entry, Reply, ReplyItem
from digests.model import Actor, Digest, LegalItem
from tests.support import sqlite_rows
from tests.support.core import Item, legal_body, make_settings, rss
from tests.support.discord_fake import CHANNEL_ID, GUILD_ID, MEMBER_ID, OWNER_ID, TOKEN, FakeDiscord
from tests.support.http import FeedServer

EPHEMERAL = 64

STORY = Item(
    "cx-1",
    "Cyberattaque chez Hospitalix : le parquet de Lyon ouvre une enquête",
    legal_body("le groupe hospitalier Hospitalix"),
)
OLDER = Item(
    "cx-0",
    "Données de santé : la CNIL met en demeure Medicalix",
    legal_body("la société Medicalix"),
    date="Sun, 22 Nov 2026 09:00:00 GMT",
)


def sample_digest(**changes: Any) -> Digest:
    """An invented digest, as the engine would make it."""
    fields: dict[str, Any] = {
        "title": "Rançongiciel : la mairie de Villeneuve porte plainte @everyone",
        "url": "https://actu-juridique.example/articles/villeneuve",
        "published": datetime(2026, 3, 7, 9, 30, tzinfo=UTC),
        "source": "Actu Juridique (test)",
        "summary": "La mairie de Villeneuve a porté plainte après une attaque par rançongiciel <@&123>.",
        "actors": (
            Actor("mairie de Villeneuve", "organisation", "victime"),
            Actor("parquet de Paris", "organisation", "parquet/accusation"),
        ),
        "legal": (
            LegalItem("infraction", "extorsion en bande organisée"),
            LegalItem("procédure", "enquête préliminaire"),
        ),
        "text": "La mairie de Villeneuve a porté plainte.",
    }
    fields.update(changes)
    return Digest(**fields)


def adapter_for(fake: FakeDiscord, **options: Any) -> DiscordAdapter:
    return DiscordAdapter(
        TOKEN,
        api_url=fake.api_url,
        gateway_url=fake.gateway_url,
        guild_ready_timeout=0.05,
        ready_timeout=10.0,
        **options,
    )


class SlowHandler:
    """A core stand-in whose one command takes longer than Discord's 3-second answer window."""

    specs = [CommandSpec("lent", "slow", "Commande lente", "Slow command", admin_only=True)]

    def canonical(self, name: str) -> str:
        return "lent" if name in ("lent", "slow") else name

    async def __call__(self, ctx: CommandContext) -> Reply | None:
        await asyncio.sleep(0.3)
        return Reply(f"Fini pour {ctx.chat_title} (admin : {ctx.is_admin}).", ephemeral=True)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    before = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    async with FakeDiscord() as server:
        yield server
    assert (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY) == before, "endpoints not restored"


@pytest.fixture
async def running(tmp_path: Path, fake: FakeDiscord) -> AsyncIterator[tuple[Veille, DiscordAdapter]]:
    """The real core with the Discord adapter connected to the fake."""
    adapter = adapter_for(fake)
    async with build(make_settings(tmp_path), [adapter]) as app:
        yield app, adapter


async def test_start_syncs_french_commands_with_english_localizations(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord
) -> None:
    scope, commands = fake.syncs[-1]
    assert scope == "global"
    by_name = {c["name"]: c for c in commands}
    assert {"aide", "abonner", "desabonner", "abonnements", "reprendre"} <= set(by_name)
    subscribe = by_name["abonner"]
    assert subscribe["name_localizations"] == {"en-US": "subscribe", "en-GB": "subscribe"}
    assert subscribe["description"].startswith("S'abonner")
    assert subscribe["description_localizations"]["en-US"].startswith("Subscribe")
    assert int(subscribe["default_member_permissions"]) & (1 << 4)  # Manage Channels
    assert by_name["aide"].get("default_member_permissions") is None
    [url_option] = subscribe["options"]
    assert url_option["name"] == "url" and url_option["required"] is True and url_option["type"] == 3
    assert url_option["description_localizations"]["en-US"] == "Feed or site address"
    [feed_option] = by_name["desabonner"]["options"]
    assert feed_option["autocomplete"] is True
    assert fake.identifies and fake.identifies[0]["intents"] & (1 << 0)  # GUILDS only, no privileged intent
    assert fake.identifies[0]["intents"] & ((1 << 1) | (1 << 8) | (1 << 15)) == 0


async def test_refused_token_is_a_config_error_and_restores_the_endpoints(fake: FakeDiscord) -> None:
    adapter = DiscordAdapter("not-the-token", api_url=fake.api_url, gateway_url=fake.gateway_url)
    with pytest.raises(ConfigError, match="DISCORD_BOT_TOKEN"):
        await adapter.start(SlowHandler())
    assert adapter.client is None and not fake.identifies


async def test_guild_id_syncs_the_commands_to_that_guild_only(tmp_path: Path, fake: FakeDiscord) -> None:
    adapter = adapter_for(fake, guild_id=GUILD_ID)
    async with build(make_settings(tmp_path), [adapter]):
        pass
    assert [scope for scope, _ in fake.syncs] == [f"guild:{GUILD_ID}"]
    assert "abonner" in {c["name"] for c in fake.syncs[0][1]}


async def test_subscribe_answers_ephemerally_then_posts_the_digest_as_an_embed_without_mentions(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord, feed_server: FeedServer
) -> None:
    app, _ = running
    url = feed_server.set("/rss.xml", rss([STORY, OLDER]), content_type="application/rss+xml")
    interaction = await fake.slash("abonner", {"url": url})
    answer = await fake.wait_for_callback(interaction)
    assert answer["type"] == 4
    assert answer["data"]["flags"] & EPHEMERAL
    assert answer["data"]["content"].startswith("Abonnement ajouté")
    assert answer["data"]["allowed_mentions"]["parse"] == []

    await app.settle()
    [message] = await fake.wait_for_messages(CHANNEL_ID)
    assert message["allowed_mentions"]["parse"] == []
    assert not message["allowed_mentions"].get("users") and not message["allowed_mentions"].get("roles")
    [embed] = message["embeds"]
    assert embed["title"] == STORY.title
    assert embed["url"] == feed_server.url("/articles/cx-1.html")
    assert embed["description"]
    assert [f["name"] for f in embed["fields"]] == ["Acteurs", "Enjeux juridiques"]
    assert "2026" in embed["footer"]["text"]
    assert isinstance(embed["color"], int)


async def test_invalid_url_gets_a_short_french_ephemeral_explanation_and_changes_nothing(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord
) -> None:
    app, _ = running
    answer = await fake.wait_for_callback(await fake.slash("abonner", {"url": "ftp://exemple.fr/flux.xml"}))
    assert answer["data"]["flags"] & EPHEMERAL
    assert "adresse" in answer["data"]["content"].lower()
    chat = await app.storage.chats.get("discord", str(CHANNEL_ID))
    assert chat is None or await app.storage.chats.subscriptions(chat.id) == []


async def test_autocomplete_offers_the_channels_feeds(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord, feed_server: FeedServer
) -> None:
    url = feed_server.set("/rss.xml", rss([STORY], title="Droit & Cyber"), content_type="application/rss+xml")
    await fake.wait_for_callback(await fake.slash("abonner", {"url": url}))
    answer = await fake.wait_for_callback(await fake.autocomplete("desabonner", "flux", "cyber"))
    assert answer["type"] == 8
    assert answer["data"]["choices"] == [{"name": "1. Droit & Cyber", "value": "1"}]
    nothing = await fake.wait_for_callback(await fake.autocomplete("desabonner", "flux", "introuvable"))
    assert nothing["data"]["choices"] == []


async def test_member_without_manage_permission_is_refused(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord, feed_server: FeedServer
) -> None:
    app, _ = running
    url = feed_server.set("/rss.xml", rss([STORY]), content_type="application/rss+xml")
    answer = await fake.wait_for_callback(await fake.slash("abonner", {"url": url}, user_id=MEMBER_ID))
    assert answer["data"]["flags"] & EPHEMERAL
    assert "administrateurs" in answer["data"]["content"]
    assert feed_server.hits("/rss.xml") == 0
    chat = await app.storage.chats.get("discord", str(CHANNEL_ID))
    assert chat is None or await app.storage.chats.subscriptions(chat.id) == []
    # The server owner (all permissions) may.
    allowed = await fake.wait_for_callback(await fake.slash("abonner", {"url": url}, user_id=OWNER_ID))
    assert allowed["data"]["content"].startswith("Abonnement ajouté")


async def test_list_buttons_route_their_command_back_to_the_core(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord, feed_server: FeedServer
) -> None:
    app, _ = running
    url = feed_server.set("/rss.xml", rss([STORY]), content_type="application/rss+xml")
    await fake.wait_for_callback(await fake.slash("abonner", {"url": url}))
    listing = await fake.wait_for_callback(await fake.slash("abonnements"))
    [row] = listing["data"]["components"]
    [button] = row["components"]
    assert button["custom_id"] == "veille:desabonner 1"
    assert listing["data"]["embeds"][0]["description"].startswith("[1. ")
    message = fake.message(CHANNEL_ID, listing["data"])
    answer = await fake.wait_for_callback(await fake.click(message, button["custom_id"]))
    assert answer["data"]["content"].startswith("Désabonné")
    chat = await app.storage.chats.get("discord", str(CHANNEL_ID))
    assert chat is not None and await app.storage.chats.subscriptions(chat.id) == []


async def queue_digest(app: Veille, digest: Digest) -> int:
    """Subscribe the fake channel to an invented feed and queue one digest for it; return the chat id."""
    chat = await app.storage.chats.upsert("discord", str(CHANNEL_ID), "#veille-juridique")
    feed, _ = await app.storage.feeds.add("https://actu-juridique.example/rss.xml", "Actu Juridique")
    await app.storage.chats.subscribe(chat.id, feed.id)
    [entry_id] = await app.storage.entries.add(feed.id, [Entry(uid="v1", url=digest.url, title=digest.title)])
    await app.storage.entries.store_digest(entry_id, digest)
    return chat.id


async def test_rate_limited_message_is_posted_once_after_the_wait(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord
) -> None:
    app, _ = running
    await queue_digest(app, sample_digest())
    fake.fail_next_message(CHANNEL_ID, status=429, retry_after=0.3)
    started = asyncio.get_running_loop().time()
    assert await app.dispatcher.run_once() == 1
    assert asyncio.get_running_loop().time() - started >= 0.3
    assert fake.attempts[CHANNEL_ID] == 2
    assert len(fake.messages[CHANNEL_ID]) == 1
    assert await app.storage.outbox.pending_count() == 0


async def test_forbidden_channel_goes_inactive_and_the_owner_is_told_once(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord
) -> None:
    app, adapter = running
    chat_id = await queue_digest(app, sample_digest())
    fake.fail_next_message(CHANNEL_ID, status=403, times=2)
    assert await app.dispatcher.run_once() == 0
    chat = await app.storage.chats.by_id(chat_id)
    assert chat is not None and chat.active is False
    with pytest.raises(ChatGoneError):
        await adapter.send_digest(str(CHANNEL_ID), sample_digest())
    owner_dms = [cid for cid, user in fake.dm_channels.items() if user == OWNER_ID]
    told = [m for cid in owner_dms for m in fake.messages[cid]]
    assert len(told) == 1
    assert "Veille ne peut plus publier dans #veille-juridique" in told[0]["content"]
    assert told[0]["allowed_mentions"]["parse"] == []


async def test_deleted_channel_is_reported_unreachable(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord
) -> None:
    app, adapter = running
    chat_id = await queue_digest(app, sample_digest())
    await fake.dispatch("CHANNEL_DELETE", fake.channel(CHANNEL_ID))
    async with asyncio.timeout(5):
        while (chat := await app.storage.chats.by_id(chat_id)) is not None and chat.active:
            await asyncio.sleep(0.02)
    fake.fail_next_message(CHANNEL_ID, status=404)
    with pytest.raises(ChatGoneError):
        await adapter.send_digest(str(CHANNEL_ID), sample_digest())


async def test_slow_command_is_deferred_then_answered_by_follow_up(
    fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("adapters.discord.DEFER_AFTER", 0.05)
    adapter = adapter_for(fake)
    await adapter.start(SlowHandler())
    try:
        answer = await fake.wait_for_callback(await fake.slash("lent"))
        assert answer["type"] == 5 and answer["data"]["flags"] & EPHEMERAL
        [follow_up] = await fake.wait_until(lambda: fake.followups)
        assert follow_up["content"] == "Fini pour Cabinet Durand & Associés #veille-juridique (admin : True)."
        assert follow_up["flags"] & EPHEMERAL
    finally:
        await adapter.stop()
        await adapter.stop()  # idempotent


async def test_direct_messages_are_private_chats_without_admin_check(fake: FakeDiscord) -> None:
    adapter = adapter_for(fake)
    await adapter.start(SlowHandler())
    try:
        interaction = await fake.slash("lent", in_guild=False, channel_id=940000000000000001)
        answer = await fake.wait_for_callback(interaction)
        assert answer["data"]["content"] == "Fini pour Message privé (admin : None)."
    finally:
        await adapter.stop()


def test_digest_embed_stays_within_discord_limits() -> None:
    huge = sample_digest(
        title="Titre " * 100,
        summary="Résumé très long. " * 800,
        actors=tuple(Actor(f"Acteur numéro {i} " + "x" * 40, "organisation", "autre") for i in range(80)),
        legal=tuple(LegalItem("infraction", f"infraction {i} " + "y" * 60) for i in range(80)),
        source="Source " * 400,
    )
    rendered = digest_message(huge, note="Alerte " * 500)
    embed = rendered.embed
    assert embed is not None
    assert len(rendered.content) <= 2000
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert all(len(f.value or "") <= 1024 for f in embed.fields)
    assert len(embed.footer.text or "") <= 2048
    assert len(embed) <= 6000
    assert embed.fields[0].value is not None and embed.fields[0].value.endswith("autre(s)")


def test_feed_text_can_neither_format_nor_mention() -> None:
    role = "<@&123456789012345678>"
    hostile = sample_digest(title="**Alerte** @everyone", summary=f"Voir {role} et @here _vite_")
    rendered = digest_message(hostile)
    embed = rendered.embed
    assert embed is not None
    assert embed.title == "\\*\\*Alerte\\*\\* @\u200beveryone"
    assert role not in (embed.description or "") and "@here" not in (embed.description or "")
    assert "\\_vite\\_" in (embed.description or "")


def test_digest_colour_follows_its_topic() -> None:
    cyber = digest_message(sample_digest()).embed
    plain = digest_message(sample_digest(title="Nomination", summary="Un juge est nommé.", legal=())).embed
    assert cyber is not None and plain is not None
    assert cyber.colour is not None and plain.colour is not None
    assert cyber.colour.value != plain.colour.value


async def test_pacer_allows_five_messages_per_five_seconds_per_channel() -> None:
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = ChannelPacer(clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        await pacer.wait(1)
        now[0] += 0.1
    await pacer.wait(2)  # another channel has its own budget
    assert slept == []
    await pacer.wait(1)
    assert slept == [pytest.approx(4.5)]


async def test_veille_run_serves_discord_and_exits_cleanly_on_sigterm(
    tmp_path: Path, fake: FakeDiscord, feed_server: FeedServer
) -> None:
    url = feed_server.set("/rss.xml", rss([STORY]), content_type="application/rss+xml")
    env = {
        **os.environ,
        "DISCORD_BOT_TOKEN": TOKEN,
        "DISCORD_API_URL": fake.api_url,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "TELEGRAM_BOT_TOKEN": "",
        "VEILLE_DB": str(tmp_path / "veille.db"),
        "VEILLE_ALLOW_PRIVATE_URLS": "1",
        "VEILLE_POLL_INTERVAL": "20",
    }
    veille = Path(sys.executable).with_name("veille")
    proc = await asyncio.create_subprocess_exec(
        str(veille), "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await fake.wait_until(lambda: fake.identifies, timeout=60)
        answer = await fake.wait_for_callback(await fake.slash("abonner", {"url": url}), timeout=30)
        assert answer["data"]["content"].startswith("Abonnement ajouté")
        [message] = await fake.wait_for_messages(CHANNEL_ID, timeout=60)
        assert message["embeds"][0]["title"] == STORY.title
        assert message["allowed_mentions"]["parse"] == []
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        assert proc.stderr is not None
        stderr = (await asyncio.wait_for(proc.stderr.read(), timeout=30)).decode()
        code = await asyncio.wait_for(proc.wait(), timeout=30)
    assert code == 0, stderr[-2000:]
    assert TOKEN not in stderr


async def test_server_errors_are_send_errors_to_retry_not_rejections(fake: FakeDiscord) -> None:
    adapter = adapter_for(fake)
    await adapter.start(SlowHandler())
    try:
        fake.fail_next_message(CHANNEL_ID, status=503)
        with pytest.raises(SendError) as caught:
            await adapter.send_digest(str(CHANNEL_ID), sample_digest())
        assert not isinstance(caught.value, ChatGoneError | RejectedError), "a 5xx can succeed later"
        assert fake.attempts[CHANNEL_ID] == 1, "no degraded form for a server error"
        await adapter.send_digest(str(CHANNEL_ID), sample_digest())
        assert len(fake.messages[CHANNEL_ID]) == 1
    finally:
        await adapter.stop()


async def delivery_rows(app: Veille) -> list[tuple[str, int, str | None]]:
    """Return (state, attempts, last_error) of every delivery, oldest first."""
    return [(row.state, row.attempts, row.last_error) for row in await sqlite_rows.delivery_rows(app.storage)]


async def test_embed_discord_refuses_is_posted_once_as_plain_content_and_the_delivery_is_sent(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord
) -> None:
    app, _ = running
    digest = sample_digest()
    await queue_digest(app, digest)
    fake.refuse_embeds(CHANNEL_ID)
    assert await app.dispatcher.run_once() == 1
    assert fake.attempts[CHANNEL_ID] == 2, "the embed, then its plain form"
    [message] = fake.messages[CHANNEL_ID]
    assert not message.get("embeds")
    assert "Rançongiciel : la mairie de Villeneuve porte plainte" in message["content"]
    assert digest.url in message["content"]
    assert "@everyone" not in message["content"], "still no mention"
    assert await delivery_rows(app) == [("sent", 1, None)]


async def test_reply_whose_embed_discord_refuses_is_posted_as_plain_content(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord
) -> None:
    _, adapter = running
    reply = Reply(
        "Quotidien du 1er décembre",
        items=[ReplyItem("Amende pour Datalix", url="https://juridique.example/a")],
        buttons=[Button("Se désabonner", "desabonner 1")],
    )
    fake.refuse_embeds(CHANNEL_ID)
    await adapter.send_reply(str(CHANNEL_ID), reply)
    assert fake.attempts[CHANNEL_ID] == 2
    [message] = fake.messages[CHANNEL_ID]
    assert not message.get("embeds") and not message.get("components")
    assert message["content"] == "Quotidien du 1er décembre\nAmende pour Datalix — <https://juridique.example/a>"


async def test_message_refused_in_both_forms_fails_at_once_with_discords_answer(
    running: tuple[Veille, DiscordAdapter], fake: FakeDiscord
) -> None:
    app, _ = running
    await queue_digest(app, sample_digest())
    fake.fail_next_message(CHANNEL_ID, status=400, times=5)
    assert await app.dispatcher.run_once() == 0
    assert fake.attempts[CHANNEL_ID] == 2, "the embed and one degraded form, no more"
    [(state, _, error)] = await delivery_rows(app)
    assert state == "failed"
    assert error is not None and "50035" in error and "Invalid Form Body" in error
    assert await app.storage.outbox.pending_count() == 0
