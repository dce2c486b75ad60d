"""Render digests and replies as Telegram HTML within Telegram's limits.

Pure functions, no PTB types: the adapter turns the strings into API calls. Every string that
comes from a feed or a user goes through `html.escape`, so a title such as `Loi <Informatique>
& Libertés` is shown, never parsed. Telegram counts message length in UTF-16 code units; we
measure the HTML source, which is never shorter than what Telegram counts, so a message that
fits here fits there.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.feeds.urls import link_target
from bot.models import Button, Reply, ReplyItem
from digests.model import Digest
from digests.render import actor_label, french_date

MAX_MESSAGE = 4096  # sendMessage text limit
MAX_CALLBACK_DATA = 64  # bytes of an inline button's callback_data
MAX_TITLE = 300
MAX_NAME = 120
MAX_LISTED = 10  # actors or legal items shown per digest
ELLIPSIS = "…"

LEGAL_LABELS = {"infraction": "Infraction", "procédure": "Procédure", "peine": "Peine", "loi": "Loi"}


def utf16_len(text: str) -> int:
    """Count UTF-16 code units, the unit of Telegram's length limits (emoji count twice)."""
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """Escape text for Telegram HTML: `<`, `>` and `&`, the three characters it parses."""
    return html.escape(text, quote=False)


def escape_attribute(value: str) -> str:
    """Escape a double-quoted attribute value (an href) with the named entities Telegram knows."""
    return escape(value).replace('"', "&quot;")


def clip(text: str, limit: int) -> str:
    """Shorten plain text to `limit` characters at a word boundary, marking the cut with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + ELLIPSIS


def escaped_within(text: str, budget: int) -> str:
    """Return `text` escaped and clipped so that the escaped form fits `budget` UTF-16 units.

    Clipping happens on the plain text, so an entity such as `&amp;` is never cut in half.
    """
    if budget <= 0:
        return ""
    rendered = escape(text)
    limit = len(text)
    while utf16_len(rendered) > budget and limit > 0:
        limit -= max(utf16_len(rendered) - budget, 1)
        rendered = escape(clip(text, max(limit, 0)))
    return rendered


def link(url: str, label: str) -> str:
    """Render an escaped link, or the label alone when `link_target` refuses the URL.

    Only well-formed http(s) URLs with a host become links: no `javascript:` from feeds, no
    address Telegram would refuse (and with it the whole message).
    """
    target = link_target(url)
    if target is not None:
        return f'<a href="{escape_attribute(target)}">{escape(label)}</a>'
    return escape(label)


def format_date(moment: datetime, tz: ZoneInfo) -> str:
    """Format a publication time the French way, in the chat's time zone: 14 mars 2025 à 09:30.

    The date is `french_date`'s, as on Discord and in the console ("1er mars"). A date given
    without a time (midnight UTC, as pages often declare it) shows as a date only, rather than
    as a made-up hour.
    """
    if moment.hour == moment.minute == moment.second == 0:
        return french_date(moment)
    if moment.tzinfo is not None:
        moment = moment.astimezone(tz)
    return f"{french_date(moment)} à {moment:%H:%M}"


def render_digest(digest: Digest, *, note: str | None = None, tz: ZoneInfo | None = None) -> str:
    """Render one digest as a single HTML message of at most 4096 characters.

    Layout: optional note, linked bold title, source and date, the summary, then the actors
    with their roles and the legal points. The summary is what gets shortened when the whole
    does not fit; the link preview (set by the adapter) shows the article itself.
    """
    head: list[str] = []
    if note:
        head.append(f"<i>{escape(clip(note, MAX_TITLE))}</i>")
    title = clip(digest.title or digest.url or "Sans titre", MAX_TITLE)
    head.append(f"<b>{link(digest.url, title)}</b>")
    byline = [clip(digest.source, MAX_NAME)] if digest.source else []
    if digest.published is not None:
        byline.append(format_date(digest.published, tz or ZoneInfo("Europe/Paris")))
    if byline:
        head.append(f"<i>{escape(' · '.join(byline))}</i>")

    tail: list[str] = []
    if digest.actors:
        tail.append("<b>Acteurs</b>")
        for actor in digest.actors[:MAX_LISTED]:
            tail.append(f"• {escape(clip(actor_label(actor), MAX_NAME))}")
    if digest.legal:
        tail.append("<b>Enjeux juridiques</b>")
        for item in digest.legal[:MAX_LISTED]:
            label = LEGAL_LABELS.get(item.kind, item.kind.capitalize())
            tail.append(f"• {escape(label)} : {escape(clip(item.text, MAX_NAME))}")

    head_html = "\n".join(head)
    tail_html = "\n".join(tail)
    summary = (digest.summary or "").strip()
    if not summary:
        return "\n\n".join(part for part in (head_html, tail_html) if part)
    fixed = utf16_len(head_html) + (utf16_len(tail_html) + 2 if tail_html else 0) + 2
    body = escaped_within(summary, MAX_MESSAGE - fixed)
    return "\n\n".join(part for part in (head_html, body, tail_html) if part)


def split_text(text: str, limit: int) -> list[str]:
    """Cut one plain-text line into pieces whose escaped form fits `limit`, at spaces if possible."""
    if utf16_len(escape(text)) <= limit:
        return [escape(text)]
    pieces: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if utf16_len(escape(candidate)) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(escape(current))
        while utf16_len(escape(word)) > limit:  # one "word" longer than a message: cut it
            size = limit // 5 or 1  # an escaped character takes at most 5 units (&amp;)
            pieces.append(escape(word[:size]))
            word = word[size:]
        current = word
    if current:
        pieces.append(escape(current))
    return pieces


def render_item(item: ReplyItem) -> str:
    """Render one reply item: its title, linked when it has a URL, then its detail."""
    line = link(item.url, clip(item.title, MAX_TITLE)) if item.url else escape(clip(item.title, MAX_TITLE))
    if item.detail:
        line += f" — {escape(clip(item.detail, MAX_TITLE))}"
    return line


def pack_lines(lines: Iterable[str], limit: int = MAX_MESSAGE) -> list[str]:
    """Join rendered lines into as few messages as possible, breaking only between lines."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        extra = utf16_len(line) + (1 if current else 0)
        if current and size + extra > limit:
            chunks.append("\n".join(current))
            current, size = [], 0
            extra = utf16_len(line)
        current.append(line)
        size += extra
    if current:
        chunks.append("\n".join(current))
    return chunks or [""]


