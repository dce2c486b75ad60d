"""Poisoned items at the parse boundary: whatever a feed contains, what comes out is storable.

A feed can carry lone surrogates (directly in JSON, or as character references such as
`&#55357;`), NUL and other C0 controls, and links no URL parser accepts. Each case is repaired
or dropped in the one item that carries it; the other items are untouched. The property tests
feed arbitrary bytes, arbitrary JSON and arbitrary item fields through `parse_feed`: it raises
nothing but `FeedParseError`, and every string it returns is one SQLite and a chat can take.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import FeedParseError
from bot.feeds.parse import parse_feed
from bot.models import Entry, ParsedFeed
from digests.extract import article_from_feed_item

NOW = datetime(2026, 12, 1, tzinfo=UTC)
URL = "https://poison.example.org/feed"
# What must never leave the parser: surrogates (unencodable), NUL and the other C0/C1 controls.
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
BUDGET = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rss(*items: str) -> bytes:
    head = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
    channel = "<title>Poison</title><link>https://poison.example.org/</link>"
    # surrogatepass: a hostile server can send the bytes of a surrogate (invalid UTF-8) too
    return f"{head}{channel}{''.join(items)}</channel></rss>".encode("utf-8", "surrogatepass")


def item(title: str, *, link: str = "https://poison.example.org/a", guid: str = "g1", desc: str = "") -> str:
    return f"<item><title>{title}</title><link>{link}</link><guid>{guid}</guid><description>{desc}</description></item>"


GOOD = item("Un article sain", link="https://poison.example.org/sain", guid="sain")


def json_feed(items: list[Any], **extra: Any) -> bytes:
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "Poison", "items": items, **extra}
    return json.dumps(doc).encode()


def assert_storable(feed: ParsedFeed) -> None:
    """Every string encodes to UTF-8, carries no control character, and every link is http(s)."""
    strings: list[str] = [feed.title, feed.link]
    for entry in feed.entries:
        assert isinstance(entry, Entry)
        strings += [entry.uid, entry.url, entry.title, entry.summary, entry.content, entry.author]
        assert entry.uid, "every entry keeps a uid"
    for text in strings:
        text.encode("utf-8")  # raises on a surrogate
        assert not UNSAFE.search(text), repr(text)
    for link in [feed.link, *(e.url for e in feed.entries)]:
        if link:
            parts = urlsplit(link)
            assert parts.scheme in ("http", "https") and parts.hostname, link
            _ = parts.port  # raises on a bad port


def test_surrogate_pair_character_references_become_the_character_they_encode() -> None:
    feed = parse_feed(rss(item("Emoji &#55357;&#56832; et &#xD83D;&#xDE00; ici"), GOOD), url=URL, now=NOW)
    assert [e.title for e in feed.entries] == ["Emoji \U0001f600 et \U0001f600 ici", "Un article sain"]


def test_surrogate_pair_references_in_a_utf16_document_are_joined_too() -> None:
    text = (
        rss(item("Emoji &#55357;&#56832; ici"), GOOD).decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    )
    for codec in ("utf-16", "utf-16-be", "utf-32"):
        bom = {"utf-16-be": b"\xfe\xff"}.get(codec, b"")
        feed = parse_feed(bom + text.encode(codec), url=URL, now=NOW)
        assert [e.title for e in feed.entries] == ["Emoji \U0001f600 ici", "Un article sain"], codec


def test_lone_surrogate_and_control_character_references_are_dropped() -> None:
    feed = parse_feed(
        rss(item("a&#55357;b&#56832;c&#0;d&#1;e&#x1F;f&#1114112;g", desc="x&#55357;y&#0;z"), GOOD),
        url=URL,
        now=NOW,
    )
    assert [e.title for e in feed.entries] == ["abcdefg", "Un article sain"]
    assert "xyz" in feed.entries[0].summary
    assert_storable(feed)


def test_an_unparsable_link_is_dropped_and_its_item_kept() -> None:
    links = ["http://[oops", "http://poison.example.org:99999/a", "https://:443/no-host", "javascript:alert(1)"]
    items = [item(f"Article {n}", link=escape(link), guid=f"g{n}") for n, link in enumerate(links)]
    feed = parse_feed(rss(*items, GOOD), url=URL, now=NOW)
    assert [e.title for e in feed.entries] == [*(f"Article {n}" for n in range(len(links))), "Un article sain"]
    assert [e.url for e in feed.entries] == ["", "", "", "", "https://poison.example.org/sain"]
    assert_storable(feed)


def test_json_feed_lone_surrogates_and_controls_are_removed_from_every_field() -> None:
    bad = "\ud83d\x00\x07"
    body = json_feed(
        [
            {
                "id": f"id{bad}",
                "url": f"https://poison.example.org/a{bad}",
                "title": f"Titre{bad} \ud83d\ude00",
                "summary": f"Résumé{bad}",
                "content_html": f"<p>Texte{bad}</p>",
                "authors": [{"name": f"Autrice{bad}"}],
            },
            {"id": "sain", "url": "https://poison.example.org/sain", "title": "Un article sain"},
        ],
        home_page_url=f"https://poison.example.org/{bad}",
        title=f"Poison{bad}",
    )
    feed = parse_feed(body, url=URL, now=NOW)
    first = feed.entries[0]
    assert first.title == "Titre \U0001f600"  # a valid pair is joined into its character
    assert first.uid == "id" and first.author == "Autrice"
    assert "Résumé" in first.summary and "Texte" in first.content
    assert first.url == "https://poison.example.org/a"
    assert feed.title == "Poison" and feed.entries[1].title == "Un article sain"
    assert_storable(feed)


def test_a_plain_text_summary_is_escaped_so_it_is_unescaped_exactly_once() -> None:
    """Entry.summary is HTML: a plain-text source (Atom type="text", JSON Feed) is escaped."""
    atom = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        b'<entry><id>1</id><title type="text">AT&amp;amp;T &lt;b&gt;</title>'
        b'<summary type="text">Amende &lt; 10 000 \xe2\x82\xac si x &gt; 3, AT&amp;amp;T</summary></entry></feed>'
    )
    entry = parse_feed(atom, url=URL, now=NOW).entries[0]
    article = article_from_feed_item(entry.title, entry.summary)
    assert article.title == "AT&amp;T <b>"
    assert article.text == "Amende < 10 000 € si x > 3, AT&amp;T"


def test_a_title_with_escaped_angle_brackets_keeps_all_its_words() -> None:
    title = "Amende &lt; 10 000 € si x &gt; 3 : la CNIL tranche"
    entry = parse_feed(rss(item(title, desc=title)), url=URL, now=NOW).entries[0]
    article = article_from_feed_item(entry.title, entry.content or entry.summary)
    assert article.title == "Amende < 10 000 € si x > 3 : la CNIL tranche"
    assert article.text == "Amende < 10 000 € si x > 3 : la CNIL tranche"


def test_cdata_markers_and_script_debris_never_reach_the_article_text() -> None:
    descs = [
        "&lt;![CDATA[]]&gt;Le texte reste",
        "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;Le texte reste",
        "<![CDATA[<p>Le texte reste <![CDATA[]]></p>]]>",
    ]
    items = [item(f"Titre {n} &lt;![CDATA[]]&gt;", desc=d, guid=f"g{n}") for n, d in enumerate(descs)]
    json_items = [
        {"id": "j1", "title": "Titre <![CDATA[]]>", "content_text": "<![CDATA[]]>Le texte reste"},
        {"id": "j2", "title": "Titre", "content_html": "<p>Le texte <![CDATA[a > b]]> reste</p>"},
        {"id": "j3", "title": "Titre", "content_html": "&lt;script&gt;x = 1;&lt;/script&gt;Le texte reste"},
    ]
    entries = [*parse_feed(rss(*items), url=URL, now=NOW).entries]
    entries += parse_feed(json_feed(json_items), url=URL, now=NOW).entries
    for entry in entries:
        article = article_from_feed_item(entry.title, entry.content or entry.summary)
        for text in (article.title, article.text):
            assert "CDATA" not in text and "]]>" not in text and "script" not in text, (entry, text)
        assert article.title.startswith("Titre")
        assert "Le texte" in article.text and "reste" in article.text, (entry, article.text)


# -- properties ------------------------------------------------------------------------------


def parse_or_refuse(body: bytes, content_type: str = "") -> ParsedFeed | None:
    try:
        feed = parse_feed(body, url=URL, content_type=content_type, now=NOW)
    except FeedParseError:
        return None
    assert_storable(feed)
    return feed


@BUDGET
@given(st.binary(max_size=2000), st.sampled_from(["", "application/rss+xml", "application/feed+json"]))
def test_arbitrary_bytes_raise_nothing_but_feed_parse_error(body: bytes, content_type: str) -> None:
    parse_or_refuse(body, content_type)


# Any character at all, surrogates and controls included, and the references that spell them.
ANY_CHAR = (
    st.characters()
    | st.integers(min_value=0xD800, max_value=0xDFFF).map(chr)  # st.characters() never draws these
    | st.integers(min_value=0, max_value=0x9F).map(chr)
)
CHARREF = st.integers(min_value=0, max_value=0x110010).map(lambda n: f"&#{n};") | st.integers(
    min_value=0xD800, max_value=0xDFFF
).map(lambda n: f"&#x{n:X};")
FIELD = st.lists(
    ANY_CHAR.map(escape) | CHARREF | st.sampled_from(["<", "&", "]]>", "http://[", "<![CDATA["]), max_size=12
).map("".join)


@BUDGET
@given(st.lists(st.tuples(FIELD, FIELD, FIELD, FIELD), min_size=1, max_size=4))
def test_rss_items_with_arbitrary_fields_parse_into_storable_entries(fields: list[tuple[str, ...]]) -> None:
    """Escaped, so the XML parser sees every character (the loose parser any raw '<' or '&')."""
    items = [item(t, link=link, guid=guid, desc=desc) for t, link, guid, desc in fields]
    parse_or_refuse(rss(*items, GOOD), "application/rss+xml")


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(ANY_CHAR, max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=10,
)
ITEM_KEYS = ["id", "url", "external_url", "title", "content_html", "content_text", "summary",
             "date_published", "date_modified", "author", "authors"]  # fmt: skip
JSON_ITEM = st.dictionaries(st.sampled_from(ITEM_KEYS), JSON_VALUE | st.text(ANY_CHAR, max_size=40))


@BUDGET
@given(
    st.lists(JSON_ITEM | JSON_VALUE, max_size=4),
    st.dictionaries(st.sampled_from(["title", "home_page_url", "feed_url"]), JSON_VALUE),
    st.sampled_from(["https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1"]),
)
def test_arbitrary_json_feeds_parse_into_storable_entries_or_refuse(
    items: list[Any], extra: dict[str, Any], version: str
) -> None:
    body = json.dumps({"version": version, "items": items, **extra}).encode()
    parse_or_refuse(body, "application/feed+json")


@BUDGET
@given(JSON_VALUE)
def test_arbitrary_json_documents_raise_nothing_but_feed_parse_error(doc: Any) -> None:
    parse_or_refuse(json.dumps(doc).encode())
