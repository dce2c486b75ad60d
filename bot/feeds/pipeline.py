"""New entries in, stored digests and queued deliveries out.

    poll_feed:      fetch (conditional) → parse → store new entries   (bot.feeds.fetch, bot.feeds.parse)
    digest_pending: entry → article text → digests engine → digest + outbox rows, atomically

Entries are stored before any digest is made, in the transaction that records the answer's
ETag and Last-Modified, and a digest lands together with its deliveries (follow alerts
included), so a crash at any point is repaired by polling again and running `digest_pending`
again at start. A feed paused or gone tells its subscribers through the outbox, in the
transaction that stops it.

Each feed's poll is its own failure domain: whatever one feed raises while it is fetched,
parsed or stored is recorded as that feed's error (backoff, pause after three days, notice),
and the other feeds of the cycle go on. Results that carry no entries (304s, errors) are
written in batches (bot.feeds.pollbatch): a batch lost in a crash only means a poll again.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from bot.errors import FeedParseError, FetchError, HTTPStatusError, VeilleError, error_kind
from bot.feeds.fetch import Fetcher, looks_like_text
from bot.feeds.intervals import feed_hint, longest, poll_interval
from bot.feeds.itemdelta import ItemMemory, scan_items
from bot.feeds.parse import clean_text, parse_feed
from bot.feeds.pollbatch import PollBatch
from bot.llm import LLMSummarizer
from bot.models import FeedRecord, ParsedFeed, utcnow
from bot.ports import Summarizer
from bot.store.protocols import PendingEntry, PollFailure, PollRecord, PollSuccess, QueueHook, Store
from digests.extract import article_from_feed_item, article_from_html, is_full_article
from digests.model import Article, Digest

log = structlog.get_logger(__name__)

MAX_BACKOFF = timedelta(hours=24)
PAUSE_AFTER = timedelta(days=3)
# What subscribers read when a feed fails for a reason Veille did not foresee.
UNEXPECTED_FRENCH = "erreur inattendue en lisant ce flux"

# Called when messages were queued in the outbox (feed paused notices): wake the dispatcher.
Queued = Callable[[], None]
# The intervals chats set on their feeds: feed id → one value per active subscription (None: the
# default), for the feeds where at least one was set (`bot.feeds.intervals.poll_interval`).
AskedIntervals = Callable[[], Awaitable[Mapping[int, tuple[timedelta | None, ...]]]]


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll of one feed did, for logs, tests and benchmarks."""

    feed_id: int
    status: str  # "new", "not_modified", "unchanged", "error", "paused", "gone"
    new_entries: int = 0
    error: str | None = None
    error_kind: str | None = None  # bot.errors.error_kind of the failure: "http_503", "timeout", …


def next_poll_time(
    interval: timedelta, *, now: datetime, errors: int = 0, retry_after: float | None = None
) -> datetime:
    """Schedule the next poll: the interval ±10 % jitter, doubled per consecutive error, ≤ 24 h.

    Jitter spreads polls of feeds added together; `Retry-After` wins when it asks for longer.
    """
    delay = interval * (2 ** min(errors, 16))
    delay = min(delay, MAX_BACKOFF)
    delay *= random.uniform(0.9, 1.1)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=min(retry_after, MAX_BACKOFF.total_seconds())))
    return now + delay


