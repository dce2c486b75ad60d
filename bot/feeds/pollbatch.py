"""Collect a cycle's poll results (304s, errors) and write them many to a transaction.

Why: one transaction per feed meant a round trip to the SQLite thread, a BEGIN and a COMMIT
for each of thousands of 304s. Batching is safe for these results only: a batch lost in a
crash means its feeds are polled again with the validators they had, so nothing is lost. A
200 with entries never waits here: its ETag lands with its entries (`Store.add_entries`).
"""

from __future__ import annotations

import structlog

from bot.store.protocols import PollRecord, Store

log = structlog.get_logger(__name__)

BATCH_SIZE = 500


class PollBatch:
    """Buffer poll results and write them in one transaction per `size` results."""

    def __init__(self, storage: Store, *, size: int = BATCH_SIZE) -> None:
        self._storage = storage
        self._size = size
        self._pending: list[PollRecord] = []

    async def add(self, poll: PollRecord) -> None:
        """Queue one result; write the batch once it is full."""
        self._pending.append(poll)
        if len(self._pending) >= self._size:
            await self.flush()

    async def flush(self) -> None:
        """Write what is queued; never raises.

        If the batch's transaction fails, each result is retried alone, so a row SQLite
        refuses loses only its own feed's result (logged), as when each feed had its own.
        """
        polls, self._pending = self._pending, []
        if not polls:
            return
        try:
            await self._storage.feeds.record_polls(polls)
            return
        except Exception as exc:  # noqa: BLE001  # retried one by one below
            log.error("poll.batch_failed", polls=len(polls), error=repr(exc)[:300])
        for poll in polls:
            try:
                await self._storage.feeds.record_polls([poll])
            except Exception as exc:  # noqa: BLE001  # one feed's result must not stop the others
                log.error("feed.poll_not_recorded", feed_id=poll.feed_id, error=repr(exc)[:300])
