"""The composition root: the one function that picks and wires every part of Veille.

`build(settings, platforms)` chooses the store backend, the fetcher, the digest engine and the
features, wires their hooks, and returns a `bot.app.Veille` to open with `async with`. It is the
only module of the core that imports `adapters`, a store backend or the digest engine (a test
checks it), so the rest of `bot/` sees protocols only:

    settings ─▶ store (SQLite)  fetcher  engine (loaded on first use)  platforms (adapters/)
                  │                │        │
                  ▼                ▼        ▼
               pipeline ◀── follows (alerts in the digest's transaction), search index (after)
               dispatcher ── cycle (poll, digest, deliver) ── subscriptions, daily digests
               commands (+ search, daily, follow handlers) ──▶ Veille
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING

from bot.app import ROLES, Cycle, Veille, tick_for
from bot.arguments import load_zone
from bot.chat.commands import Commands
from bot.chat.features import SPECS, feature_handlers
from bot.chat.follows import Follows
from bot.chat.options import SubscriptionOptionsService
from bot.chat.stats import RunTimes, StatsCommand
from bot.chat.subscribe import SubscriptionService
from bot.config import Settings
from bot.delivery.daily import DailyDigests
from bot.delivery.dispatch import Dispatcher
from bot.feeds.fetch import make_fetcher
from bot.feeds.pipeline import Pipeline
from bot.feeds.poller import Poller
from bot.llm import build_summarizer
from bot.models import utcnow
from bot.opml.commands import OpmlCommands
from bot.ops.health import Health, Heartbeat
from bot.ops.metrics import Metrics
from bot.ops.server import OpsServer
from bot.ports import Platform, Summarizer
from bot.search.search import SearchCommand, SearchIndex
from bot.store.leases import Leases, default_owner
from bot.store.postgres import PostgresStore
from bot.store.protocols import Store
from bot.store.sqlite import SqliteStore
from digests.model import Article, Digest

if TYPE_CHECKING:
    from adapters.console import ConsoleAdapter
    from digests.engine import DigestEngine

log = structlog.get_logger(__name__)

DigestHook = Callable[[int, Digest], Awaitable[None]]


def open_store(settings: Settings) -> Store:
    """Return the store backend VEILLE_DB names, not yet opened.

    A postgresql:// URL (kept as text by `bot.config`) gives PostgreSQL; a path keeps SQLite,
    the default.
    """
    if isinstance(settings.db, str):
        return PostgresStore(settings.db)
    return SqliteStore(settings.db)


class LazyEngine:
    """The digest engine, loaded on the first article rather than at start.

    Why: the spaCy model takes seconds and hundreds of megabytes; a bot that only answers
    commands, or starts to find nothing new, should not pay for it. Thread-safe: the pipeline
    calls `summarize` from its NLP worker thread.
    """

    def __init__(self) -> None:
        self._engine: DigestEngine | None = None
        self._lock = threading.Lock()

    def get(self) -> DigestEngine:
        """Return the engine, loading it on first use."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    from digests.engine import DigestEngine  # deferred: importing spaCy takes a second

                    self._engine = DigestEngine()
        return self._engine

    def summarize(self, article: Article) -> Digest:
        """Digest one article with the loaded engine."""
        return self.get().summarize(article)

    def summarize_many(self, articles: Iterable[Article]) -> list[Digest]:
        """Digest many articles, batched through spaCy."""
        return self.get().summarize_many(articles)


def new_engine() -> LazyEngine:
    """Return a digest engine for one process (the CLI's `digest` command, a running bot)."""
    return LazyEngine()


def build_platforms(settings: Settings, *, interactive: bool, metrics: Metrics | None = None) -> list[Platform]:
    """Return the chat platforms to run: each one whose token is set, else the console.

    The console reads commands only from a terminal (`interactive`); without one (a service,
    a container, `nohup`) it runs headless: it polls, delivers to the console chat and logs,
    instead of ending at once on an empty stdin. `metrics` count each platform's 429s.
    """
    platforms: list[Platform] = []
    if settings.telegram_bot_token:
        from adapters.telegram import TelegramAdapter

        told = partial(metrics.count_rate_limit, "telegram") if metrics is not None else None
        platforms.append(TelegramAdapter.from_settings(settings, on_rate_limited=told))
    if settings.discord_bot_token:
        from adapters.discord import DiscordAdapter

        told = partial(metrics.count_rate_limit, "discord") if metrics is not None else None
        platforms.append(DiscordAdapter.from_settings(settings, on_rate_limited=told))
    if not platforms:
        from adapters.console import ConsoleAdapter

        if not interactive:
            log.warning("veille.headless", reason="no chat token set and stdin is not a terminal")
        platforms.append(ConsoleAdapter(read_stdin=interactive))
    return platforms


def console_platform() -> ConsoleAdapter:
    """Return a console chat for the demo (the adapter is named here, not in `bot.demo`)."""
    from adapters.console import ConsoleAdapter

    return ConsoleAdapter()


