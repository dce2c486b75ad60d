"""The one interface between Veille's core and a chat platform.

An adapter turns platform updates into `CommandContext`s for the core's `CommandHandler`, and
renders the core's `Reply`s and `Digest`s within its platform's limits. Send failures are
reported with the core's errors (`ChatGoneError`, `RetryLaterError`, `RejectedError`,
`SendError`) so the dispatcher can decide without knowing the platform: the adapter knows
which of its platform's answers can succeed later and which never will.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Protocol

from bot.chat.commands import CommandSpec
from bot.models import CommandContext, Reply
from digests.model import Digest


class CommandHandler(Protocol):
    """The core's entry point for chat commands (`bot.chat.commands.Commands` implements it)."""

    specs: Sequence[CommandSpec]

    def canonical(self, name: str) -> str:
        """Map an alias such as "subscribe" or "/list@veillebot" to the French command name."""
        ...

    async def __call__(self, ctx: CommandContext) -> Reply | None:
        """Run one command; None means "say nothing" (flood control)."""
        ...

    async def feed_choices(self, platform: str, chat_id: str, typed: str = "") -> list[tuple[str, str]]:
        """Return (label, value) pairs of a chat's feeds for autocomplete."""
        ...

    async def chat_moved(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """Carry a chat's settings to its new platform id."""
        ...

    async def chat_unreachable(self, platform: str, chat_id: str) -> None:
        """Stop sending to a chat the platform says is gone."""
        ...


class ChatAdapter(ABC):
    """One chat platform. Lifecycle: `start(handler)` … `stop()`; nothing async in `__init__`."""

    platform: str = ""

    @abstractmethod
    async def start(self, handler: CommandHandler) -> None:
        """Connect and begin routing commands to `handler`; return once ready."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop receiving commands and close connections (idempotent)."""

    @abstractmethod
    async def send_digest(self, chat_id: str, digest: Digest, *, note: str | None = None) -> None:
        """Post one digest; `note` is a French line shown above it (e.g. a follow alert).

        Raise `ChatGoneError` when the chat can no longer be reached, `RetryLaterError` when
        the platform asks to wait, `RejectedError` when it refuses this message for what it
        is (after one try in a degraded form: plain text, split, no embed), `SendError` for
        anything else worth retrying (network errors, 5xx).
        """

    @abstractmethod
    async def send_reply(self, chat_id: str, reply: Reply) -> None:
        """Post a core reply unprompted (daily digest, feed paused notice, follow alert)."""