def render_reply(reply: Reply, *, limit: int = MAX_MESSAGE) -> list[str]:
    """Render a reply as one or more HTML messages, split on line boundaries."""
    lines: list[str] = []
    for raw in reply.text.split("\n"):
        lines.extend(split_text(raw, limit))
    lines.extend(render_item(item) for item in reply.items)
    return pack_lines(lines, limit)


def usable_buttons(buttons: Sequence[Button]) -> list[Button]:
    """Keep the buttons whose data fits Telegram's 64-byte callback_data."""
    return [b for b in buttons if 0 < len(b.data.encode("utf-8")) <= MAX_CALLBACK_DATA]


ANCHOR = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)
TAG = re.compile(r"<[^>]*>")


def plain_text(text: str) -> str:
    """Turn our Telegram HTML into the same message as plain text, links kept as "label (url)".

    The degraded form of a message Telegram refused to parse: sent without a parse mode, it
    cannot be refused for its markup. Never longer than the HTML it comes from.
    """
    linked = ANCHOR.sub(lambda m: f"{m[2]} ({m[1]})" if m[2] != m[1] else m[1], text)
    return html.unescape(TAG.sub("", linked))


def split_html(text: str, limit: int) -> list[str]:
    """Split our Telegram HTML into messages of at most `limit` units, between lines.

    Each line of a rendered digest or reply is complete HTML (title, byline, summary, one
    actor or legal point), so a break between lines never cuts a tag. A line longer than
    `limit` (only the summary can be) is cut at spaces, which never fall inside an entity;
    if it carries tags, they are dropped first.
    """
    lines: list[str] = []
    for line in text.split("\n"):
        if utf16_len(line) <= limit:
            lines.append(line)
            continue
        if TAG.search(line):
            line = escape(html.unescape(TAG.sub("", line)))
        lines.extend(_cut_escaped(line, limit))
    chunks = [chunk.strip("\n") for chunk in pack_lines(lines, limit)]
    return [chunk for chunk in chunks if chunk.strip()]


def _cut_escaped(line: str, limit: int) -> list[str]:
    """Cut one escaped, tag-free line at spaces into pieces of at most `limit` units."""
    pieces: list[str] = []
    current = ""
    for word in line.split(" "):
        candidate = f"{current} {word}" if current else word
        if utf16_len(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while utf16_len(word) > limit:  # no space to cut at: cut before an entity, never in it
            size = max(limit, 1)
            while utf16_len(word[:size]) > limit:
                size -= 1
            amp = word.rfind("&", 0, size)
            if amp > 0 and ";" not in word[amp:size]:
                size = amp
            pieces.append(word[:size])
            word = word[size:]
        current = word
    if current:
        pieces.append(current)
    return pieces
