"""Send queued deliveries through each chat's adapter: the outbox's consumer.

A delivery is marked sent only after the adapter returns. Chats are served concurrently, each
chat's messages in order; pacing within platform limits is the adapter's job. A row carries a
digest (instant, follow alert) or a message the adapter renders as a reply (daily digest,
feed notice).

What happens to a delivery depends on what the adapter raised:

    RetryLaterError   the platform (or the pacer) says wait: back in the queue after that
                      wait, clamped to a finite delay; not counted as an attempt
    RejectedError     the platform refused this message even in its degraded form: failed at
                      once with the platform's answer stored; the chat's next message goes on
    ChatGoneError     the chat is marked inactive (its queue is dropped)
    SendError, OSError, TimeoutError
                      network, 5xx: retried with backoff, failed after MAX_ATTEMPTS
    anything else     a bug: counted and backed off like a send error, with a traceback in
                      the log; the chat's other jobs are put back, never left in 'sending'
"""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from collections.abc import Collection, Mapping
from datetime import timedelta

import structlog

from bot.errors import ChatGoneError, RejectedError, RetryLaterError, SendError
from bot.models import utcnow
from bot.ports import Sender
from bot.store.protocols import DELIVERY_LEASE, DeliveryJob, Store

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 8
MAX_RETRY_DELAY = timedelta(hours=1)  # the longest any delivery is put back for
NONSENSE_WAIT = timedelta(minutes=1)  # what an infinite or NaN "retry after" becomes


def retry_delay(attempts: int) -> timedelta:
    """Back off 5 s, 10 s, 20 s … up to 30 min between failed attempts."""
    return timedelta(seconds=min(5 * 2**attempts, 1800))


def finite_delay(seconds: float) -> timedelta:
    """Turn a wait someone asked for into one the outbox can store: 50 ms to MAX_RETRY_DELAY.

    An infinite or NaN wait (a pacer's "unknown", a platform's nonsense) must never reach
    `timedelta`, which raises OverflowError and would leave the chat's jobs in 'sending'.
    """
    if not math.isfinite(seconds):
        return NONSENSE_WAIT
    return timedelta(seconds=min(max(seconds, 0.05), MAX_RETRY_DELAY.total_seconds()))


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
        storage: Store,
        adapters: Mapping[str, Sender],
        *,
        batch_size: int = 500,
        concurrency: int = 64,
        owner: str = "veille",
        lease: timedelta = DELIVERY_LEASE,
        platforms: Collection[str] | None = None,
    ) -> None:
        self.storage = storage
        self.adapters = adapters
        # Claims are leased to `owner` (renewed by bot.store.leases while it runs), and only
        # for chats of `platforms` when given (another process serves the others).
        self.owner = owner
        self.lease = lease
        self.platforms = platforms
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
            now = utcnow()
            jobs = await self.storage.outbox.claim(
                now, limit=self.batch_size, owner=self.owner, until=now + self.lease, platforms=self.platforms
            )
            if not jobs:
                return sent
            by_chat: dict[int, list[DeliveryJob]] = defaultdict(list)
            for job in jobs:
                by_chat[job.chat.id].append(job)

            async def serve(chat_jobs: list[DeliveryJob]) -> int:
                async with gate:
                    return await self._serve_chat(chat_jobs)

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

    async def _serve_chat(self, jobs: list[DeliveryJob]) -> int:
        """Send one chat's jobs; whatever goes wrong, put back those not yet settled."""
        settled: set[int] = set()
        try:
            return await self._send_chat(jobs, settled)
        except Exception as exc:  # noqa: BLE001  # one chat's failure must neither jam its jobs nor the loop
            log.error("dispatch.chat_failed", chat_id=jobs[0].chat.id, error=repr(exc)[:300], exc_info=True)
            unsettled = [job for job in jobs if job.id not in settled]
            await self._release(unsettled, f"internal error: {exc!r}", retry_delay(0), count=False)
            return 0

    async def _send_chat(self, jobs: list[DeliveryJob], settled: set[int]) -> int:
        """Send one chat's deliveries in order; stop at the first that must wait.

        Adds to `settled` each job whose outcome is recorded, so a failure half-way can put
        back exactly the others.
        """
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
                if await self.storage.chats.set_active(job.chat.id, False):
                    log.warning(
                        "chat.inactive", chat_id=job.chat.id, platform=job.chat.platform, error=str(exc)
                    )
                settled.update(j.id for j in jobs)  # the chat's queue is dropped with it
                return sent
            except RetryLaterError as exc:
                await self._release(jobs[index:], str(exc), finite_delay(exc.retry_after), count=False)
                settled.update(j.id for j in jobs[index:])
                return sent
            except RejectedError as exc:
                await self._reject(job, str(exc))
                settled.add(job.id)
                continue  # this message is lost for good; the chat's next one is not held back
            except Exception as exc:  # noqa: BLE001  # network, 5xx, or an adapter's bug: retry later
                if not isinstance(exc, SendError | OSError | TimeoutError):
                    log.error("delivery.send_crashed", delivery_id=job.id, error=repr(exc)[:300], exc_info=True)
                await self._fail(job, str(exc) or repr(exc))
                settled.add(job.id)
                await self._release(jobs[index + 1 :], "previous message failed", retry_delay(0), count=False)
                settled.update(j.id for j in jobs[index + 1 :])
                return sent
            await self.storage.outbox.mark_sent(job.id)
            settled.add(job.id)
            sent += 1
        return sent

    async def _reject(self, job: DeliveryJob, answer: str) -> None:
        """Fail a delivery the platform refused for what it is, keeping the platform's answer."""
        log.error(
            "delivery.rejected",
            delivery_id=job.id,
            chat_id=job.chat.id,
            platform=job.chat.platform,
            error=answer[:300],
        )
        await self.storage.outbox.mark_failed(job.id, answer)

    async def _fail(self, job: DeliveryJob, error: str) -> None:
        """Count a failed attempt: retry it after a backoff, or give up after MAX_ATTEMPTS."""
        if job.attempts + 1 >= MAX_ATTEMPTS:
            log.error("delivery.failed", delivery_id=job.id, error=error)
            await self.storage.outbox.mark_failed(job.id, error)
        else:
            log.warning("delivery.retry", delivery_id=job.id, attempts=job.attempts + 1, error=error)
            await self.storage.outbox.mark_retry(
                job.id, error=error, next_attempt_at=utcnow() + retry_delay(job.attempts + 1)
            )

    async def _release(self, jobs: list[DeliveryJob], reason: str, wait: timedelta, *, count: bool) -> None:
        """Put jobs back in the queue, due after `wait`, and come back for them then."""
        if jobs and not self.stopping:
            # Come back when they are due rather than at the next idle wake-up.
            asyncio.get_running_loop().call_later(wait.total_seconds(), self.poke)
        for job in jobs:
            await self.storage.outbox.mark_retry(
                job.id, error=reason, next_attempt_at=utcnow() + wait, count_attempt=count
            )
