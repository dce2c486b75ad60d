"""Parse only the items of a changed feed that were not in its last stored body.

Why: a feed that publishes one item still sends its 50 others, and feedparser reads ~30 KB
at ~13 ms, most of a changed poll's CPU. The items are byte spans in the document:
`scan_items` finds them with expat (C; Python runs once per element, not per character),
`ItemMemory` keeps, per feed, a digest of each item span whose entries are stored, and
`unseen_only` cuts the known spans out of the body, so feedparser reads the channel and the
new items only. Everything else in the document (prolog, channel metadata, whatever sits
between items) is kept, so the feed's title and the new items parse exactly as before.

Why this yields the same stored entries as a full parse: an item's entry depends only on
its own bytes and on what encloses it (the URL and Content-Type it is resolved against, the
start tags of its ancestors, which carry xml:base, xml:lang and namespace declarations),
and all of that is in the key; an item whose key is known was stored, or dropped, when it
was seen, and `store.entries.add` would ignore its uid again; the store orders new
entries by date itself. Where that reasoning does not hold, the whole body is parsed:
no memory yet (first poll, restart), expat cannot read the document (feedparser's lenient
path may still), UTF-16/32, entity declarations (refused by parse_feed anyway), an empty
`<item/>`, more items than parse_feed keeps. Memory is written only after the entries are
stored, so a failed store never marks items as seen.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from xml.parsers import expat

from bot.feeds.parse import DEFAULT_MAX_ENTRIES, _wide_codec, declares_entities

ITEM_NAMES = frozenset({"item", "entry"})
KEY_BYTES = 8  # per feed and context: a hostile feed colliding only hides its own item
MAX_REMEMBERED_FEEDS = 50_000  # ~0.5 KB each: bounded whatever the number of feeds


@dataclass(frozen=True, slots=True)
class ItemScan:
    """Where a body's items are, and what identifies each (with its context)."""

    context: bytes
    spans: tuple[tuple[int, int], ...]
    keys: tuple[bytes, ...]


class _Stop(Exception):
    """Raised from an expat handler: this document is parsed whole."""


def scan_items(body: bytes, *, url: str, content_type: str, max_items: int = DEFAULT_MAX_ENTRIES) -> ItemScan | None:
    """Find the top-level item/entry elements of `body`; None when it must be parsed whole."""
    if _wide_codec(body) is not None or declares_entities(body):
        return None
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    ancestors: list[tuple[str, tuple[str, ...]]] = []
    spans: list[tuple[int, int]] = []
    contexts: set[tuple[tuple[str, tuple[str, ...]], ...]] = set()
    depth = 0
    item_depth = 0  # depth of the item being read, 0 outside items
    item_start = 0

    def start(name: str, attrs: list[str]) -> None:
        nonlocal depth, item_depth, item_start
        depth += 1
        if item_depth:
            return
        if name.rpartition(":")[2] in ITEM_NAMES and depth > 1:
            item_depth, item_start = depth, parser.CurrentByteIndex
            contexts.add(tuple(ancestors))
        else:
            ancestors.append((name, tuple(attrs)))

    def end(name: str) -> None:
        nonlocal depth, item_depth
        if item_depth == depth:
            at = parser.CurrentByteIndex
            if body[at : at + 2] != b"</":
                raise _Stop  # <item/>: no end tag to cut at
            close = body.find(b">", at)
            if close == -1:
                raise _Stop
            spans.append((item_start, close + 1))
            if len(spans) > max_items:
                raise _Stop
            item_depth = 0
        elif not item_depth:
            ancestors.pop()
        depth -= 1

    parser.ordered_attributes = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(body, True)
    except (expat.ExpatError, _Stop, ValueError):
        return None
    if len(contexts) > 1:
        return None  # items under different parents: unusual enough to read whole
    context = hashlib.blake2b(
        repr((url, content_type, sorted(contexts))).encode("utf-8", "surrogatepass"), digest_size=16
    ).digest()
    keys = tuple(hashlib.blake2b(body[a:b], digest_size=KEY_BYTES).digest() for a, b in spans)
    return ItemScan(context=context, spans=tuple(spans), keys=keys)


class ItemMemory:
    """Per feed, the context and item keys of the last body whose entries were stored."""

    def __init__(self, max_feeds: int = MAX_REMEMBERED_FEEDS) -> None:
        self._max = max_feeds
        self._feeds: OrderedDict[int, tuple[bytes, bytes]] = OrderedDict()

    def remember(self, feed_id: int, scan: ItemScan | None) -> None:
        """Record `scan` as stored for `feed_id` (None forgets the feed)."""
        if scan is None:
            self._feeds.pop(feed_id, None)
            return
        self._feeds[feed_id] = (scan.context, b"".join(sorted(set(scan.keys))))
        self._feeds.move_to_end(feed_id)
        while len(self._feeds) > self._max:
            self._feeds.popitem(last=False)

    def known(self, feed_id: int, context: bytes) -> frozenset[bytes]:
        """Return the item keys stored for `feed_id` under `context` (empty when none)."""
        remembered = self._feeds.get(feed_id)
        if remembered is None or remembered[0] != context:
            return frozenset()
        blob = remembered[1]
        return frozenset(blob[i : i + KEY_BYTES] for i in range(0, len(blob), KEY_BYTES))

    def unseen_only(self, feed_id: int, body: bytes, scan: ItemScan | None) -> bytes:
        """Return `body` without the items already stored for `feed_id` (or `body` itself)."""
        if scan is None:
            return body
        known = self.known(feed_id, scan.context)
        if not known:
            return body
        parts: list[bytes] = []
        pos = 0
        for (start, end), key in zip(scan.spans, scan.keys, strict=True):
            if key in known:
                parts.append(body[pos:start])
                pos = end
        parts.append(body[pos:])
        return b"".join(parts)
