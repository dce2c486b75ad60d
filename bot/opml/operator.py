"""`veille opml import|export`: the OPML commands for whoever runs Veille, on the command line.

They run the chat commands' own functions on the store the composition root opens, for a chat named
`platform:id` (`telegram:-1001234`, `discord:9200…`, `console`), even while the bot runs
(SQLite in WAL mode takes turns). Bad input is one line on stderr and exit status 1.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from bot.chat.subscribe import SubscriptionService
from bot.config import Settings
from bot.errors import InputError
from bot.models import ChatRecord
from bot.opml.commands import chat_feeds, export_document, import_feeds
from bot.opml.document import MAX_OPML_BYTES, OpmlFeed, read_opml, too_large
from bot.store.protocols import Store

PLATFORMS = ("telegram", "discord", "console")


def parse_chat(text: str) -> tuple[str, str]:
    """Read `platform:id` (or `console`) into its two parts, or raise `InputError`."""
    platform, _, external_id = text.strip().partition(":")
    if platform == "console" and not external_id:
        external_id = "console"
    if platform not in PLATFORMS or not external_id.strip():
        raise InputError(f"--chat must be platform:id with platform one of {', '.join(PLATFORMS)}, not {text!r}")
    return platform, external_id.strip()


def read_file(path: Path) -> bytes:
    """Read an OPML file from disk, refusing one over the cap before reading it."""
    try:
        size = path.stat().st_size
        if size > MAX_OPML_BYTES:
            raise too_large(size)
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def read_import(path: Path) -> list[OpmlFeed]:
    """Read the feeds of an OPML file, or raise `InputError` naming the file."""
    try:
        return read_opml(read_file(path))
    except InputError as exc:
        raise InputError(f"cannot import {path}: {exc}") from None


async def import_file(
    storage: Store,
    subscriptions: SubscriptionService,
    feeds: list[OpmlFeed],
    chat_ref: str,
    *,
    out: TextIO = sys.stdout,
) -> int:
    """Subscribe a chat to `feeds` (from `read_import`); print one line per feed and a total.

    `storage` is open and `subscriptions` is the bot's own path, guards included (both from
    `bot.compose`).
    """
    platform, external_id = parse_chat(chat_ref)
    chat = await storage.chats.upsert(platform, external_id)
    report = await import_feeds(storage, subscriptions, chat, feeds)
    for feed in report.added:
        print(f"added     {feed.url}", file=out)
    for feed in report.already:
        print(f"present   {feed.url}", file=out)
    for feed, reason in report.refused:
        print(f"refused   {feed.url} — {reason}", file=out)
    print(
        f"{report.read} feeds read: {len(report.added)} added, {len(report.already)} already there, "
        f"{len(report.refused)} refused (chat {platform}:{external_id})",
        file=out,
    )
    return 0


async def export_file(
    settings: Settings, storage: Store, chat_ref: str, output: Path | None, *, out: TextIO = sys.stdout
) -> int:
    """Write a chat's subscriptions as OPML 2.0 to `output`, or to stdout."""
    platform, external_id = parse_chat(chat_ref)
    chat: ChatRecord | None = await storage.chats.get(platform, external_id)
    feeds = await chat_feeds(storage, chat) if chat is not None else []
    if chat is None:
        raise InputError(f"no chat {platform}:{external_id} in {settings.db}")
    if not feeds:
        raise InputError(f"chat {platform}:{external_id} has no subscriptions")
    file = export_document(feeds, chat_title=chat.title)
    if output is None:
        out.write(file.data.decode("utf-8"))
        return 0
    try:
        output.write_bytes(file.data)
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror or exc}") from None
    print(f"{len(feeds)} feeds written to {output}", file=sys.stderr)
    return 0
