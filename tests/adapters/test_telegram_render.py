"""Telegram HTML links: only a URL `link_target` accepts becomes an `<a href>`."""

from __future__ import annotations

import pytest

from adapters.telegram import link_preview
from adapters.telegram_render import link, render_digest, render_reply
from bot.models import Reply, ReplyItem
from digests.model import Digest

BAD_URLS = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "data:text/html,x",
    "https://",
    "https://exemple.fr:99999/",
    "http://[oops",
    "https://exemple.fr/a b",
    "https://exemple.fr/\x00",
    "https://exemple.fr/\u202egro.live",
    'https://exemple.fr/" onclick="x',
    "https://exemple.fr/<b>",
    "https://evil.example\\@exemple.fr/",
    "https://user:motdepasse@exemple.fr/",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_bad_url_is_dropped_and_the_label_shown_escaped(url: str) -> None:
    assert link(url, "Fuite <chez> Mutualis") == "Fuite &lt;chez&gt; Mutualis"


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_digest_or_reply_item_with_a_bad_url_has_no_link(url: str) -> None:
    digest = Digest(title="Titre", url=url, published=None, source="Source", summary="Résumé.", text="x")
    assert "<a " not in render_digest(digest)
    [message] = render_reply(Reply("Résultats :", items=(ReplyItem("Titre", url, "détail"),)))
    assert "<a " not in message and "Titre — détail" in message


def test_a_good_url_is_linked_with_its_title_escaped() -> None:
    url = "https://actu-juridique.example/a?id=1&src=rss"
    title = "Fuite chez Mutualis](https://evil.example/phish) [lire"
    assert link(url, title) == f'<a href="https://actu-juridique.example/a?id=1&amp;src=rss">{title}</a>'


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_digest_with_a_bad_url_gets_no_link_preview(url: str) -> None:
    assert link_preview(url).is_disabled


def test_a_digest_with_a_good_url_previews_that_page() -> None:
    preview = link_preview("https://actu-juridique.example/a?id=1")
    assert preview.url == "https://actu-juridique.example/a?id=1" and not preview.is_disabled
