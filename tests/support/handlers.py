"""A command handler for adapter tests and benches that only send: no command ever arrives."""

from __future__ import annotations

from collections.abc import Sequence

from bot.chat.commands import CommandSpec
from bot.models import CommandContext, Reply


class NoCommands:
    """Satisfy `adapters.base.CommandHandler` with no commands at all."""

    specs: Sequence[CommandSpec] = ()

    def canonical(self, name: str) -> str:
        """Return the name unchanged: there is nothing to map."""
        return name

    async def __call__(self, ctx: CommandContext) -> Reply | None:
        """Answer nothing."""
        return None

    async def feed_choices(self, platform: str, chat_id: str, typed: str = "") -> list[tuple[str, str]]:
        """Offer no feed."""
        return []

    async def chat_moved(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """Ignore moves."""

    async def chat_unreachable(self, platform: str, chat_id: str) -> None:
        """Ignore lost chats."""
