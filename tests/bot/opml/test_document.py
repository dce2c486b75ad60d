"""Reading OPML files as feed readers export them, and writing OPML 2.0 that reads back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring

from bot.errors import InputError
from bot.opml.document import MAX_OPML_BYTES, MAX_OPML_FEEDS, OpmlError, OpmlFeed, read_opml, write_opml

DATA = Path(__file__).resolve().parents[2] / "data" / "opml"
WHEN = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


def test_nested_folders_are_walked_and_a_duplicate_url_is_read_once() -> None:
    feeds = read_opml((DATA / "feedly.opml").read_bytes())
    assert feeds == [
        OpmlFeed("https://journal-du-droit.example.test/rss", "Le Journal du Droit"),
        OpmlFeed("https://penal.example.test/feed?format=rss&lang=fr", "Actu Pénale & Procédure"),
        OpmlFeed("https://cnil-veille.example.test/atom.xml", "Veille CNIL"),
    ]


def test_a_latin1_file_keeps_its_accents() -> None:
    assert read_opml((DATA / "latin1.opml").read_bytes()) == [
        OpmlFeed("https://societe.example.test/rss", "Société générale du droit")
    ]


@pytest.mark.parametrize(
    ("data", "french"),
    [
        (b"", "vide"),
        (b"Bonjour, voici mes flux : https://exemple.fr/rss", "pas un document XML lisible"),
        (b"<opml><body><outline xmlUrl='https://a.example.test/rss'></body>", "pas un document XML lisible (ligne 1)"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "élément racine est <rss>"),
        (b'<opml version="2.0"><head/><body><outline text="Dossier"/></body></opml>', "Aucun flux"),
    ],
)
def test_bad_files_get_a_french_reason(data: bytes, french: str) -> None:
    with pytest.raises(OpmlError) as caught:
        read_opml(data)
    assert french in caught.value.french
    assert isinstance(caught.value, InputError)  # the command router answers it in French


def test_an_entity_bomb_is_refused_before_any_expansion() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b'<opml version="2.0"><body><outline text="&b;" xmlUrl="https://a.example.test/rss"/></body></opml>'
    )
    with pytest.raises(OpmlError, match="entities") as caught:
        read_opml(bomb)
    assert "entités" in caught.value.french


def test_a_file_over_the_cap_is_refused_with_its_size() -> None:
    data = b"<opml>" + b" " * MAX_OPML_BYTES + b"</opml>"
    with pytest.raises(OpmlError) as caught:
        read_opml(data)
    assert "trop volumineux" in caught.value.french and "512 Ko" in caught.value.french


def test_more_feeds_than_a_chat_may_hold_is_refused() -> None:
    feeds = [OpmlFeed(f"https://f{n}.example.test/rss", f"F{n}") for n in range(MAX_OPML_FEEDS + 1)]
    with pytest.raises(OpmlError) as caught:
        read_opml(write_opml(feeds, title="t", created=WHEN))
    assert f"({MAX_OPML_FEEDS + 1})" in caught.value.french


def test_written_opml_is_version_2_with_escaped_titles_and_reads_back() -> None:
    feeds = [
        OpmlFeed("https://a.example.test/rss?x=1&y=<2>", 'Le "Droit" & <les> Lois'),
        OpmlFeed("https://b.example.test/feed", ""),
        OpmlFeed("https://c.example.test/feed", "Titre\x01 avec contrôle"),
    ]
    data = write_opml(feeds, title="Abonnements de « Rédaction »", created=WHEN)
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert b"&amp;y=&lt;2&gt;" in data and b"&quot;Droit&quot; &amp; &lt;les&gt;" in data
    root = fromstring(data)
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title") == "Abonnements de « Rédaction »"
    assert root.findtext("head/dateCreated") == "Wed, 02 Dec 2026 01:00:00 +0000"
    outlines = root.findall("body/outline")
    assert [o.get("type") for o in outlines] == ["rss"] * 3
    assert outlines[1].get("text") == "https://b.example.test/feed"  # no title: the URL stands in
    assert read_opml(data) == [
        OpmlFeed("https://a.example.test/rss?x=1&y=<2>", 'Le "Droit" & <les> Lois'),
        OpmlFeed("https://b.example.test/feed", "https://b.example.test/feed"),
        OpmlFeed("https://c.example.test/feed", "Titre avec contrôle"),
    ]
