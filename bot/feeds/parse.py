"""Turn fetched bytes into a `ParsedFeed` of normalised `Entry` objects.

RSS 0.9x/1.0/2.0 and Atom go through feedparser; JSON Feed 1.x is read by hand. Nothing
of feedparser's dicts leaves this module. Every string is length-capped as soon as it is
read, so nothing downstream (storage, NLP, chat rendering) sees an unbounded title.

Hostile input: a document whose prolog declares XML entities ("billion laughs", external
entities) is refused before any XML parser sees it, the way defusedxml refuses them. Real
feeds are often slightly broken, so feedparser's "bozo" flag alone is not an error: a feed
with entries is accepted; bytes that are no feed at all raise FeedParseError.

Poisoned items: every string read from a feed goes through `clean_text` (a surrogate pair is
joined into its character, lone surrogates, NUL and control characters are dropped), numeric
character references that name no character are repaired or dropped before feedparser sees
them, and a link no URL parser accepts becomes "". One item that still fails is skipped, and
`parse_feed` raises nothing but FeedParseError, so one bad item never stops a feed, let alone
the others. Markup is read exactly once: `Entry.title` is plain text, `Entry.summary` and
`Entry.content` are HTML (plain-text sources are escaped), so the digest stage unescapes once.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import io
import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import feedparser
import structlog

from bot.errors import FeedParseError
from bot.models import Entry, ParsedFeed

log = structlog.get_logger(__name__)

_T = TypeVar("_T")

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
# A tag starts as HTML's tokenizer says: "<" then a letter, "/", "!" or "?". "x < 3" is text.
_TAG = re.compile(r"<[A-Za-z/!?][^>]*>")
_CDATA_MARK = re.compile(r"<!\[CDATA\[|\]\]>")
_SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
_C1 = re.compile("[\x80-\x9f]")
# Lone surrogates cannot be encoded; C0 controls (bar tab and newlines) and DEL are no text.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_CHARREF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")
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
    try:
        if "json" in media or stripped.startswith(b"{"):
            feed = _parse_json_feed(body, url=url, now=now)
        else:
            feed = _parse_xml_feed(body, url=url, content_type=content_type, now=now)
    except FeedParseError:
        raise
    except Exception as exc:  # noqa: BLE001  # a parser bug on hostile bytes is one unreadable feed
        log.warning("feed.parser_failed", url=url, error=repr(exc)[:300])
        raise FeedParseError(f"{url}: unreadable feed ({type(exc).__name__})") from None
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
    wide = _wide_codec(body)
    if wide is not None:
        return body.decode(wide, errors="replace").encode("utf-8")
    return body.removeprefix(codecs.BOM_UTF8)


def _wide_codec(body: bytes) -> str | None:
    """Name the codec of a UTF-16/32 document (by its BOM, or a BOM-less "<?"), else None.

    Decoding with the name and encoding back gives the same bytes (a BOM is kept or not).
    """
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(bom):
            return codec
    if body[:4] in (b"<\x00?\x00", b"\x00<\x00?"):  # UTF-16 without BOM
        return "utf-16-le" if body[0] else "utf-16-be"
    return None


def _parse_xml_feed(body: bytes, *, url: str, content_type: str, now: datetime) -> ParsedFeed:
    if declares_entities(body):
        log.warning("feed.refused", url=url, reason="xml entity declarations")
        raise FeedParseError(f"{url}: the document declares XML entities (refused: entity expansion attack)")
    # No content-location: feedparser would resolve a bare guid ("abc-1") against it, and the
    # uid would change whenever the feed's URL does. Links are made absolute here instead.
    headers = {"content-type": content_type} if content_type else {}
    # A stream, never bytes or str: feedparser treats a str as a URL or a file path to open.
    parsed = feedparser.parse(io.BytesIO(_repair_charrefs(body)), response_headers=headers)
    raw_entries = parsed.get("entries") or []
    version = parsed.get("version") or ""
    if not raw_entries and (not version or parsed.get("bozo")):
        reason = str(parsed.get("bozo_exception") or "no feed element")[:200]
        raise FeedParseError(f"{url}: not an RSS/Atom feed ({reason})")
    if parsed.get("bozo"):
        log.info("feed.bozo", url=url, reason=str(parsed.get("bozo_exception"))[:200])
    meta = parsed.get("feed") or {}
    rss = version.startswith("rss")
    entries = _each(raw_entries, lambda raw: _entry_from_feedparser(raw, base=url, now=now, rss=rss), url)
    return ParsedFeed(
        title=_text(meta.get("title", ""), MAX_TITLE_CHARS, meta.get("title_detail")),
        link=_clean_url(meta.get("link", ""), url),
        entries=tuple(entries),
    )


def _entry_from_feedparser(raw: Any, *, base: str, now: datetime, rss: bool) -> Entry:
    title = _text(raw.get("title", ""), MAX_TITLE_CHARS, raw.get("title_detail"))
    summary = _html(raw.get("summary", ""), MAX_CONTENT_CHARS, raw.get("summary_detail"))
    content = ""
    for part in raw.get("content") or []:
        kind = part.get("type", "")
        # In RSS, feedparser also files media:description (a photo caption, plain text)
        # under content; the article body (content:encoded) is always HTML.
        if rss and "html" not in kind:
            continue
        value = _html(part.get("value", ""), MAX_CONTENT_CHARS, part)
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
    entries = _each([item for item in items if isinstance(item, dict)], lambda item: _json_entry(item, base, now), url)
    return ParsedFeed(
        title=_text(_str(doc.get("title")), MAX_TITLE_CHARS, {"type": "text/plain"}),
        link=home,
        entries=tuple(entries),
    )


def _json_entry(item: dict[str, Any], base: str, now: datetime) -> Entry:
    """Read one JSON Feed item (plain-text fields are escaped where HTML is expected)."""
    title = _text(_str(item.get("title")), MAX_TITLE_CHARS, {"type": "text/plain"})
    link = _clean_url(_str(item.get("url")) or _str(item.get("external_url")), base)
    content = _cap(_str(item.get("content_html")), MAX_CONTENT_CHARS)
    if not content and item.get("content_text"):
        content = html.escape(_cap(_str(item.get("content_text")), MAX_CONTENT_CHARS))
    summary = _html(_str(item.get("summary")), MAX_CONTENT_CHARS, {"type": "text/plain"})
    date_text = _str(item.get("date_published")) or _str(item.get("date_modified"))
    raw_id = item.get("id")
    uid = _cap(str(raw_id).strip(), 1000) if isinstance(raw_id, str | int) else ""
    return Entry(
        uid=uid or link or _hash_uid(title, date_text, summary or content),
        url=link,
        title=title or _fallback_title(summary or content),
        published=_plausible(_from_iso(date_text), now),
        summary=summary,
        content=content,
        author=_json_author(item),
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


def _each(raws: Iterable[_T], convert: Callable[[_T], Entry], url: str) -> list[Entry]:
    """Convert each raw item; one that fails is skipped and logged, never the whole feed."""
    entries = []
    for raw in raws:
        try:
            entries.append(convert(raw))
        except Exception as exc:  # noqa: BLE001  # one poisoned item must not cost the feed
            log.warning("feed.entry_skipped", url=url, error=repr(exc)[:300])
    return entries


def clean_text(value: str) -> str:
    """Return `value` fit for SQLite and chats: surrogate pairs joined, unencodable or control
    characters dropped, C1 controls read as the Windows-1252 characters feeds meant."""
    if value.isascii() and value.isprintable():
        return value  # the common case, checked at C speed
    value = _SURROGATE_PAIR.sub(_join_pair, value)
    value = _C1.sub(lambda m: bytes([ord(m[0])]).decode("cp1252", "ignore"), value)
    return _UNSAFE.sub("", value)


def _join_pair(match: re.Match[str]) -> str:
    high, low = match[0][0], match[0][1]
    return chr(0x10000 + ((ord(high) - 0xD800) << 10) + (ord(low) - 0xDC00))


def _repair_charrefs(body: bytes) -> bytes:
    """Rewrite numeric character references that name no character before feedparser reads them.

    feedparser encodes each reference's character to UTF-8 and fails on a surrogate
    (`&#55357;`): a surrogate pair written as two references becomes the one reference of its
    character, a lone surrogate, NUL, a C0 control or a number past U+10FFFF is dropped.
    A UTF-16/32 document (told by its BOM) is repaired as UTF-8 and written back with a BOM.
    """
    wide = _wide_codec(body)
    if wide is not None:
        text = body.decode(wide, errors="replace")
        if "&#" not in text:
            return body
        return _repair_charrefs(text.encode("utf-8")).decode("utf-8").encode(wide)
    if b"&#" not in body:
        return body
    out: list[bytes] = []
    pos = 0
    matches = list(_CHARREF.finditer(body))
    skip_next = False
    for index, match in enumerate(matches):
        if skip_next:
            skip_next = False
            continue
        out.append(body[pos : match.start()])
        pos = match.end()
        code = _charref_code(match)
        if 0xD800 <= code <= 0xDBFF and index + 1 < len(matches):
            after = matches[index + 1]
            low = _charref_code(after)
            if after.start() == match.end() and 0xDC00 <= low <= 0xDFFF:
                joined = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                out.append(b"&#%d;" % joined)
                pos = after.end()
                skip_next = True
                continue
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF or (code < 0x20 and code not in (9, 10, 13)):
            continue  # names no character XML allows: dropped
        out.append(match[0])
    out.append(body[pos:])
    return b"".join(out)


def _charref_code(match: re.Match[bytes]) -> int:
    hex_digits, decimal = match.groups()
    return int(hex_digits, 16) if hex_digits else int(decimal)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _cap(value: Any, limit: int) -> str:
    """Bound and clean one string read from a feed: every field passes through here."""
    return clean_text(value[:limit]) if isinstance(value, str) else ""


def _kind(detail: Any) -> str:
    return str(detail.get("type", "")) if isinstance(detail, dict) else ""


def _text(value: Any, limit: int, detail: Any = None) -> str:
    """Return one line of plain text: markup read once when the source says HTML, spaces collapsed.

    CDATA markers are no words: a feed that escaped its CDATA section leaves them as text.
    """
    text = _cap(value, limit * 4)  # room for markup and spaces, still bounded
    kind = _kind(detail)
    if "html" in kind or (not kind and "<" in text):
        text = html.unescape(_TAG.sub(" ", _CDATA_MARK.sub("", text)))
    text = _CDATA_MARK.sub("", clean_text(text))  # an unescaped reference may name a control
    return _SPACE.sub(" ", text).strip()[:limit]


def _html(value: Any, limit: int, detail: Any) -> str:
    """Return a summary or body as HTML: a plain-text source is escaped, so it is read once.

    The detail must describe this very value: in RSS, feedparser files a media:description
    (plain text) as the summary's detail while keeping the description (HTML) as its value.
    """
    text = _cap(value, limit)
    described = isinstance(detail, dict) and detail.get("value", value) == value
    if not text or not described or "html" in _kind(detail):
        return text
    return html.escape(text, quote=False)


def _fallback_title(body: str) -> str:
    """Make a title from the start of the text, for items that have none."""
    text = html.unescape(_TAG.sub(" ", _CDATA_MARK.sub("", body[:2000])))
    text = _SPACE.sub(" ", _CDATA_MARK.sub("", clean_text(text))).strip()
    return text if len(text) <= 120 else text[:119].rsplit(" ", 1)[0] + "…"


def _clean_url(value: Any, base: str) -> str:
    """Return an absolute http(s) URL with a host and a valid port, or "".

    A javascript: link must never reach a chat, and a link no URL parser accepts
    (`http://[oops`) must not stop the item that carries it.
    """
    text = "".join(_cap(value, 4000).split())  # feeds break long links across lines
    if not text:
        return ""
    try:
        absolute = urljoin(base, text) if base else text
        parts = urlsplit(absolute)
        _ = parts.port  # raises ValueError outside 0-65535
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    return absolute


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
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):  # year 1 at UTC+1 has no UTC time
        return None


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
