"""Fixtures for core feature tests: a running core with a console chat on a temp database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter
from bot.app import Veille
from bot.chat.commands import FloodGuard
from bot.models import ChatRecord
from tests.support.core import running_core


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[tuple[Veille, ConsoleAdapter]]:
    """A started core (no background loops) whose console chat may send many commands."""
    async with running_core(tmp_path) as (app, console):
        app.commands.flood = FloodGuard(limit=10_000)
        yield app, console


@pytest.fixture
async def chat(core: tuple[Veille, ConsoleAdapter]) -> ChatRecord:
    """The console chat, as stored."""
    app, _ = core
    return await app.storage.chats.upsert("console", "console", "Console")
