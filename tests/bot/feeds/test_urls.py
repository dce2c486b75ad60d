"""Link targets: only a well-formed http(s) URL with a host becomes a link or an embed URL."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.feeds.urls import MAX_LINK_LENGTH, link_target


@pytest.mark.parametrize(
    "url",
    [
        "https://actu-juridique.example/articles/pnf?id=1&src=rss",
        "http://exemple.fr/",
        "HTTPS://Exemple.FR/Article",
        "https://exemple.fr:8443/a",
        "https://exemple.fr:65535/a",
        "http://[2001:db8::1]/flux",
        "https://exemple.fr/dépêche-été",
        "https://fr.wikipedia.org/wiki/Loi_(France)",
    ],
)
def test_a_well_formed_http_url_is_kept_as_is(url: str) -> None:
    assert link_target(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "javascript:alert(1)",
        "JavaScript://exemple.fr/%0aalert(1)",
        "data:text/html,<script>",
        "ftp://exemple.fr/flux",
        "//exemple.fr/sans-schema",
        "/articles/relatif",
        "https://",
        "https:///chemin",
        "https://:443/",
        "http://[oops",
        "http://[oops]/",
        "https://exemple.fr:0/",
        "https://exemple.fr:65536/",
        "https://exemple.fr:99999999999/",
        "https://exemple.fr:abc/",
        "https://exemple.fr/a b",
        "https://exemple.fr/a\tb",
        "https://exemple.fr/a\nb",
        "https://exemple.fr/\x00",
        "https://exemple.fr/\x7f",
        "https://exemple.fr/\x85",
        "https://exemple.fr/\u202eevil",
        "https://exemple.fr/\u00a0",
        "https://exemple.fr/<script>",
        "https://exemple.fr/a>b",
        "https://evil.example\\@exemple.fr/",
        "https://user:pass@exemple.fr/",
        "https://exemple.fr@evil.example/",
        " https://exemple.fr/",
        "https://exemple.fr/\ud83d",
        "https://exemple.fr/" + "a" * MAX_LINK_LENGTH,
    ],
)
def test_anything_else_is_dropped(url: str) -> None:
    assert link_target(url) is None


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_link_target_never_raises_and_keeps_only_safe_http_urls(tail: str) -> None:
    for url in (tail, "https://" + tail, "http://exemple.fr/" + tail):
        kept = link_target(url)
        if kept is not None:
            assert kept == url
            assert kept.lower().startswith(("http://", "https://"))
            assert not any(c.isspace() or c in "<>\\" or ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in kept)
