"""Rules every storage backend applies alike, so a database copied across stays consistent.

An entry's fingerprint (what a reader would notice changing) and the order in which a feed's
new entries are queued for a digest are decisions of Veille, not of a database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.models import Entry


def content_hash(entry: Entry) -> str:
    """Hash what a reader would notice changing in an entry."""
    raw = "\x1f".join((entry.title, entry.url, entry.summary, entry.content))
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def newest_first(entries: Sequence[Entry]) -> list[Entry]:
    """Order entries newest first: by published date when known, else in the feed's own order."""
    floor = datetime.min.replace(tzinfo=UTC)
    order = {e.uid: i for i, e in enumerate(entries)}
    return sorted(entries, key=lambda e: (e.published or floor, -order[e.uid]), reverse=True)
