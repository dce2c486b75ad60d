"""Turn fetched bytes into a `ParsedFeed` of normalised `Entry` objects.

RSS 0.9x/1.0/2.0 and Atom go through feedparser; JSON Feed 1.x is read by hand. Nothing
of feedparser's dicts leaves this module. Every string is length-capped as soon as it is
read, so nothing downstream (storage, NLP, chat rendering) sees an unbounded title.

Hostile input: a document whose prolog declares XML entities ("billion laughs", external
entities) is refused before any XML parser sees it, the way defusedxml refuses them. Real
feeds are often slightly broken, so feedparser's "bozo" flag alone is not an error: a feed
with entries is accepted; bytes that are no feed at all raise FeedParseError.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import io
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import structlog

from bot.errors import FeedParseError
from bot.models import Entry, ParsedFeed

log = structlog.get_logger(__name__)

MAX_TITLE_CHARS = 500
MAX_CONTENT_CHARS = 200_000
MAX_AUTHOR_CHARS = 200
DEFAULT_MAX_ENTRIES = 500
JSON_FEED_PREFIX = "https://jsonfeed.org/version/1"
# Dates before the web's feeds existed are epoch artefacts (0 → 1970-01-01), not news.
EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=UTC)
# Clocks drift and time zones get mislabelled; further ahead than this is a wrong date.
FUTURE_TOLERANCE = timedelta(days=1)

_FEED_LINK_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/json",
        "application/rdf+xml",
    }
)
_PROLOG_NOISE = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.S)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
_SUBSET_END = re.compile(rb"\]\s*>")
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"[^\S\xa0\u202f]+")  # keep French non-breaking spaces (« », « : »)


def parse_feed(
    body: bytes,
    *,
    url: str,
    content_type: str = "",
    max_entries: int = DEFAULT_MAX_ENTRIES,
    now: datetime | None = None,
) -> ParsedFeed:
    """Parse a feed's bytes; raise FeedParseError when they are not a feed.

    Entries come newest first when every entry is dated, in document order otherwise;
    a repeated uid keeps its first entry; at most `max_entries` are returned.
    `now` (default: the current time) bounds plausible publication dates.
    """
    now = now or datetime.now(UTC)
    media = content_type.split(";", 1)[0].strip().lower()
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if "json" in media or stripped.startswith(b"{"):
        feed = _parse_json_feed(body, url=url, now=now)
    else:
        feed = _parse_xml_feed(body, url=url, content_type=content_type, now=now)
    entries = _dedupe(e for e in feed.entries if e.title or e.url or e.summary or e.content)
    if entries and all(e.published for e in entries):
        entries = sorted(entries, key=lambda e: e.published or EARLIEST_DATE, reverse=True)
    return ParsedFeed(title=feed.title, link=feed.link, entries=tuple(entries[:max_entries]))


def declares_entities(body: bytes) -> bool:
    """Tell whether the XML prolog declares entities (the "billion laughs" / XXE vector)."""
    data = _as_utf8(body)
    pos = 0
    while match := _PROLOG_NOISE.match(data, pos):
        pos = match.end()
    if not _DOCTYPE.match(data, pos):
        return False
    head_end = data.find(b">", pos)
    bracket = data.find(b"[", pos)
    if bracket != -1 and (head_end == -1 or bracket < head_end):  # an internal subset
        close = _SUBSET_END.search(data, bracket)
        end = close.end() if close else len(data)
    else:
        end = head_end + 1 if head_end != -1 else len(data)
    return bool(_ENTITY_DECL.search(data, pos, end))


def _as_utf8(body: bytes) -> bytes:
    """Re-encode UTF-16/32 documents (by BOM) so byte patterns can be searched; else as is."""
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(bom):
            return body.decode(codec, errors="replace").encode("utf-8")
    if body[:4] in (b"<\x00?\x00", b"\x00<\x00?"):  # UTF-16 without BOM
        return body.decode("utf-16-le" if body[0] else "utf-16-be", "replace").encode("utf-8")
    return body.removeprefix(codecs.BOM_UTF8)


def _parse_xml_feed(body: bytes, *, url: str, content_type: str, now: datetime) -> ParsedFeed:
    if declares_entities(body):
        log.warning("feed.refused", url=url, reason="xml entity declarations")
        raise FeedParseError(f"{url}: the document declares XML entities (refused: entity expansion attack)")
    # No content-location: feedparser would resolve a bare guid ("abc-1") against it, and the
    # uid would change whenever the feed's URL does. Links are made absolute here instead.
    headers = {"content-type": content_type} if content_type else {}
    # A stream, never bytes or str: feedparser treats a str as a URL or a file path to open.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    raw_entries = parsed.get("entries") or []
    version = parsed.get("version") or ""
    if not raw_entries and (not version or parsed.get("bozo")):
        reason = str(parsed.get("bozo_exception") or "no feed element")[:200]
        raise FeedParseError(f"{url}: not an RSS/Atom feed ({reason})")
    if parsed.get("bozo"):
        log.info("feed.bozo", url=url, reason=str(parsed.get("bozo_exception"))[:200])
    meta = parsed.get("feed") or {}
    rss = version.startswith("rss")
    entries = [_entry_from_feedparser(raw, base=url, now=now, rss=rss) for raw in raw_entries]
    return ParsedFeed(
        title=_text(meta.get("title", ""), MAX_TITLE_CHARS, meta.get("title_detail")),
        link=_clean_url(meta.get("link", ""), url),
        entries=tuple(entries),
    )


def _entry_from_feedparser(raw: Any, *, base: str, now: datetime, rss: bool) -> Entry:
    title = _text(raw.get("title", ""), MAX_TITLE_CHARS, raw.get("title_detail"))
    summary = _cap(raw.get("summary", ""), MAX_CONTENT_CHARS)
    content = ""
    for part in raw.get("content") or []:
        kind = part.get("type", "")
        # In RSS, feedparser also files media:description (a photo caption, plain text)
        # under content; the article body (content:encoded) is always HTML.
        if rss and "html" not in kind:
            continue
        value = _cap(part.get("value", ""), MAX_CONTENT_CHARS)
        if value and (not content or "html" in kind):
            content = value
            if "html" in kind:
                break
    if content == summary:
        content = ""  # feedparser copies a lone <content> into summary; keep it once
    link = _clean_url(raw.get("link", ""), base)
    # dict.get, not raw.get: FeedParserDict maps a missing "updated" to "published" with a
    # DeprecationWarning; reading the plain dict keeps the two apart.
    raw_date = dict.get(raw, "published_parsed") or dict.get(raw, "updated_parsed")
    published = _plausible(_from_struct(raw_date), now)
    date_text = dict.get(raw, "published") or dict.get(raw, "updated") or ""
    uid = _cap(" ".join(str(raw.get("id") or "").split()), 1000)
    return Entry(
        uid=uid or link or _hash_uid(title, date_text, summary),
        url=link,
        title=title or _fallback_title(summary or content),
        published=published,
        summary=summary,
        content=content,
        author=_text(raw.get("author", ""), MAX_AUTHOR_CHARS),
    )


def _parse_json_feed(body: bytes, *, url: str, now: datetime) -> ParsedFeed:
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FeedParseError(f"{url}: not JSON ({str(exc)[:100]})") from None
    version = doc.get("version") if isinstance(doc, dict) else None
    if not isinstance(version, str) or not version.startswith(JSON_FEED_PREFIX):
        raise FeedParseError(f"{url}: JSON but not a JSON Feed (version {str(version)[:80]!r})")
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedParseError(f"{url}: JSON Feed without an items list")
    home = _clean_url(_str(doc.get("home_page_url")), url)
    base = home or url
    entries = []
    for item in items:
        if not isinstance(item, dict):
            continue
        title = _text(_str(item.get("title")), MAX_TITLE_CHARS, {"type": "text/plain"})
        link = _clean_url(_str(item.get("url")) or _str(item.get("external_url")), base)
        content = _cap(_str(item.get("content_html")), MAX_CONTENT_CHARS)
        if not content and item.get("content_text"):
            content = html.escape(_cap(_str(item.get("content_text")), MAX_CONTENT_CHARS))
        summary = _cap(_str(item.get("summary")), MAX_CONTENT_CHARS)
        date_text = _str(item.get("date_published")) or _str(item.get("date_modified"))
        raw_id = item.get("id")
        uid = _cap(str(raw_id).strip(), 1000) if isinstance(raw_id, str | int) else ""
        entries.append(
            Entry(
                uid=uid or link or _hash_uid(title, date_text, summary or content),
                url=link,
                title=title or _fallback_title(summary or content),
                published=_plausible(_from_iso(date_text), now),
                summary=summary,
                content=content,
                author=_json_author(item),
            )
        )
    return ParsedFeed(
        title=_text(_str(doc.get("title")), MAX_TITLE_CHARS, {"type": "text/plain"}),
        link=home,
        entries=tuple(entries),
    )


def _json_author(item: dict[str, Any]) -> str:
    authors = item.get("authors")
    if not isinstance(authors, list):
        authors = [item.get("author")]
    names = [_str(a.get("name")) for a in authors if isinstance(a, dict)]
    return _text(", ".join(n for n in names if n), MAX_AUTHOR_CHARS, {"type": "text/plain"})


def _dedupe(entries: Iterable[Entry]) -> list[Entry]:
    seen: set[str] = set()
    kept = []
    for entry in entries:
        if entry.uid not in seen:
            seen.add(entry.uid)
            kept.append(entry)
    return kept


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _cap(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _text(value: Any, limit: int, detail: Any = None) -> str:
    """Return one line of plain text: tags dropped when the source says HTML, spaces collapsed."""
    text = _cap(value, limit * 4)  # room for markup and spaces, still bounded
    kind = (detail or {}).get("type", "") if isinstance(detail, dict) else ""
    if "html" in kind or (not kind and "<" in text):
        text = html.unescape(_TAG.sub(" ", text))
    return _SPACE.sub(" ", text).strip()[:limit]


def _fallback_title(body: str) -> str:
    """Make a title from the start of the text, for items that have none."""
    text = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", body[:2000]))).strip()
    return text if len(text) <= 120 else text[:119].rsplit(" ", 1)[0] + "…"


def _clean_url(value: Any, base: str) -> str:
    """Return an absolute http(s) URL, or "" (a javascript: link must never reach a chat)."""
    text = "".join(_cap(value, 4000).split())  # feeds break long links across lines
    if not text:
        return ""
    absolute = urljoin(base, text) if base else text
    return absolute if urlsplit(absolute).scheme in ("http", "https") else ""


def _hash_uid(title: str, date_text: str, fallback: str) -> str:
    basis = f"{title}\n{date_text}" if title or date_text else fallback
    return "sha256:" + hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()


def _from_struct(value: Any) -> datetime | None:
    try:
        if not value:
            return None
        year, month, day, hour, minute, second = value[:6]
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _from_iso(value: str) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def _plausible(when: datetime | None, now: datetime) -> datetime | None:
    """Drop dates no real item has (epoch zero, far future): unknown beats misleading."""
    if when is None or when < EARLIEST_DATE or when > now + FUTURE_TOLERANCE:
        return None
    return when


class _FeedLinkFinder(HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base_url
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "base" and values.get("href"):
            self.base = urljoin(self.base, values["href"].strip())
        elif tag == "link":
            rels = values.get("rel", "").lower().split()
            kind = values.get("type", "").split(";", 1)[0].strip().lower()
            href = _clean_url(values.get("href", ""), self.base)
            if "alternate" in rels and kind in _FEED_LINK_TYPES and href not in self.links:
                if href:
                    self.links.append(href)


def find_feed_links(page: bytes | str, base_url: str) -> list[str]:
    """Return the feed URLs a page advertises with <link rel="alternate">, absolute, in order."""
    if isinstance(page, bytes):
        page = page[: 2 * 1024 * 1024].decode("utf-8", errors="replace")
    finder = _FeedLinkFinder(base_url)
    # <link> belongs in <head>; reading the first megabyte keeps a huge page cheap
    finder.feed(page[: 1024 * 1024])
    finder.close()
    return finder.links
