"""What the core needs of a chat platform and of the digest engine, declared structurally.

`adapters.base.ChatAdapter` implements the platform side and `digests.engine.DigestEngine` the
engine; declaring them here keeps every arrow pointing inward: the core never imports the
adapters package, nor picks an engine (only the composition root, `bot.compose`, does).
"""

from __future__ import annotations

from typing import Any, Protocol

from bot.models import Reply
from digests.model import Article, Digest


class Summarizer(Protocol):
    """Turn an article into its digest (CPU-bound: the pipeline calls it off the event loop)."""

    def summarize(self, article: Article) -> Digest:
        """Digest one article."""
        ...


class Sender(Protocol):
    """Send messages to one platform's chats; failures use the core's SendError family."""

    async def send_digest(self, chat_id: str, digest: Digest, *, note: str | None = None) -> None:
        """Post one digest or raise ChatGoneError / RetryLaterError / RejectedError / SendError."""
        ...

    async def send_reply(self, chat_id: str, reply: Reply) -> None:
        """Post one reply or raise like `send_digest`."""
        ...


class Platform(Sender, Protocol):
    """A running chat platform: a name, a lifecycle and the ability to send."""

    platform: str

    async def start(self, handler: Any) -> None:
        """Connect and route commands to `handler` (a `bot.chat.commands.Commands`)."""
        ...

    async def stop(self) -> None:
        """Disconnect (idempotent)."""
        ...
