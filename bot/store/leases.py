"""One process's leases on shared rows: who it is, how long it holds a row, and the renewals.

Several processes share one store (`veille run --role poller` N times, one `--role chat`): each
claims due feeds, pending entries and deliveries under its own owner name for `duration`, and
renews every lease it holds each third of that while it runs, so a slow fetch or a long digest
never loses its row to another process. A process killed mid-cycle stops renewing: its rows are
taken over once their lease expires, within one `duration`. A clean stop gives them back.

Owner names: a poller is `poller:<host>:<pid>` (unique among live processes; a container keeps
its host name and pid across a restart, so its next run takes its own leases back at once); a
chat process is `chat:<platforms>` (one consumer per bot token: its next run is its successor);
the single process of `--role all` is `veille` (the default owner of `Outbox.claim`).
`VEILLE_WORKER_ID` names a process explicitly.
"""

from __future__ import annotations

import asyncio
import os
import socket
from datetime import datetime, timedelta

import structlog

from bot.models import utcnow
from bot.store.protocols import Store

log = structlog.get_logger(__name__)


def default_owner(role: str, platforms: list[str]) -> str:
    """Name this process's leases for its role (see the module docstring)."""
    if role == "poller":
        return f"poller:{socket.gethostname()}:{os.getpid()}"
    if role == "chat":
        return "chat:" + ",".join(sorted(platforms))
    return "veille"


class Leases:
    """The leases one process holds in a store, renewed in the background while it runs."""

    def __init__(self, store: Store, owner: str, duration: timedelta) -> None:
        self.store = store
        self.owner = owner
        self.duration = duration
        self._task: asyncio.Task[None] | None = None

    def until(self, now: datetime | None = None) -> datetime:
        """Return when a lease taken now expires."""
        return (now or utcnow()) + self.duration

    async def renew(self) -> int:
        """Extend every lease this owner holds (feeds, entries, deliveries); return how many."""
        until = self.until()
        held = await self.store.feeds.renew_leases(self.owner, until)
        held += await self.store.entries.renew_leases(self.owner, until)
        held += await self.store.outbox.renew_leases(self.owner, until)
        return held

    async def take_back(self) -> None:
        """Release what a previous run under this owner name left: it is dead, its work is ours."""
        feeds = await self.store.feeds.release_leases(self.owner)
        entries = await self.store.entries.release_leases(self.owner)
        if feeds or entries:
            log.info("leases.taken_back", owner=self.owner, feeds=feeds, entries=entries)

    async def release(self) -> None:
        """Give back the feeds and entries still held (a clean stop); never raises."""
        try:
            await self.store.feeds.release_leases(self.owner)
            await self.store.entries.release_leases(self.owner)
        except Exception as exc:  # noqa: BLE001  # the leases expire anyway
            log.warning("leases.release_failed", owner=self.owner, error=repr(exc)[:300])

    def start(self) -> None:
        """Renew the leases every third of their duration until `stop`."""
        if self._task is None:
            self._task = asyncio.create_task(self._renew_forever(), name="leases")

    async def stop(self) -> None:
        """Stop renewing."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task], timeout=1.0)
            self._task = None

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.duration.total_seconds() / 3)
            try:
                await self.renew()
            except Exception as exc:  # noqa: BLE001  # the next round retries; the lease is 3 rounds long
                log.warning("leases.renew_failed", owner=self.owner, error=repr(exc)[:300])
