"""Veille's running core: storage, fetcher, pipeline, commands, dispatcher and scheduler, wired.

A process plays one role (`ROLES`): `poller` fetches, parses, digests and fans out into the
outbox; `chat` runs the platforms, the commands, the dispatcher and the daily digests; `all`
(the default) is both in one process. Pollers and chat processes share only the store: feeds,
entries and deliveries are claimed under leases (`bot.store.leases`), so any number of pollers
and one chat process per bot token may run at once, on any machines.

`Veille` is built from settings and the chat platforms to serve (chosen by `bot.cli`, the
composition root); `async with Veille(...)` opens everything in order and closes it in
reverse. Features that add commands or react to new digests (search, daily digests, follows)
hook in through `commands.register`, `queue_hooks` (deliveries queued in a new digest's own
transaction) and `digest_hooks` (work after it, such as indexing). Every outgoing message
but a command's reply goes through the outbox that `dispatcher` drains.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from types import TracebackType

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import __version__
from bot.chat.commands import Commands
from bot.chat.features import install_features
from bot.chat.subscribe import SubscriptionService
from bot.config import Settings
from bot.delivery.dispatch import Dispatcher
from bot.feeds.fetch import Fetcher
from bot.feeds.pipeline import Pipeline, PollOutcome
from bot.feeds.poller import Poller
from bot.models import utcnow
from bot.ports import Platform
from bot.store.leases import Leases, default_owner
from bot.store.protocols import QueueHook
from bot.store.sqlite import SqliteStore
from digests.model import Digest

log = structlog.get_logger(__name__)

USER_AGENT = f"Veille/{__version__} (+https://github.com/veille-bot/veille)"

DigestHook = Callable[[int, Digest], Awaitable[None]]
StartHook = Callable[[], Awaitable[None]]

ROLES = ("all", "poller", "chat")


def make_fetcher(settings: Settings) -> Fetcher:
    """Build the one fetcher that serves feeds and article pages, with the configured guards."""
    return Fetcher(
        user_agent=USER_AGENT,
        allow_private=settings.allow_private_urls,
        max_bytes=settings.max_body_bytes,
        total_timeout=settings.fetch_timeout,
    )


class Veille:
    """The core, ready to poll, digest, answer commands and deliver."""

    def __init__(
        self,
        settings: Settings,
        platforms: Sequence[Platform],
        *,
        tick_seconds: float | None = None,
        role: str = "all",
    ) -> None:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        self.settings = settings
        self.role = role
        self.polls = role in ("all", "poller")  # fetch, parse, digest, fan out
        self.chats = role in ("all", "chat")  # platforms, commands, dispatcher, daily digests
        self.platforms = {p.platform: p for p in platforms} if self.chats else {}
        self.storage = SqliteStore(settings.db)
        self.leases = Leases(
            self.storage,
            settings.worker_id or default_owner(role, list(self.platforms)),
            timedelta(seconds=settings.lease_seconds),
        )
        self.fetcher = make_fetcher(settings)
        self.digest_hooks: list[DigestHook] = []
        self.queue_hooks: list[QueueHook] = []
        self.dispatcher = Dispatcher(
            self.storage,
            self.platforms,
            owner=self.leases.owner,
            lease=self.leases.duration,
            # A chat process serves its own platforms only: another serves the others' chats.
            platforms=list(self.platforms) if role == "chat" else None,
        )
        self.pipeline = Pipeline(
            self.storage,
            self.fetcher,
            poll_interval=settings.poll_interval,
            max_new_entries=settings.max_new_entries,
            queued=self.dispatcher.poke,
            queue_with_digest=self.queue_hooks,
            on_digest=self._digest_made,
        )
        self.poller = Poller(self.storage, self.pipeline, self.leases)
        self.subscriptions = SubscriptionService(self.storage, self.fetcher, self.pipeline, on_subscribed=self.wake)
        self.commands = Commands(self.storage, self.subscriptions)
        self.scheduler = AsyncIOScheduler(timezone=settings.timezone)
        # How often due feeds are looked for; each feed keeps its own next-poll time.
        # At most one lease apart, so feeds a killed poller held are taken over within about one.
        self.tick = timedelta(
            seconds=tick_seconds
            or min(max(5.0, min(60.0, settings.poll_interval.total_seconds() / 4)), settings.lease_seconds)
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._wake_task: asyncio.Task[None] | None = None
        self._wake_again = False
        self._cycle_lock = asyncio.Lock()
        self._store_open = False
        self._digest_task: asyncio.Task[None] | None = None
        # Start-time work of features (index catch-up, daily jobs), run by __aenter__.
        self.start_hooks: list[StartHook] = []
        install_features(self)

    async def __aenter__(self) -> Veille:
        try:
            await self._open()
        except BaseException:
            await self.__aexit__(None, None, None)  # close what did open, in reverse order
            raise
        return self

    async def _open(self) -> None:
        await self.storage.open()
        self._store_open = True
        await self.fetcher.start()
        if self.polls:
            await self.leases.take_back()
        if self.chats:
            requeued = await self.storage.outbox.requeue_interrupted(self.leases.owner)
            if requeued:
                log.info("deliveries.requeued", count=requeued)
        for platform in self.platforms.values():
            await platform.start(self.commands)
        for hook in self.start_hooks:
            await hook()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop_background()
        for platform in reversed(list(self.platforms.values())):
            with contextlib.suppress(Exception):
                await platform.stop()
        self.pipeline.close()
        await self.fetcher.close()
        await self.leases.stop()
        if self._store_open:  # give back what is still claimed
            await self.leases.release()
            self._store_open = False
        await self.storage.close()

    # -- one cycle -----------------------------------------------------------------------------

    async def poll_once(self) -> list[PollOutcome]:
        """Poll due feeds, digest what is new (or left by a crash), then send what is queued."""
        outcomes: list[PollOutcome] = []
        if self.polls:
            async with self._cycle_lock:
                try:
                    outcomes = await self.poller.poll_due()
                except Exception as exc:  # noqa: BLE001  # entries already stored still get digests
                    log.error("poll.failed", error=repr(exc)[:300])
                await self.poller.digest_pending()
        await self.deliver()
        return outcomes

    async def settle(self) -> None:
        """Digest anything pending and send everything due (after a subscription, in the demo)."""
        if self.polls:
            async with self._cycle_lock:
                await self.poller.digest_pending()
        await self.deliver()

    def wake(self) -> None:
        """Digest and send now what was just queued (a new subscription), not at the next tick.

        Only with the background loops running: without them (demo, tests) the caller settles.
        A wake-up during one under way makes it settle once more, so no new work waits a tick.
        """
        if not self._tasks:
            return
        self._wake_again = True
        if self._wake_task is None or self._wake_task.done():
            self._wake_task = asyncio.create_task(self._settle_in_background(), name="wake")

    async def _settle_in_background(self) -> None:
        while self._wake_again:
            self._wake_again = False
            try:
                await self.settle()
            except Exception as exc:  # noqa: BLE001  # the next tick retries; a wake-up must not crash
                log.error("wake.failed", error=repr(exc)[:300])

    async def deliver(self) -> None:
        """Send what the outbox holds: wake the dispatcher loop, or drain it here without one.

        With the background loop running, one dispatcher drains the outbox, so a chat's
        messages never race each other; without it (start-time work, demo, tests), drain here.
        """
        if not self.chats:
            return  # a poller only queues: the chat process sends
        if self._tasks:
            self.dispatcher.poke()
        else:
            await self.dispatcher.run_once()

    # -- long-running ----------------------------------------------------------------------------

    def start_background(self) -> None:
        """Start the scheduler (polling, and any feature jobs), the dispatcher loop, the lease renewals."""
        if self.polls:
            self.scheduler.add_job(
                self._scheduled_poll,
                "interval",
                seconds=self.tick.total_seconds(),
                id="poll",
                next_run_time=utcnow(),
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
            )
        self.scheduler.start()
        self.leases.start()
        if self.chats:
            self._tasks.append(asyncio.create_task(self.dispatcher.run_forever(), name="dispatcher"))

    async def stop_background(self, *, drain_seconds: float = 8.0) -> None:
        """Stop scheduling, let in-flight sends finish (bounded), then cancel the loops."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._digest_task is not None:
            self._digest_task.cancel()
            await asyncio.wait([self._digest_task], timeout=1.0)
            self._digest_task = None
        if self._wake_task is not None:
            self._wake_task.cancel()
            await asyncio.wait([self._wake_task], timeout=1.0)
            self._wake_task = None
        if not self._tasks:
            return
        self.dispatcher.request_stop()
        _, late = await asyncio.wait(self._tasks, timeout=drain_seconds)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=1.0)
        self._tasks.clear()

    async def _scheduled_poll(self) -> None:
        try:
            if self.role == "poller":
                await self._poll_then_digest_apart()
            else:
                await self.poll_once()
        except asyncio.CancelledError:
            # Only the scheduler's shutdown cancels a cycle (Ctrl-D, SIGTERM): the cycle is
            # crash-safe, so stopping halfway is routine; re-raised, APScheduler would log it as
            # a job that "raised an exception", with a traceback, on every ordinary stop.
            log.info("poll.cycle_interrupted")
        except Exception as exc:  # noqa: BLE001  # a failed cycle must not stop the scheduler
            log.error("poll.cycle_failed", error=repr(exc)[:300])

    async def _poll_then_digest_apart(self) -> None:
        """Poll due feeds, and digest in a task of its own (a poller's tick).

        Why apart: a long run of digests must not hold up the next tick, at which this poller
        takes over the feeds of a poller that died once their leases expire.
        """
        try:
            await self.poller.poll_due()
        except Exception as exc:  # noqa: BLE001  # entries already stored still get digests
            log.error("poll.failed", error=repr(exc)[:300])
        if self._digest_task is None or self._digest_task.done():
            self._digest_task = asyncio.create_task(self._digest_in_background(), name="digest")

    async def _digest_in_background(self) -> None:
        try:
            await self.poller.digest_pending()
        except Exception as exc:  # noqa: BLE001  # the next tick retries
            log.error("digest.loop_failed", error=repr(exc)[:300])

    # -- hooks -----------------------------------------------------------------------------------

    async def _digest_made(self, digest_id: int, digest: Digest) -> None:
        for hook in self.digest_hooks:
            try:
                await hook(digest_id, digest)
            except Exception as exc:  # noqa: BLE001  # one feature's bug must not lose the digest
                log.error("digest.hook_failed", hook=getattr(hook, "__name__", "?"), error=repr(exc)[:300])
        self.dispatcher.poke()
