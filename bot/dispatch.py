"""Send queued deliveries through each chat's adapter: the outbox's consumer.

A delivery is marked sent only after the adapter returns. Chats are served concurrently, each
chat's messages in order; pacing within platform limits is the adapter's job. A row carries a
digest (instant, follow alert) or a message the adapter renders as a reply (daily digest,
feed notice).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping
from datetime import timedelta

import structlog

from bot.errors import ChatGoneError, RetryLaterError, SendError
from bot.ports import Sender
from bot.storage import DeliveryJob, Storage, utcnow

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 8


def retry_delay(attempts: int) -> timedelta:
    """Back off 5 s, 10 s, 20 s … up to 30 min between failed attempts."""
    return timedelta(seconds=min(5 * 2**attempts, 1800))


async def send(adapter: Sender, job: DeliveryJob) -> None:
    """Send one outbox row: a digest (instant, follow alert) or a message (daily digest, notice)."""
    if job.message is not None:
        await adapter.send_reply(job.chat.external_id, job.message)
    else:
        assert job.digest is not None  # the schema holds a digest or a message, never neither
        await adapter.send_digest(job.chat.external_id, job.digest, note=job.note)


class Dispatcher:
    """Drain the outbox: claim due deliveries, send them, record the outcome."""

    def __init__(
        self,
        storage: Storage,
        adapters: Mapping[str, Sender],
        *,
        batch_size: int = 500,
        concurrency: int = 64,
    ) -> None:
        self.storage = storage
        self.adapters = adapters
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.wakeup = asyncio.Event()
        self.stopping = False

    def request_stop(self) -> None:
        """Finish the sends in flight, put the rest back in the queue, and leave the loop."""
        self.stopping = True
        self.wakeup.set()

    def poke(self) -> None:
        """Wake the dispatcher loop: new deliveries were queued."""
        self.wakeup.set()

    async def run_once(self) -> int:
        """Send every delivery due now; return how many were sent."""
        sent = 0
        gate = asyncio.Semaphore(self.concurrency)
        while not self.stopping:
            jobs = await self.storage.claim_deliveries(utcnow(), limit=self.batch_size)
            if not jobs:
                return sent
            by_chat: dict[int, list[DeliveryJob]] = defaultdict(list)
            for job in jobs:
                by_chat[job.chat.id].append(job)

            async def serve(chat_jobs: list[DeliveryJob]) -> int:
                async with gate:
                    return await self._send_chat(chat_jobs)

            round_sent = sum(await asyncio.gather(*(serve(js) for js in by_chat.values())))
            sent += round_sent
            if round_sent == 0:
                return sent  # everything due was told to wait: the scheduled poke comes back for it
        return sent

    async def run_forever(self, *, idle_seconds: float = 5.0) -> None:
        """Loop until cancelled: drain, then sleep until poked or `idle_seconds` pass."""
        while not self.stopping:
            self.wakeup.clear()
            try:
                await self.run_once()
            except Exception as exc:  # noqa: BLE001  # the loop must outlive any one bad batch
                log.error("dispatch.loop_error", error=repr(exc)[:300])
            try:
                await asyncio.wait_for(self.wakeup.wait(), timeout=idle_seconds)
            except TimeoutError:
                pass
        log.info("dispatch.stopped")

    async def _send_chat(self, jobs: list[DeliveryJob]) -> int:
        """Send one chat's deliveries in order; stop at the first that must wait."""
        sent = 0
        for index, job in enumerate(jobs):
            if self.stopping:
                await self._release(jobs[index:], "shutting down", timedelta(0), count=False)
                return sent
            adapter = self.adapters.get(job.chat.platform)
            if adapter is None:
                # The platform is not running in this process (no token): keep it for later.
                await self._release(jobs[index:], "adapter not running", timedelta(minutes=5), count=False)
                return sent
            try:
                await send(adapter, job)
            except ChatGoneError as exc:
                if await self.storage.set_chat_active(job.chat.id, False):
                    log.warning(
                        "chat.inactive", chat_id=job.chat.id, platform=job.chat.platform, error=str(exc)
                    )
                return sent
            except RetryLaterError as exc:
                wait = timedelta(seconds=max(exc.retry_after, 0.05))
                await self._release(jobs[index:], str(exc), wait, count=False)
                return sent
            except (SendError, OSError, TimeoutError) as exc:
                await self._fail(job, str(exc) or repr(exc))
                await self._release(jobs[index + 1 :], "previous message failed", retry_delay(0), count=False)
                return sent
            await self.storage.mark_sent(job.id)
            sent += 1
        return sent

    async def _fail(self, job: DeliveryJob, error: str) -> None:
        if job.attempts + 1 >= MAX_ATTEMPTS:
            log.error("delivery.failed", delivery_id=job.id, error=error)
            await self.storage.mark_failed(job.id, error)
        else:
            log.warning("delivery.retry", delivery_id=job.id, attempts=job.attempts + 1, error=error)
            await self.storage.mark_retry(
                job.id, error=error, next_attempt_at=utcnow() + retry_delay(job.attempts + 1)
            )

    async def _release(self, jobs: list[DeliveryJob], reason: str, wait: timedelta, *, count: bool) -> None:
        if jobs and not self.stopping:
            # Come back when they are due rather than at the next idle wake-up.
            asyncio.get_running_loop().call_later(wait.total_seconds(), self.poke)
        for job in jobs:
            await self.storage.mark_retry(
                job.id, error=reason, next_attempt_at=utcnow() + wait, count_attempt=count
            )