def build(
    settings: Settings,
    platforms: Sequence[Platform],
    *,
    engine: Summarizer | None = None,
    store: Store | None = None,
    tick_seconds: float | None = None,
    metrics: Metrics | None = None,
    role: str = "all",
) -> Veille:
    """Build every part of the core from `settings` and wire it; nothing is opened yet.

    `engine` defaults to the spaCy digest engine, loaded on the first article; `store` to the
    backend `settings.db` names; `metrics` to a registry of this core's own (`veille run`
    shares one with the adapters, which count their 429s). `role` (`bot.app.ROLES`) says which
    share of the work this process does: a poller runs no platform, a chat process polls nothing.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    store = store if store is not None else open_store(settings)
    metrics = metrics if metrics is not None else Metrics()
    heartbeat = Heartbeat()
    engine = engine if engine is not None else new_engine()
    by_name = {p.platform: p for p in platforms} if role != "poller" else {}
    leases = Leases(
        store, settings.worker_id or default_owner(role, list(by_name)), timedelta(seconds=settings.lease_seconds)
    )
    # A chat process serves its own platforms' chats only: another process serves the others.
    own_platforms = list(by_name) if role == "chat" else None
    fetcher = make_fetcher(settings)
    scheduler = AsyncIOScheduler(timezone=settings.timezone)
    dispatcher = Dispatcher(store, by_name, owner=leases.owner, lease=leases.duration, platforms=own_platforms)
    index = SearchIndex(store.search)
    follows = Follows(store.follows)
    times = RunTimes()  # digest and poll-cycle durations, for /stats
    options = SubscriptionOptionsService(
        store.chats, store.options, default_interval=settings.poll_interval, min_interval=settings.min_interval
    )
    llm = build_summarizer(settings, cache=store.answers)  # None unless VEILLE_LLM_URL is set
    pipeline = Pipeline(
        store,
        fetcher,
        engine=engine,
        poll_interval=settings.poll_interval,
        max_new_entries=settings.max_new_entries,
        queued=dispatcher.poke,
        # Both in the digest's transaction: filtered-out instant rows never reach the outbox's
        # readers, and no alert is lost.
        queue_with_digest=(options.drop_filtered, follows.queue_alerts),
        on_digest=_after_digest([index.on_digest, _beats(heartbeat)], dispatcher),
        digest_timed=times.digest_made,
        llm=llm,
    )
    pipeline.asked_intervals = store.options.asked_intervals
    pipeline.digest_observer = metrics.observe_digest
    tick = tick_for(settings, tick_seconds)
    cycle = Cycle(
        store,
        pipeline,
        dispatcher,
        scheduler,
        tick=tick,
        poller=Poller(store, pipeline, leases),
        role=role,
        times=times,
        metrics=metrics,
        heartbeat=heartbeat,
    )
    subscriptions = SubscriptionService(store, fetcher, pipeline, on_subscribed=cycle.wake)
    daily = DailyDigests(
        store,
        store.daily,
        scheduler,
        cycle.deliver,
        max_items=settings.daily_max_items,
        filters=options.filters_of,
        platforms=own_platforms,
    )
    commands = Commands(store, subscriptions)
    commands.feed_notes = options.notes  # /abonnements shows each feed's filter and interval
    stats = StatsCommand(store.stats, times, settings.admin_ids, zone=load_zone(settings.timezone), clock=utcnow)
    for name, handler in feature_handlers(SearchCommand(store, index), daily, follows, options, stats).items():
        commands.register(SPECS[name], handler)
    for spec, handler in OpmlCommands(store, subscriptions).handlers():
        commands.register(spec, handler)
    health, ops = _operations(settings, store, scheduler, metrics, heartbeat, tick.total_seconds())

    async def catch_up() -> None:
        """Catch the index up, then rebuild daily jobs and queue a missed digest (chat processes)."""
        await index.catch_up()
        if cycle.chats:
            await daily.start()

    return Veille(
        settings,
        storage=store,
        fetcher=fetcher,
        platforms=by_name,
        pipeline=pipeline,
        dispatcher=dispatcher,
        subscriptions=subscriptions,
        commands=commands,
        scheduler=scheduler,
        cycle=cycle,
        leases=leases,
        start_hooks=(catch_up,),
        metrics=metrics,
        health=health,
        ops=ops,
        llm=llm,
    )


def _operations(
    settings: Settings, store: Store, scheduler: AsyncIOScheduler, metrics: Metrics, heartbeat: Heartbeat, tick: float
) -> tuple[Health, OpsServer | None]:
    """Build the health check, and the /metrics and /healthz server when a port is set."""
    health = Health(
        heartbeat=heartbeat,
        scheduler_running=lambda: scheduler.state == STATE_RUNNING,
        ping=store.gauges.ping,
        # A cycle beats at its start, its end and each digest: three ticks and a fetch
        # without any sign of life is a stall, not a slow cycle.
        stall_after=3 * tick + settings.fetch_timeout,
    )
    if settings.metrics_port is None:
        return health, None
    server = OpsServer(metrics, health, store.gauges.read, host=settings.metrics_host, port=settings.metrics_port)
    return health, server


@asynccontextmanager
async def subscription_service(settings: Settings, store: Store) -> AsyncIterator[SubscriptionService]:
    """Lend `veille opml import` the bot's subscription path (fetcher, guards), without a cycle.

    Imports post no item, so the engine is never loaded.
    """
    fetcher = make_fetcher(settings)
    await fetcher.start()
    pipeline = Pipeline(store, fetcher, engine=new_engine(), poll_interval=settings.poll_interval)
    try:
        yield SubscriptionService(store, fetcher, pipeline)
    finally:
        pipeline.close()
        await fetcher.close()


def _beats(heartbeat: Heartbeat) -> DigestHook:
    """Beat the heartbeat at each digest made: a long cycle digesting a backlog is alive."""

    async def alive(digest_id: int, digest: Digest) -> None:
        heartbeat.beat()

    return alive


def _after_digest(hooks: Sequence[DigestHook], dispatcher: Dispatcher) -> DigestHook:
    """Run each hook on a stored digest, each failure logged and contained, then wake the dispatcher."""

    async def digest_made(digest_id: int, digest: Digest) -> None:
        for hook in hooks:
            try:
                await hook(digest_id, digest)
            except Exception as exc:  # noqa: BLE001  # one feature's bug must not lose the digest
                log.error("digest.hook_failed", hook=getattr(hook, "__name__", "?"), error=repr(exc)[:300])
        dispatcher.poke()

    return digest_made
