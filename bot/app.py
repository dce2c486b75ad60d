"""Veille's running core: the polling cycle and the lifecycle of the parts it was built from.

`bot.compose.build` builds every part (store, fetcher, engine, pipeline, dispatcher, features,
commands, platforms) and hands them to `Veille`; nothing here picks a backend, an adapter or an
engine. `async with Veille(...)` opens the parts in order and closes them in reverse. Every
outgoing message but a command's reply goes through the outbox that `dispatcher` drains.

    Cycle   poll due feeds → digest pending entries → deliver; wake-ups between ticks
    Veille  open store, fetcher, platforms, start-time work; close in reverse

A process plays one role (`ROLES`): `poller` fetches, parses, digests and fans out into the
outbox; `chat` runs the platforms, the commands, the dispatcher and the daily digests; `all`
(the default) is both in one process. Pollers and chat processes share only the store: feeds,
entries and deliveries are claimed under leases (`bot.store.leases`), so any number of pollers
and one chat process per bot token may run at once, on any machines.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from types import TracebackType

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.chat.commands import Commands
from bot.chat.stats import RunTimes
from bot.chat.subscribe import SubscriptionService
from bot.config import Settings
from bot.delivery.dispatch import Dispatcher
from bot.feeds.fetch import Fetcher
from bot.feeds.pipeline import Pipeline, PollOutcome
from bot.feeds.poller import Poller
from bot.llm import LLMSummarizer
from bot.models import utcnow
from bot.ops.health import Health, Heartbeat
from bot.ops.metrics import Metrics
from bot.ops.server import OpsServer
from bot.ports import Platform
from bot.store.leases import Leases
from bot.store.protocols import Store

log = structlog.get_logger(__name__)

StartHook = Callable[[], Awaitable[None]]

ROLES = ("all", "poller", "chat")


def tick_for(settings: Settings, tick_seconds: float | None = None) -> timedelta:
    """Return how often due feeds are looked for; each feed keeps its own next-poll time.

    At most one lease apart, so that feeds a killed poller held are taken over soon after
    their leases expire.
    """
    default = min(max(5.0, min(60.0, settings.poll_interval.total_seconds() / 4)), settings.lease_seconds)
    return timedelta(seconds=tick_seconds or default)


class Cycle:
    """Poll, digest and deliver on a schedule, and at once when something is queued between ticks."""

    def __init__(
        self,
        storage: Store,
        pipeline: Pipeline,
        dispatcher: Dispatcher,
        scheduler: AsyncIOScheduler,
        *,
        tick: timedelta,
        poller: Poller,
        role: str = "all",
        times: RunTimes | None = None,
        metrics: Metrics | None = None,
        heartbeat: Heartbeat | None = None,
    ) -> None:
        self.storage = storage
        self.pipeline = pipeline
        self.dispatcher = dispatcher
        self.scheduler = scheduler
        self.tick = tick
        self.poller = poller
        self.role = role
        self.polls = role in ("all", "poller")  # fetch, parse, digest, fan out
        self.chats = role in ("all", "chat")  # send the outbox
        self.times = times or RunTimes()  # the last cycle's duration, for /stats
        self.metrics = metrics if metrics is not None else Metrics()
        self.heartbeat = heartbeat if heartbeat is not None else Heartbeat()  # read by /healthz
        self._tasks: list[asyncio.Task[None]] = []
        self._wake_task: asyncio.Task[None] | None = None
        self._wake_again = False
        self._cycle_lock = asyncio.Lock()
        self._digest_task: asyncio.Task[None] | None = None

    async def poll_once(self) -> list[PollOutcome]:
        """Poll the due feeds this process claims, digest what is new (or left by a crash), then send.

        A chat process polls nothing; a poller sends nothing (the chat process does).
        """
        outcomes: list[PollOutcome] = []
        self.heartbeat.beat()
        if self.polls:
            async with self._cycle_lock:
                started = time.perf_counter()
                try:
                    outcomes = await self.poller.poll_due()
                except Exception as exc:  # noqa: BLE001  # entries already stored still get digests
                    log.error("poll.failed", error=repr(exc)[:300])
                if outcomes:  # a tick with no feed due is not a cycle worth reporting
                    self.times.cycle_done(utcnow(), time.perf_counter() - started, len(outcomes))
                self.metrics.count_polls(outcomes)
                await self.poller.digest_pending()
                self.metrics.poll_cycle_seconds.set(time.perf_counter() - started)
                self.heartbeat.beat()
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
        """Start the scheduler (polling, and any feature jobs) and the dispatcher loop."""
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

class Veille:
    """The core, built by `bot.compose.build`: ready to poll, digest, answer commands and deliver."""

    def __init__(
        self,
        settings: Settings,
        *,
        storage: Store,
        fetcher: Fetcher,
        platforms: Mapping[str, Platform],
        pipeline: Pipeline,
        dispatcher: Dispatcher,
        subscriptions: SubscriptionService,
        commands: Commands,
        scheduler: AsyncIOScheduler,
        cycle: Cycle,
        leases: Leases,
        start_hooks: Sequence[StartHook] = (),
        metrics: Metrics | None = None,
        health: Health | None = None,
        ops: OpsServer | None = None,
        llm: LLMSummarizer | None = None,
    ) -> None:
        self.settings = settings
        self.leases = leases  # this process's claims on shared rows (bot.store.leases)
        self._store_open = False
        self.storage = storage
        self.fetcher = fetcher
        self.platforms = dict(platforms)
        self.pipeline = pipeline
        self.dispatcher = dispatcher
        self.subscriptions = subscriptions
        self.commands = commands
        self.scheduler = scheduler
        self.cycle = cycle
        # Start-time work of features (index catch-up, daily jobs), run by __aenter__.
        self.start_hooks = tuple(start_hooks)
        self.metrics = metrics if metrics is not None else cycle.metrics
        self.health = health
        self.ops = ops  # /metrics and /healthz, when VEILLE_METRICS_PORT is set
        self.llm = llm  # optional model summaries (VEILLE_LLM_URL), closed with the app

    @property
    def role(self) -> str:
        """This process's role: all, poller or chat."""
        return self.cycle.role

    @property
    def tick(self) -> timedelta:
        """How often due feeds are looked for."""
        return self.cycle.tick

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
        if self.cycle.polls:
            await self.leases.take_back()
        if self.cycle.chats:
            requeued = await self.storage.outbox.requeue_interrupted(self.leases.owner)
            if requeued:
                log.info("deliveries.requeued", count=requeued)
        for platform in self.platforms.values():
            await platform.start(self.commands)
        for hook in self.start_hooks:
            await hook()
        if self.ops is not None:
            await self.ops.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.ops is not None:
            await self.ops.stop()
        await self.cycle.stop_background()
        for platform in reversed(list(self.platforms.values())):
            with contextlib.suppress(Exception):
                await platform.stop()
        self.pipeline.close()
        if self.llm is not None:
            await self.llm.close()
        await self.fetcher.close()
        await self.leases.stop()
        if self._store_open:  # give back what is still claimed
            await self.leases.release()
            self._store_open = False
        await self.storage.close()

    # -- the cycle, for the CLI, the demo and the tests ------------------------------------------

    async def poll_once(self) -> list[PollOutcome]:
        """Poll due feeds, digest what is new (or left by a crash), then send what is queued."""
        return await self.cycle.poll_once()

    async def settle(self) -> None:
        """Digest anything pending and send everything due (after a subscription, in the demo)."""
        await self.cycle.settle()

    def wake(self) -> None:
        """Digest and send now what was just queued, not at the next tick (see `Cycle.wake`)."""
        self.cycle.wake()

    async def deliver(self) -> None:
        """Send what the outbox holds (see `Cycle.deliver`)."""
        await self.cycle.deliver()

    def start_background(self) -> None:
        """Start the scheduler (polling, and any feature jobs), the dispatcher loop, the lease renewals."""
        self.cycle.start_background()
        self.leases.start()

    async def stop_background(self, *, drain_seconds: float = 8.0) -> None:
        """Stop scheduling, let in-flight sends finish (bounded), then cancel the loops."""
        await self.cycle.stop_background(drain_seconds=drain_seconds)
