"""Core domain objects shared by fetch, parse, storage, pipeline and the chat boundary.

Frozen dataclasses: feedparser dicts and platform payloads never get past the module that
reads them; what crosses module boundaries is one of these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Return the current time, aware, in UTC: the one clock of the core and its stores."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Entry:
    """One feed item, normalised from RSS 0.9x/1.0/2.0, Atom or JSON Feed.

    `uid` is stable across polls: guid/id → link → hash of title + date.
    `content` is the item's full HTML body when the feed carries one, else "";
    `summary` is the standfirst/description (HTML or text).
    """

    uid: str
    url: str
    title: str
    published: datetime | None = None
    summary: str = ""
    content: str = ""
    author: str = ""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed: its own title and link, and its entries newest first as published."""

    title: str
    link: str
    entries: tuple[Entry, ...] = ()


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """A feed as stored: the polling state the scheduler and fetcher need."""

    id: int
    url: str
    title: str = ""
    etag: str | None = None
    last_modified: str | None = None
    status: str = "active"  # active | paused | gone
    consecutive_errors: int = 0
    last_error: str | None = None
    next_poll_at: datetime | None = None
    first_error_at: datetime | None = None
    body_hash: str | None = None  # fingerprint of the body its entries were last stored from


@dataclass(frozen=True, slots=True)
class ChatRecord:
    """A chat (Telegram chat, Discord channel, console) as stored."""

    id: int
    platform: str
    external_id: str
    title: str = ""
    timezone: str = "Europe/Paris"
    daily_time: str | None = None  # "HH:MM" local, or None when off
    mode: str = "instant"  # instant | quotidien | both
    active: bool = True


@dataclass(frozen=True, slots=True)
class CommandContext:
    """Everything a platform-neutral command handler needs to know about one command.

    Adapters fill it from their platform's update; `is_admin` is None in private chats
    (the user owns the chat) and a bool in groups/servers, computed by the adapter.
    """

    platform: str
    chat_id: str
    user_id: str
    command: str  # canonical French name, without slash: "abonner", "aide", …
    args: str = ""
    chat_title: str = ""
    is_group: bool = False
    is_admin: bool | None = None


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button under a reply; `data` is routed back as a command ("desabonner 3")."""

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class ReplyItem:
    """One linked line of a reply (a search result, a feed in a list)."""

    title: str
    url: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """A platform-neutral answer: French plain text (adapters escape it), items and buttons."""

    text: str
    items: tuple[ReplyItem, ...] = ()
    buttons: tuple[Button, ...] = ()
    ephemeral: bool = False
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    def to_json(self) -> str:
        """Serialise for the outbox (daily digests, notices); `from_json` reads it back."""
        return json.dumps(
            {
                "text": self.text,
                "items": [[i.title, i.url, i.detail] for i in self.items],
                "buttons": [[b.label, b.data] for b in self.buttons],
                "extra": self.extra,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, raw: str) -> Reply:
        """Rebuild a reply stored by `to_json`."""
        data = json.loads(raw)
        return cls(
            text=data["text"],
            items=tuple(ReplyItem(*item) for item in data.get("items", ())),
            buttons=tuple(Button(*button) for button in data.get("buttons", ())),
            extra=dict(data.get("extra", {})),
        )
