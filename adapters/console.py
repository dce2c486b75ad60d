"""A chat in the terminal: commands on stdin, messages on stdout.

It is the demo's chat, the fallback of `veille run` without tokens, and the test chat of the
core (every message it prints is also kept in `messages`).
"""

from __future__ import annotations

import asyncio
import sys
import threading
from dataclasses import dataclass
from typing import TextIO

import structlog

from adapters.base import ChatAdapter, CommandHandler
from bot.chat.commands import INTERNAL_ERROR
from bot.models import CommandContext, Reply
from digests.model import Digest

log = structlog.get_logger(__name__)

PROMPT = "À vous : tapez une commande (/aide pour la liste, Ctrl-D pour quitter)."


@dataclass(frozen=True, slots=True)
class ConsoleMessage:
    """One message the console chat showed: a digest or a reply, as text."""

    chat_id: str
    text: str
    digest: Digest | None = None
    reply: Reply | None = None


def reply_as_text(reply: Reply) -> str:
    """Render a reply as plain text: its text, its items one per line, its buttons as hints."""
    lines = [reply.text]
    for item in reply.items:
        line = f"  {item.title}"
        if item.url:
            line += f" <{item.url}>"
        if item.detail:
            line += f" — {item.detail}"
        lines.append(line)
    if reply.buttons:
        lines.append("  [" + "] [".join(f"{b.label} → /{b.data}" for b in reply.buttons) + "]")
    return "\n".join(lines)


def digest_as_text(digest: Digest, note: str | None = None) -> str:
    """Render a digest as the console shows it: the engine's text and the link."""
    parts = [note] if note else []
    parts.append(digest.text)
    if digest.url:
        parts.append(digest.url)
    return "\n".join(parts)


class ConsoleAdapter(ChatAdapter):
    """One console chat (id "console" by default); `read_stdin` makes it interactive."""

    platform = "console"

    def __init__(
        self, *, chat_id: str = "console", stream: TextIO | None = None, read_stdin: bool = False
    ) -> None:
        self.chat_id = chat_id
        self.stream = stream if stream is not None else sys.stdout
        self.read_stdin = read_stdin
        self.messages: list[ConsoleMessage] = []
        self.handler: CommandHandler | None = None
        self.closed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def start(self, handler: CommandHandler) -> None:
        """Start routing commands; read stdin in the background when interactive."""
        self.handler = handler
        if self.read_stdin:
            self.start_reading()

    def start_reading(self) -> None:
        """Open the chat to the user: say so, then read commands from stdin until its end.

        Separate from `start` so that a scripted session (the demo) can hand over only once
        its own output is done, and the user's first line never lands in the middle of it.
        """
        if self._reader is None:
            self._reader = asyncio.create_task(self._read_loop(), name="console-stdin")

    async def stop(self) -> None:
        """Stop reading stdin."""
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None

    async def command(
        self, line: str, *, chat_id: str | None = None, user_id: str = "console-user"
    ) -> Reply | None:
        """Run one command line such as "/abonner https://…" as if typed in a chat.

        `chat_id` picks another console chat than the default one, so one adapter can stand
        for several chats in tests; `messages_for` then tells them apart.
        """
        if self.handler is None:
            raise RuntimeError("ConsoleAdapter.start() was not awaited")
        text = line.strip()
        name, _, args = text.lstrip("/").partition(" ")
        ctx = CommandContext(
            platform=self.platform,
            chat_id=chat_id or self.chat_id,
            user_id=user_id,
            command=self.handler.canonical(name),
            args=args.strip(),
            chat_title="Console",
        )
        try:
            reply = await self.handler(ctx)
        except Exception:  # a bug outside the core's own net still gets an answer
            log.exception("console.command_failed", command=ctx.command[:40])
            reply = INTERNAL_ERROR
        if reply is not None:
            await self.send_reply(ctx.chat_id, reply)
        return reply

    def messages_for(self, chat_id: str) -> list[ConsoleMessage]:
        """Return the messages shown in one chat."""
        return [m for m in self.messages if m.chat_id == chat_id]

    def digests_for(self, chat_id: str) -> list[Digest]:
        """Return the digests delivered to one chat, in order."""
        return [m.digest for m in self.messages if m.chat_id == chat_id and m.digest is not None]

    async def send_digest(self, chat_id: str, digest: Digest, *, note: str | None = None) -> None:
        """Print a digest."""
        self._show(ConsoleMessage(chat_id, digest_as_text(digest, note), digest=digest))

    async def send_reply(self, chat_id: str, reply: Reply) -> None:
        """Print a reply."""
        self._show(ConsoleMessage(chat_id, reply_as_text(reply), reply=reply))

    def _show(self, message: ConsoleMessage) -> None:
        self.messages.append(message)
        print(f"\n── {message.chat_id} ──\n{message.text}", file=self.stream, flush=True)

    async def _read_loop(self) -> None:
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str] = asyncio.Queue()

        def pump() -> None:
            # A daemon thread, not the loop's executor: a thread blocked in readline() must
            # never hold up the process's exit on SIGTERM.
            for line in sys.stdin:
                loop.call_soon_threadsafe(lines.put_nowait, line)
            loop.call_soon_threadsafe(lines.put_nowait, "")

        threading.Thread(target=pump, name="console-stdin", daemon=True).start()
        print(f"\n{PROMPT}", file=self.stream, flush=True)
        while True:
            line = await lines.get()
            if not line:
                self.closed.set()
                return
            if line.strip():
                try:
                    await self.command(line if line.startswith("/") else "/" + line)
                except Exception as exc:  # noqa: BLE001  # a bad line must not end the session
                    log.error("console.command_failed", error=repr(exc))
