"""One poller's cycle: claim due feeds under a lease, poll them, then claim and digest new entries.

Several pollers may share a store (`veille run --role poller`, on any machines): each claims a
few due feeds at a time (`FeedRepository.claim_due`), so the cycle's feeds are spread over the
pollers and each is fetched by exactly one of them; recording a poll's result releases its
feed. Entries waiting for a digest are claimed the same way (`EntryRepository.claim_pending`), a
few at a time, so each digest is made once and one fetch serves every subscribed chat. A poller
killed mid-cycle leaves leases that expire: another poller takes its feeds and entries over
(`bot.store.leases`).

Claims are refilled as polls finish (not in rounds), so one slow feed does not hold up the
rest: a poller keeps a small backlog of claimed feeds (`CLAIM_ROUNDS` times its concurrency) and
claims more when it runs low, so that a 10,000-feed cycle costs about eighty claims.
"""

from __future__ import annotations

import asyncio
from collections import deque

import structlog

from bot.feeds.pipeline import Pipeline, PollOutcome
from bot.feeds.pollbatch import PollBatch
from bot.models import FeedRecord, utcnow
from bot.store.leases import Leases
from bot.store.protocols import PendingEntry, Store

log = structlog.get_logger(__name__)

# Entries leased per claim: few, so that idle pollers share a burst of new items.
ENTRY_CLAIM = 4
# Feeds leased per claim, in multiples of the concurrency.
CLAIM_ROUNDS = 4


class Poller:
    """Poll the due feeds and digest the pending entries this process can claim."""

    def __init__(self, store: Store, pipeline: Pipeline, leases: Leases, *, concurrency: int = 32) -> None:
        self.store = store
        self.pipeline = pipeline
        self.leases = leases
        self.concurrency = concurrency

    async def poll_due(self) -> list[PollOutcome]:
        """Claim and poll due feeds until none is left unclaimed; return each poll's outcome."""
        outcomes: list[PollOutcome] = []
        batch = PollBatch(self.store)
        running: set[asyncio.Task[PollOutcome]] = set()
        backlog: deque[FeedRecord] = deque()
        exhausted = False
        await self.pipeline.load_asked_intervals()
        try:
            while True:
                if not exhausted and len(backlog) < self.concurrency:
                    now = utcnow()
                    feeds = await self.store.feeds.claim_due(
                        now,
                        owner=self.leases.owner,
                        until=self.leases.until(now),
                        limit=CLAIM_ROUNDS * self.concurrency,
                    )
                    exhausted = not feeds
                    backlog.extend(feeds)
                while backlog and len(running) < self.concurrency:
                    running.add(asyncio.create_task(self.pipeline.poll_feed(backlog.popleft(), batch=batch)))
                if not running:
                    break
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                outcomes.extend(task.result() for task in done)  # poll_feed never raises
        finally:
            for task in running:
                task.cancel()
            if running:
                await asyncio.wait(running, timeout=1.0)
            await batch.flush()
            # Recording a poll released its feed: what is still held was not polled (a stop)
            # or its result not stored (logged); due again at once, not renewed forever.
            await self.store.feeds.release_leases(self.leases.owner)
        if outcomes:
            log.info("poll.cycle", owner=self.leases.owner, feeds=len(outcomes))
        return outcomes

    async def claim_entries(self, limit: int) -> list[PendingEntry]:
        """Lease a few entries waiting for a digest to this poller."""
        now = utcnow()
        return await self.store.entries.claim_pending(
            now, owner=self.leases.owner, until=self.leases.until(now), limit=min(limit, ENTRY_CLAIM)
        )

    async def digest_pending(self) -> int:
        """Digest the pending entries this poller can claim; return how many were made.

        Entries still held afterwards (a digest that could not be stored) are given back.
        """
        try:
            return await self.pipeline.digest_pending(claim=self.claim_entries)
        finally:
            await self.store.entries.release_leases(self.leases.owner)