class Pipeline:
    """Polls feeds and turns their new entries into stored digests and queued deliveries."""

    def __init__(
        self,
        storage: Store,
        fetcher: Fetcher,
        *,
        engine: Summarizer,
        poll_interval: timedelta,
        max_new_entries: int = 50,
        queued: Queued | None = None,
        queue_with_digest: Sequence[QueueHook] = (),
        on_digest: Callable[[int, Digest], Awaitable[None]] | None = None,
        digest_timed: Callable[[float], None] | None = None,
        llm: LLMSummarizer | None = None,
    ) -> None:
        self.storage = storage
        self.fetcher = fetcher
        self.engine = engine
        self.poll_interval = poll_interval
        self.max_new_entries = max_new_entries
        self.queued = queued
        self.queue_with_digest = queue_with_digest
        self.on_digest = on_digest
        self.digest_timed = digest_timed  # told how long the engine took on each article
        # Set by the subscription options feature; read once per cycle in `poll_many`.
        self.asked_intervals: AskedIntervals | None = None
        self._asked: Mapping[int, tuple[timedelta | None, ...]] = {}
        # Told each digest's duration and whether it was made (metrics); set by the core.
        self.digest_observer: Callable[[float, bool], None] | None = None
        self.llm = llm  # optional model summaries, verified; None: the engine's own only
        # spaCy runs in one worker thread: the event loop keeps serving chats meanwhile.
        self._nlp_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="veille-nlp")
        # which items of each feed are stored, so a changed feed parses its new items only
        self.items = ItemMemory()
        self._digest_lock = asyncio.Lock()

    def close(self) -> None:
        """Release the NLP worker thread."""
        self._nlp_thread.shutdown(wait=False, cancel_futures=True)

    # -- polling ---------------------------------------------------------------------------

    def interval_for(self, feed: FeedRecord, hint: timedelta | None) -> timedelta:
        """Return the feed's polling interval: what its chats asked, else the global one or its hint."""
        return poll_interval(self.poll_interval, hint=hint, asked=self._asked.get(feed.id, ()))

    async def poll_feed(self, feed: FeedRecord, *, batch: PollBatch | None = None) -> PollOutcome:
        """Fetch one feed conditionally and store its new entries; never raises.

        Any exception (a feed error, a parser or storage bug on a poisoned item) becomes this
        feed's recorded error, so one feed never stops the cycle of the others. A 304 or an
        error goes into `batch` when given (the caller flushes it), else is written now.
        """
        if batch is None:
            batch = PollBatch(self.storage)
            try:
                return await self._poll_isolated(feed, batch)
            finally:
                await batch.flush()
        return await self._poll_isolated(feed, batch)

    async def _poll_isolated(self, feed: FeedRecord, batch: PollBatch) -> PollOutcome:
        now = utcnow()
        try:
            return await self._poll(feed, now, batch)
        except Exception as exc:  # noqa: BLE001  # one feed's failure must not stop the others
            if not isinstance(exc, VeilleError):
                where = traceback.format_exception(exc, limit=-3)
                log.error("feed.poll_failed", feed_id=feed.id, error=repr(exc)[:300], where="".join(where)[-1500:])
            try:
                return await self._record_error(feed, exc, now, batch)
            except Exception as again:  # noqa: BLE001  # the store itself fails: log, go on
                log.error("feed.error_not_recorded", feed_id=feed.id, error=repr(again)[:300])
                return PollOutcome(feed.id, "error", error=_describe(exc), error_kind=error_kind(exc))

    async def _poll(self, feed: FeedRecord, now: datetime, batch: PollBatch) -> PollOutcome:
        result = await self.fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        if result.permanent_redirect and result.permanent_redirect != feed.url:
            await self.storage.feeds.move(feed.id, result.permanent_redirect)
            log.info("feed.moved", feed_id=feed.id, url=result.permanent_redirect)
        header_hint = feed_hint(cache_control=result.cache_control)
        next_poll = next_poll_time(self.interval_for(feed, longest(feed.hint, header_hint)), now=now)
        if result.not_modified:
            success = PollSuccess(next_poll_at=next_poll, etag=feed.etag, last_modified=feed.last_modified)
            await batch.add(PollRecord(feed.id, success, now))
            return PollOutcome(feed.id, "not_modified")
        fingerprint = body_fingerprint(result.body, url=result.url, content_type=result.content_type)
        if fingerprint == feed.body_hash:
            # the very bytes whose entries are stored (a server ignoring conditional GET):
            # parsing them again would find nothing new; only the validators may have changed
            success = PollSuccess(next_poll_at=next_poll, etag=result.etag, last_modified=result.last_modified)
            await batch.add(PollRecord(feed.id, success, now))
            log.debug("feed.body_unchanged", feed_id=feed.id)
            return PollOutcome(feed.id, "unchanged")
        scan = scan_items(result.body, url=result.url, content_type=result.content_type)
        unseen = self.items.unseen_only(feed.id, result.body, scan)
        try:
            parsed = parse_feed(unseen, url=result.url, content_type=result.content_type)
        except FeedParseError:
            if unseen is result.body:
                raise
            parsed = parse_feed(result.body, url=result.url, content_type=result.content_type)
        hint = longest(parsed.hint, header_hint)
        poll = PollSuccess(
            next_poll_at=next_poll_time(self.interval_for(feed, hint), now=now),
            etag=result.etag,
            last_modified=result.last_modified,
            title=parsed.title,
            body_hash=fingerprint,
            hint_seconds=int(hint.total_seconds()) if hint else 0,
        )
        new_ids = await self.store_entries(feed, parsed, first_poll=False, poll=poll)
        self.items.remember(feed.id, scan)  # only now: a failed store must not mark items seen
        log.info("feed.polled", feed_id=feed.id, new=len(new_ids), parsed=len(parsed.entries))
        return PollOutcome(feed.id, "new" if new_ids else "unchanged", new_entries=len(new_ids))

    async def store_entries(
        self,
        feed: FeedRecord,
        parsed: ParsedFeed,
        *,
        first_poll: bool,
        poll: PollSuccess | None = None,
        announce: bool = True,
    ) -> list[int]:
        """Store a parsed feed's entries; on a first poll only the newest one gets a digest.

        `poll` (validators, next poll time) is recorded in the same transaction as the entries.
        Without `announce`, a first poll digests none: the feed starts with its next item.
        """
        limit = (1 if announce else 0) if first_poll else self.max_new_entries
        return await self.storage.entries.add(feed.id, parsed.entries, digest_limit=limit, poll=poll)

    async def _record_error(self, feed: FeedRecord, exc: Exception, now: datetime, batch: PollBatch) -> PollOutcome:
        status = exc.status if isinstance(exc, HTTPStatusError) else None
        retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
        error = _describe(exc)
        kind = error_kind(exc)
        french = exc.french if isinstance(exc, VeilleError) else UNEXPECTED_FRENCH
        log.warning("feed.error", feed_id=feed.id, error=error, status=status)
        if status == 410:
            await self._stop_feed(
                feed,
                "gone",
                f"Le flux {feed.url} n'existe plus (erreur 410) : il n'est plus suivi. "
                "Vous pouvez vous désabonner avec /desabonner.",
            )
            return PollOutcome(feed.id, "gone", error=error, error_kind=kind)
        next_poll = next_poll_time(
            self.interval_for(feed, feed.hint), now=now, errors=feed.consecutive_errors + 1, retry_after=retry_after
        )
        if now - (feed.first_error_at or now) < PAUSE_AFTER:
            # cannot reach the pause yet: batched with the cycle's other results
            await batch.add(PollRecord(feed.id, PollFailure(error=error, next_poll_at=next_poll), now))
            return PollOutcome(feed.id, "error", error=error, error_kind=kind)
        updated = await self.storage.feeds.record_poll_error(feed.id, error=error, next_poll_at=next_poll)
        if updated.first_error_at and now - updated.first_error_at >= PAUSE_AFTER:
            await self._stop_feed(
                feed,
                "paused",
                f"Le flux {feed.url} est en erreur depuis plus de 3 jours ({french}) : "
                f"il est mis en pause. Pour le relancer : /reprendre {feed.url}",
            )
            return PollOutcome(feed.id, "paused", error=error, error_kind=kind)
        return PollOutcome(feed.id, "error", error=error, error_kind=kind)

    async def _stop_feed(self, feed: FeedRecord, status: str, notice: str) -> None:
        """Stop polling the feed and queue `notice` for its subscribers in one transaction."""
        told = await self.storage.feeds.stop(feed.id, status, notice=notice)
        log.info("feed.stopped", feed_id=feed.id, status=status, notices=told)
        if told and self.queued is not None:
            self.queued()

    # -- digests ---------------------------------------------------------------------------

    async def digest_pending(
        self, *, limit: int = 50, claim: Callable[[int], Awaitable[list[PendingEntry]]] | None = None
    ) -> int:
        """Digest entries waiting for one (new, or left by a crash); return how many were made.

        `claim` takes the entries to digest (a poller's leases, `bot.feeds.poller`); without
        it, every pending entry is this process's.
        """
        made = 0
        take = claim or (lambda n: self.storage.entries.pending(limit=n))
        async with self._digest_lock:
            while True:
                batch = await take(limit)
                if not batch:
                    return made
                if self.llm is None:
                    for pending in batch:
                        await self._digest_one(pending)
                        made += 1
                else:
                    made += await self._digest_with_model(batch, self.llm)

    async def _digest_one(self, pending: PendingEntry) -> None:
        made = await self._engine_digest(pending)
        if made is not None:
            await self._store(pending, made[1])

    async def _engine_digest(self, pending: PendingEntry) -> tuple[Article, Digest] | None:
        started = time.perf_counter()
        try:
            article = await self.article_for(pending)
            loop = asyncio.get_running_loop()
            started = time.perf_counter()
            digest = await loop.run_in_executor(self._nlp_thread, self.engine.summarize, article)
            if self.digest_timed is not None:
                self.digest_timed(time.perf_counter() - started)
        except Exception as exc:  # noqa: BLE001  # one bad article must not stop the others
            log.error("entry.digest_failed", entry_id=pending.id, error=repr(exc)[:300])
            await self.storage.entries.mark_failed(pending.id, repr(exc))
            self._observe(started, made=False)
            return None
        self._observe(started, made=True)
        return article, digest

    def _observe(self, started: float, *, made: bool) -> None:
        if self.digest_observer is not None:
            self.digest_observer(time.perf_counter() - started, made)

    async def _store(self, pending: PendingEntry, digest: Digest) -> None:
        digest_id = await self.store_digest(pending.id, digest)
        log.info("entry.digested", entry_id=pending.id, digest_id=digest_id)

    async def _digest_with_model(self, batch: Sequence[PendingEntry], llm: LLMSummarizer) -> int:
        """Digest a batch with model summaries, each stored at most `llm.timeout` after its digest.

        The model's calls run while spaCy digests the next entries; digests are stored in entry
        order as soon as their call ends, so the model never delays one beyond its timeout.
        """
        waiting: list[tuple[PendingEntry, asyncio.Task[Digest]]] = []
        try:
            for pending in batch:
                made = await self._engine_digest(pending)
                if made is not None:
                    task = asyncio.create_task(llm.improve(*made, entry_id=pending.id))
                    waiting.append((pending, task))
                while waiting and waiting[0][1].done():
                    first, done = waiting.pop(0)
                    await self._store(first, done.result())
            for pending, task in waiting:
                await self._store(pending, await task)
            waiting.clear()
        finally:
            for _, task in waiting:  # cancelled (shutdown): the entries stay pending
                task.cancel()
        return len(batch)

    async def store_digest(self, entry_id: int, digest: Digest) -> int:
        """Store a digest with its deliveries and follow alerts (one transaction), then run hooks."""
        digest_id = await self.storage.entries.store_digest(entry_id, digest, also=tuple(self.queue_with_digest))
        if self.on_digest is not None:
            await self.on_digest(digest_id, digest)
        return digest_id

    async def article_for(self, pending: PendingEntry) -> Article:
        """Return the article's text: the feed's own when it is a real article, else the page's."""
        entry = pending.entry
        body = entry.content or entry.summary
        source = pending.feed_title
        if is_full_article(body) or not entry.url.startswith(("http://", "https://")):
            return article_from_feed_item(entry.title, body, url=entry.url, published=entry.published, source=source)
        try:
            page = await self.fetcher.fetch(entry.url)
            if not looks_like_text(page.body, page.content_type):
                raise ValueError(f"not a text page ({page.content_type or 'no content type'})")
            html = page.body.decode(_charset(page.content_type), errors="replace")
            article = article_from_html(html, url=entry.url)
        except (FetchError, ValueError) as exc:
            log.info("entry.page_unavailable", entry_id=pending.id, error=str(exc))
            return article_from_feed_item(entry.title, body, url=entry.url, published=entry.published, source=source)
        if len(article.text) < len(body):
            return article_from_feed_item(entry.title, body, url=entry.url, published=entry.published, source=source)
        return Article(
            title=entry.title or article.title,
            text=article.text,
            url=entry.url,
            published=entry.published or article.published,
            source=source or article.source,
        )

    async def load_asked_intervals(self) -> None:
        """Read the polling intervals chats asked for (`/intervalle`), once per cycle."""
        if self.asked_intervals is not None:
            self._asked = await self.asked_intervals()

    async def poll_many(self, feeds: Sequence[FeedRecord], *, concurrency: int = 32) -> list[PollOutcome]:
        """Poll several feeds concurrently (the fetcher limits each host on its own)."""
        gate = asyncio.Semaphore(concurrency)
        batch = PollBatch(self.storage)
        await self.load_asked_intervals()

        async def one(feed: FeedRecord) -> PollOutcome:
            async with gate:
                return await self.poll_feed(feed, batch=batch)

        try:
            return list(await asyncio.gather(*(one(f) for f in feeds)))
        finally:
            await batch.flush()


def body_fingerprint(body: bytes, *, url: str, content_type: str) -> str:
    """Fingerprint what `parse_feed` reads (bytes, final URL, Content-Type), to skip a re-parse."""
    digest = hashlib.sha256(body)
    for text in (url, content_type):
        digest.update(b"\0" + text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _describe(exc: BaseException) -> str:
    """Return an error's message fit for a log and the database (bounded, no surrogates).

    Veille's own errors keep their message; any other shows its type, which says more.
    """
    try:
        text = str(exc) if isinstance(exc, VeilleError) else repr(exc)
    except Exception:  # noqa: BLE001  # a broken __str__ must not hide the failure
        text = type(exc).__name__
    return clean_text(text)[:500] or type(exc).__name__


def _charset(content_type: str) -> str:
    """Read the charset parameter of a Content-Type, defaulting to UTF-8."""
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            try:
                "".encode(value.strip('"'))
            except LookupError:
                break
            return value.strip('"')
    return "utf-8"
