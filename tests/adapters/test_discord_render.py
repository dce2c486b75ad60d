"""Discord rendering: no feed text can forge a masked link, and no bad URL becomes a link.

`discord_links` (tests/support/discord_markdown.py) finds at least every masked link Discord
would show; the tests check that the only ones are Veille's own.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord_render import (
    clean,
    digest_message,
    link_text,
    masked_link,
    plain_digest,
    plain_reply,
    reply_message,
)
from bot.models import Reply, ReplyItem
from digests.model import Digest
from tests.support.discord_markdown import discord_links

HOSTILE_TITLES = [
    "Fuite chez Mutualis](https://evil.example/phish) [lire",
    "Fuite chez Mutualis\\](https://evil.example/phish) \\[lire",
    "Fuite chez Mutualis\\\\](https://evil.example/phish) [lire",
    "Fuite](<https://evil.example/phish>) [x",
    "Fuite]] (https://evil.example) [[x",
    "[Fuite](https://evil.example)",
    "Fuite\n](https://evil.example)\n[lire",
    "Fuite ](https://evil.example \"titre\") [lire",
    "Titre )[(] ((https://evil.example))",
]
ARTICLE = "https://actu-juridique.example/articles/mutualis?id=1&src=rss"

def items_reply(*items: ReplyItem) -> str:
    rendered = reply_message(Reply("Résultats :", items=items))
    assert rendered.embed is not None and rendered.embed.description is not None
    return rendered.embed.description


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_a_hostile_title_cannot_forge_a_masked_link_in_search_results_or_daily_digests(title: str) -> None:
    detail = "02/12/2026 · Source (test) · Trouvé dans : titre"
    description = items_reply(ReplyItem(title, ARTICLE, detail), ReplyItem("Autre article", ARTICLE + "&b=2"))
    assert [target for _, target in discord_links(description)] == [ARTICLE, ARTICLE + "&b=2"]
    [(text, _), _] = discord_links(description)
    assert "[" not in text and "]" not in text and "\n" not in text
    assert "Fuite" in text or "Titre" in text


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_a_hostile_title_without_a_url_forms_no_link_at_all(title: str) -> None:
    """Items without a URL (/suivis, a feed listed by title) go through `clean`, outside any link."""
    assert discord_links(items_reply(ReplyItem(f"1. {title}"))) == []
    assert discord_links(clean(title)) == []
    assert discord_links(reply_message(Reply(f"Vous suivez déjà « {title} ».")).content) == []


@pytest.mark.parametrize(
    "detail",
    ["](https://evil.example/phish)", "\\](https://evil.example/phish)", "x\n\n](https://evil.example) [y",
     "Sources : Actu ](https://evil.example/phish) [ Droit"],
)
def test_a_hostile_detail_cannot_take_over_veilles_own_link(detail: str) -> None:
    description = items_reply(ReplyItem("Titre", ARTICLE, detail), ReplyItem("Suite", "", detail))
    assert [target for _, target in discord_links(description)] == [ARTICLE]


def test_a_masked_link_split_over_lines_in_a_detail_or_summary_is_neutralised() -> None:
    detail = "Sources : A, B\nLire [la suite\nici](https://evil.example/phish) maintenant"
    description = items_reply(ReplyItem("Titre", ARTICLE, detail))
    assert [target for _, target in discord_links(description)] == [ARTICLE]
    summary = "Voir [ce\ndocument](https://evil.example)."
    digest = Digest(title="T", url=ARTICLE, published=None, source="S", summary=summary, text="x")
    embed = digest_message(digest).embed
    assert embed is not None and embed.description is not None
    assert discord_links(embed.description) == []


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "https://exemple.fr/a b", "https://evil.example\\@exemple.fr/", "http://[oops",
     "https://exemple.fr:99999/", "https://exemple.fr/<x>", "ftp://exemple.fr/", "https://exemple.fr/\x00"],
)
def test_a_bad_url_is_dropped_and_the_title_shown_unlinked(url: str) -> None:
    description = items_reply(ReplyItem("Titre de l'article", url, "détail"))
    assert discord_links(description) == []
    assert description.startswith("Titre de l'article")
    digest = Digest(title="Titre", url=url, published=None, source="S", summary="Résumé.", text="x")
    embed = digest_message(digest).embed
    assert embed is not None and embed.url is None and embed.title == "Titre"


def test_parentheses_in_an_article_url_keep_the_whole_url_as_target() -> None:
    url = "https://fr.wikipedia.org/wiki/Loi_(France)_((x))"
    [(_, target)] = discord_links(masked_link("Loi", url))
    assert target == "https://fr.wikipedia.org/wiki/Loi_%28France%29_%28%28x%29%29"


def test_a_digest_embed_keeps_a_good_url_and_escapes_brackets_everywhere() -> None:
    digest = Digest(
        title="Amende [record] pour Datalix",
        url=ARTICLE,
        published=datetime(2026, 3, 7, 9, 30, tzinfo=UTC),
        source="Actu ] Droit [",
        summary="La CNIL [sanctionne](https://evil.example) Datalix.",
        text="x",
    )
    rendered = digest_message(digest, note="Alerte [suivi](https://evil.example) : CNIL")
    assert rendered.embed is not None and rendered.embed.url == ARTICLE
    assert discord_links(rendered.content) == []
    assert discord_links(rendered.embed.description or "") == []
    assert rendered.embed.title == "Amende (record) pour Datalix"


_HOSTILE_ALPHABET = st.sampled_from(list("[]()<>\\/:*_~|`#-@!\"' \nab") + ["https://evil.example/x", "](", ")["])


_HOSTILE_TEXT = st.lists(_HOSTILE_ALPHABET, max_size=25).map("".join)


@given(title=_HOSTILE_TEXT, detail=_HOSTILE_TEXT)
@settings(max_examples=300, deadline=None)
def test_any_title_and_detail_render_exactly_veilles_own_link(title: str, detail: str) -> None:
    description = items_reply(ReplyItem(title, ARTICLE, detail), ReplyItem(title, ""))
    assert [target for _, target in discord_links(description)] == [ARTICLE]
    assert discord_links(clean(title + detail)) == []
    assert "[" not in link_text(title) and "]" not in link_text(title)


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_the_plain_forms_of_a_refused_message_forge_no_link_and_drop_bad_urls(title: str) -> None:
    reply = Reply("Résultats :", items=(ReplyItem(title, ARTICLE), ReplyItem(title, "javascript:alert(1)")))
    content = plain_reply(reply).content
    assert discord_links(content) == []
    assert f"<{ARTICLE}>" in content and "javascript" not in content
    digest = Digest(title=title, url="https://exemple.fr/a b", published=None, source="S", summary=title, text="x")
    plain = plain_digest(digest).content
    assert discord_links(plain) == [] and "exemple.fr/a" not in plain
