"""Parsing well-formed feeds of every supported format into normalised entries, and finding feeds in pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import FeedParseError
from bot.feeds.parse import MAX_CONTENT_CHARS, MAX_TITLE_CHARS, find_feed_links, parse_feed
from bot.models import ParsedFeed

DATA = Path(__file__).parents[2] / "data"
NOW = datetime(2024, 6, 1, tzinfo=UTC)


def parse_file(
    name: str, *, url: str = "https://news.example.org/feed", content_type: str = ""
) -> ParsedFeed:
    return parse_feed((DATA / "feeds" / name).read_bytes(), url=url, content_type=content_type, now=NOW)


def rss(items: str, *, channel: str = "<title>Test</title><link>https://t.example.org/</link>") -> bytes:
    head = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0">'
    return f"{head}<channel>{channel}{items}</channel></rss>".encode()


def test_rss2_entries_are_normalised_newest_first() -> None:
    feed = parse_file("rss20.xml", content_type="application/rss+xml")
    assert feed.title == "Veille Test — Justice"
    assert feed.link == "https://news.example.org/justice/"
    assert [e.title for e in feed.entries] == [
        "Réforme de la procédure pénale : le texte adopté en commission",
        "Le Conseil d’État suspend un arrêté municipal",
        "La Cour de cassation précise la notion de faute grave",
    ]
    second = feed.entries[1]
    assert second.uid == "news-example-1001"
    assert second.url == "https://news.example.org/justice/2024/03/12/arrete-suspendu.html"
    assert second.published == datetime(2024, 3, 12, 8, 30, tzinfo=UTC)
    assert second.author == "Camille Martin"
    assert "atteinte <b>grave</b>" in second.summary
    assert second.content.startswith("<p>Le juge des référés")


def test_rss2_relative_links_are_made_absolute_against_the_feed_url() -> None:
    feed = parse_file("rss20.xml")
    assert feed.entries[0].url == "https://news.example.org/justice/2024/03/12/procedure-penale.html"


def test_a_photo_caption_is_not_taken_for_the_article_body() -> None:
    feed = parse_file("rss20.xml")
    assert all("Palais-Royal" not in e.content for e in feed.entries)
    assert feed.entries[2].content == ""


def test_rss1_rdf_feed_is_read() -> None:
    feed = parse_file("rss10.rdf", content_type="application/rdf+xml")
    assert feed.title == "Journal officiel (test RSS 1.0)"
    assert [e.uid for e in feed.entries] == [
        "https://rdf.example.org/jo/2024-0042",
        "https://rdf.example.org/jo/2024-0041",
    ]
    assert feed.entries[0].published == datetime(2024, 2, 20, 7, 0, tzinfo=UTC)


def test_rss091_with_its_netscape_doctype_and_html_entities_is_read() -> None:
    feed = parse_file("rss091.xml")
    assert feed.entries[0].title == "Première décision"
    assert feed.entries[0].summary == "Texte de la décision."


def test_atom_entries_keep_id_author_html_content_and_utc_dates() -> None:
    feed = parse_file("atom.xml", content_type="application/atom+xml")
    assert feed.title == "Blog juridique (test Atom)"
    first = feed.entries[0]
    assert first.uid == "tag:atom.example.org,2024:rgpd-cameras"
    assert first.title == "Le RGPD et les caméras de surveillance"  # HTML title flattened to text
    assert first.published == datetime(2024, 1, 5, 7, 0, tzinfo=UTC)
    assert first.published.tzinfo is UTC
    assert first.author == "Inès Durand"
    assert first.content == "<p>La CNIL a publié une fiche pratique sur les caméras.</p>"
    assert feed.entries[1].published == datetime(2024, 1, 4, 12, 0, tzinfo=UTC)  # updated stands in


def test_json_feed_1_1_is_read_by_hand() -> None:
    feed = parse_file("jsonfeed.json", content_type="application/feed+json")
    assert feed.title == "Chronique du droit (test JSON Feed)"
    assert feed.link == "https://json.example.org/"
    first, second, third = feed.entries
    assert (first.uid, first.author) == ("2", "Léa Bernard, Hugo Petit")
    assert first.published == datetime(2024, 5, 2, 6, 15, tzinfo=UTC)
    assert first.content == "<p>Un accord national interprofessionnel a été signé.</p>"
    assert second.uid == "1" and second.url == "https://json.example.org/2024/05/01/fiscalite"
    assert second.content.startswith("Les communes") and "&lt;script&gt;" in second.content
    assert third.uid == third.url == "https://json.example.org/2024/04/30/sans-id"
    assert third.title.startswith("Un article sans identifiant")


def test_json_feed_is_recognised_without_a_json_content_type() -> None:
    body = json.dumps(
        {"version": "https://jsonfeed.org/version/1", "title": "t", "items": [{"id": "a", "title": "A"}]}
    )
    feed = parse_feed(body.encode(), url="https://j.example.org/feed", content_type="text/plain")
    assert [e.uid for e in feed.entries] == ["a"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"version": "1.0", "items": []}',
        b'{"data": [1, 2, 3]}',
        b"[1, 2]",
        b'{"version": "https://jsonfeed.org/version/1.1"}',
    ],
)
def test_json_that_is_not_a_json_feed_is_refused(body: bytes) -> None:
    with pytest.raises(FeedParseError):
        parse_feed(body, url="https://j.example.org/api", content_type="application/json")


def test_uid_falls_back_from_guid_to_link_to_a_hash_of_title_and_date() -> None:
    body = rss(
        "<item><title>A</title><guid>guid-a</guid><link>https://t.example.org/a</link></item>"
        "<item><title>B</title><link>https://t.example.org/b</link></item>"
        "<item><title>C</title><pubDate>Fri, 01 Mar 2024 12:00:00 +0000</pubDate></item>"
    )
    uids = [e.uid for e in parse_feed(body, url="https://t.example.org/feed").entries]
    assert uids[:2] == ["guid-a", "https://t.example.org/b"]
    assert uids[2].startswith("sha256:") and len(uids[2]) == len("sha256:") + 64


def test_uids_are_stable_across_polls_and_feed_url_changes() -> None:
    body = rss("<item><title>C</title><guid>local-7</guid></item><item><title>D</title></item>")
    first = parse_feed(body, url="https://t.example.org/feed")
    moved = parse_feed(body, url="https://new.example.org/rss")
    assert [e.uid for e in first.entries] == [e.uid for e in moved.entries]
    assert first.entries[0].uid == "local-7"


def test_titles_and_bodies_are_capped_before_anything_else() -> None:
    body = rss(
        f"<item><title>{'T' * 5000}</title><guid>x</guid><description>{'d' * 300_000}</description></item>"
    )
    entry = parse_feed(body, url="https://t.example.org/feed").entries[0]
    assert len(entry.title) == MAX_TITLE_CHARS
    assert len(entry.summary) <= MAX_CONTENT_CHARS


def test_non_http_links_never_reach_an_entry() -> None:
    body = rss("<item><title>x</title><guid>x</guid><link>javascript:alert(1)</link></item>")
    assert parse_feed(body, url="https://t.example.org/feed").entries[0].url == ""


def test_max_entries_keeps_the_newest() -> None:
    items = "".join(
        f"<item><title>n{day}</title><guid>g{day}</guid>"
        f"<pubDate>{day:02d} Mar 2024 10:00:00 +0000</pubDate></item>"
        for day in range(1, 21)
    )
    feed = parse_feed(rss(items), url="https://t.example.org/feed", max_entries=3, now=NOW)
    assert [e.title for e in feed.entries] == ["n20", "n19", "n18"]


def test_an_empty_but_valid_feed_has_no_entries() -> None:
    feed = parse_feed(rss(""), url="https://t.example.org/feed")
    assert feed.entries == () and feed.title == "Test"


@pytest.mark.parametrize(
    "body",
    [
        b"<!doctype html><html><head><title>Accueil</title></head><body><p>Bonjour</p></body></html>",
        b"Just some plain text, no markup at all.",
        b"",
        bytes(range(256)) * 20,
        b"{not json",
    ],
)
def test_bytes_that_are_not_a_feed_raise_feed_parse_error(body: bytes) -> None:
    with pytest.raises(FeedParseError) as caught:
        parse_feed(body, url="https://t.example.org/page")
    assert "flux" in caught.value.french


def test_feed_links_are_found_absolute_and_in_document_order() -> None:
    page = (DATA / "page_with_feeds.html").read_bytes()
    assert find_feed_links(page, "https://site.example.org/actu/") == [
        "https://site.example.org/rss/tout.xml",
        "https://feeds.example.org/site.atom",
        "https://site.example.org/actu/feed.json",
        "https://cdn.example.org/api.json",
    ]


def test_feed_links_honour_the_base_element_and_accept_text() -> None:
    page = (
        '<html><head><base href="https://cdn.example.org/v2/">'
        '<link rel="alternate feed" type="application/rss+xml" href="rss"></head></html>'
    )
    assert find_feed_links(page, "https://site.example.org/") == ["https://cdn.example.org/v2/rss"]


def test_a_page_without_feed_links_gives_an_empty_list() -> None:
    assert find_feed_links(b"<html><head><title>x</title></head></html>", "https://site.example.org/") == []
