"""Follows: /suivre, /suivis, /nepassuivre, and exactly one alert per chat per digest."""

from __future__ import annotations

from adapters.console import ConsoleAdapter
from bot.app import Veille
from bot.chat.follows import MAX_FOLLOWS, DigestTerms, follow_matches, normalize_term
from bot.models import ChatRecord, Reply
from tests.support.newsroom import add_entry, add_feed, make_digest, publish, subscribe
from tests.support.sqlite_rows import delivery_rows

Core = tuple[Veille, ConsoleAdapter]


async def ask(console: ConsoleAdapter, line: str) -> Reply:
    reply = await console.command(line)
    assert reply is not None
    return reply


def matches(term: str, **digest: object) -> bool:
    return follow_matches(normalize_term(term), DigestTerms.of(make_digest(**digest)))  # type: ignore[arg-type]


def test_follow_matches_names_aliases_and_keywords_as_whole_words() -> None:
    cnil = [("Commission nationale de l'informatique et des libertés", "CNIL")]
    assert matches("CNIL", title="Le régulateur sanctionne", actors=cnil)
    assert matches("commission nationale de l'informatique", title="Sanction", actors=cnil)
    assert matches("Société Générale", title="x", actors=[("SOCIETE GENERALE",)])
    assert matches("rançongiciel", title="Deux rançongiciels visent des hôpitaux")
    assert matches("condamnee", title="La dirigeante condamnée")
    assert not matches("Arc", title="L'Arcom sanctionne", actors=[("Arcom",)])
    assert not matches("CNIL", title="Le CNILien", summary="Rien à voir")


async def test_a_follow_triggers_exactly_one_alert(core: Core, chat: ChatRecord) -> None:
    app, console = core
    elsewhere = await add_feed(app, "ailleurs")  # a feed this chat does not subscribe to
    await ask(console, "/suivre CNIL")
    await ask(console, "/suivre Commission nationale de l'informatique")
    await ask(console, "/suivre données")
    digest = make_digest(
        "Fuite de données chez Mutualis",
        "Le régulateur enquête.",
        actors=[("Commission nationale de l'informatique et des libertés", "CNIL")],
    )
    entry_id = await add_entry(app, elsewhere, digest)
    digest_id = await app.pipeline.store_digest(entry_id, digest)
    assert await app.pipeline.store_digest(entry_id, digest) == digest_id  # stored twice: one alert
    await app.dispatcher.run_once()
    alerts = [m for m in console.messages if m.digest is not None]
    assert len(alerts) == 1
    assert alerts[0].text.startswith("Suivi : CNIL, Commission nationale de l'informatique, données")
    rows = [(r.kind, r.note) for r in await delivery_rows(app.storage)]
    assert rows == [("follow", "Suivi : CNIL, Commission nationale de l'informatique, données")]


async def test_no_alert_when_the_chat_already_gets_the_digest(core: Core, chat: ChatRecord) -> None:
    app, console = core
    journal, actu = await add_feed(app, "journal"), await add_feed(app, "actu")
    await subscribe(app, chat, journal)
    await ask(console, "/suivre Mutualis")
    story = make_digest("La CNIL sanctionne Mutualis", "Fuite de données de santé.", actors=[("Mutualis",)])
    await publish(app, journal, story)  # subscribed: the instant delivery, no alert on top
    retold = make_digest("Mutualis sanctionnée par la CNIL", "Fuite de données de santé.", actors=[("Mutualis",)])
    await publish(app, actu, retold)  # same story elsewhere: already told
    assert [r.kind for r in await delivery_rows(app.storage)] == ["instant"]


async def test_follow_commands_list_remove_and_cap(core: Core, chat: ChatRecord) -> None:
    app, console = core
    assert "Aucun suivi" in (await ask(console, "/suivis")).text
    await ask(console, "/follow CNIL")
    assert "déjà" in (await ask(console, "/suivre cnil")).text
    await ask(console, "/suivre Arcom")
    listed = await ask(console, "/following")
    assert [i.title for i in listed.items] == ["1. CNIL", "2. Arcom"]
    assert [b.data for b in listed.buttons] == ["nepassuivre 1", "nepassuivre 2"]
    assert "ne suivez plus « CNIL »" in (await ask(console, "/" + listed.buttons[0].data)).text
    assert "ne suivez plus « Arcom »" in (await ask(console, "/unfollow ARCOM")).text
    assert "Pas de suivi n° 4" in (await ask(console, "/nepassuivre 4")).text
    for n in range(MAX_FOLLOWS):
        await ask(console, f"/suivre sujet {n}")
    assert "Limite atteinte" in (await ask(console, "/suivre un de trop")).text
    assert "Qui ou quoi suivre" in (await ask(console, "/suivre")).text
