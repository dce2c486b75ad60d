"""The console chat answers every command, even when the core itself fails."""

from __future__ import annotations

from io import StringIO

from adapters.console import ConsoleAdapter
from bot.chat.commands import INTERNAL_ERROR
from bot.models import CommandContext, Reply
from tests.support.handlers import NoCommands


class ExplodingCommands(NoCommands):
    """A core whose entry point itself raises: the adapter's own net must answer."""

    async def __call__(self, ctx: CommandContext) -> Reply | None:
        raise RuntimeError("core bug")


async def test_an_exception_outside_the_core_gets_the_french_internal_error() -> None:
    stream = StringIO()
    console = ConsoleAdapter(stream=stream)
    await console.start(ExplodingCommands())
    reply = await console.command("/suivis")
    assert reply == INTERNAL_ERROR
    assert [m.text for m in console.messages] == [INTERNAL_ERROR.text]
    assert "Une erreur interne est survenue" in stream.getvalue()
