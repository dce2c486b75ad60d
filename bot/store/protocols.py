"""The repositories the core uses, one per aggregate, typed with domain dataclasses.

Why protocols: a feature names what it needs ("the digests of a chat's feeds in this window"),
the backend decides how (SQLite today, PostgreSQL beside it). Nothing here returns a driver row
or names a dialect; a transaction is opaque, only handed back to the backend that opened it.

    Store ── feeds     FeedRepository      feeds, their poll bookkeeping, due feeds, status
          ├─ entries   EntryRepository     entries, digests (stored with their deliveries)
          ├─ outbox    Outbox              deliveries: queue, claim, sent / retry / failed
          ├─ chats     ChatRepository      chats, their settings and subscriptions
          ├─ search    SearchStore         full-text index and saved queries
          ├─ follows   FollowStore         follows and follow alerts
          ├─ daily     DailySchedule       daily digest schedule and content
          └─ answers   AnswerCache         model answers, one per entry (LLM summaries; SQLite only so far)

Claims (`FeedRepository.claim_due`, `EntryRepository.claim_pending`, `Outbox.claim`) take `now`,
a lease (`owner` until `until`) and a limit, and return whole rows, so that several processes
share the work (`veille run --role poller` N times): a row another owner holds is skipped until
its lease expires, then taken over (a killed process's work is resumed within one lease). The
holder renews its leases while it works (`renew_leases`) and gives them back when it stops
(`release_leases`); recording a result releases the row. A backend implements a claim as one
atomic statement or transaction (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol

from bot.models import ChatRecord, Entry, FeedRecord, Reply
from digests.model import Digest

# The backend's open transaction, handed to a hook that must write inside it (a follow alert
# is queued in the transaction storing its digest). Opaque to the core: only passed back.
Transaction = Any

# Queues more deliveries for a new digest inside `EntryRepository.store_digest`'s transaction
# (follow alerts): called with the transaction, the digest id and the digest; returns how many.
QueueHook = Callable[[Transaction, int, Digest], Awaitable[int]]


# How long a delivery claimed without an explicit lease stays claimed (its sender renews it).
DELIVERY_LEASE = timedelta(minutes=5)


# -- feeds -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PollSuccess:
    """What a good answer changes on its feed: validators, next poll time, the feed's title.

    `body_hash` (None: keep the stored one) is the fingerprint of the body whose entries are
    stored in the same transaction, so a body is only skipped once its entries are safe.
    """

    next_poll_at: datetime
    etag: str | None
    last_modified: str | None
    title: str | None = None
    body_hash: str | None = None
    hint_seconds: int | None = None  # the feed's polling hint read from this answer (0: none); None: keep


@dataclass(frozen=True, slots=True)
class PollFailure:
    """What a failed answer changes on its feed: one more consecutive error, a later poll."""

    error: str
    next_poll_at: datetime


@dataclass(frozen=True, slots=True)
class PollRecord:
    """One poll's result waiting to be written with others (`FeedRepository.record_polls`)."""

    feed_id: int
    result: PollSuccess | PollFailure
    polled_at: datetime


class FeedRepository(Protocol):
    """The feeds, their polling bookkeeping (validators, errors, next poll) and their status."""

    async def add(self, url: str, title: str = "") -> tuple[FeedRecord, bool]:
        """Insert the feed if its URL is new; return it and whether it was created."""
        ...

    async def get(self, feed_id: int) -> FeedRecord | None:
        """Return the feed with this id, or None."""
        ...

    async def by_url(self, url: str) -> FeedRecord | None:
        """Return the feed with this URL, or None."""
        ...

    async def polled(self) -> list[FeedRecord]:
        """Return active feeds that at least one active chat subscribes to, by id."""
        ...

    async def due(self, now: datetime) -> list[FeedRecord]:
        """Return polled feeds whose next poll time has come (or was never set), by id."""
        ...

    async def claim_due(self, now: datetime, *, owner: str, until: datetime, limit: int) -> list[FeedRecord]:
        """Lease up to `limit` due feeds to `owner` until `until` and return them, by id.

        Skipped: feeds another live lease holds. Recording the poll's result (`record_polls`,
        `EntryRepository.add(poll=...)`, `record_poll_error`) releases the lease, so a feed is
        fetched by one process per cycle; an expired lease (its holder died) is taken over.
        """
        ...

    async def renew_leases(self, owner: str, until: datetime) -> int:
        """Extend every feed lease `owner` holds to `until`; return how many."""
        ...

    async def release_leases(self, owner: str) -> int:
        """Give back every feed lease `owner` holds (a clean stop, or its own restart)."""
        ...

    async def record_polls(self, polls: Sequence[PollRecord]) -> None:
        """Write many polls' results (304s without entries, errors) in one transaction.

        A 200 with entries never goes through here: its validators land with its entries
        (`EntryRepository.add(..., poll=...)`).
        """
        ...

    async def record_poll_error(self, feed_id: int, *, error: str, next_poll_at: datetime) -> FeedRecord:
        """Count one more consecutive error and push the next poll back; return the new state."""
        ...

    async def make_all_due(self) -> None:
        """Make every feed due at the next poll (the demo polls at once after publishing)."""
        ...

    async def set_status(self, feed_id: int, status: str) -> None:
        """Set a feed active, paused or gone; resuming also clears the error streak."""
        ...

    async def stop(self, feed_id: int, status: str, *, notice: str) -> int:
        """Pause a feed or mark it gone, and queue `notice` for each active subscriber, atomically.

        Only a real change of status queues the notice; return how many notices were queued.
        """
        ...

    async def move(self, feed_id: int, new_url: str) -> None:
        """Follow a permanent redirect: store the new URL unless another feed already has it."""
        ...


# -- entries and digests -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PendingEntry:
    """An entry waiting for its digest, with what the pipeline needs to make it."""

    id: int
    feed_id: int
    feed_title: str
    feed_url: str
    entry: Entry


class EntryRepository(Protocol):
    """The feeds' entries and their digests; a digest is stored with its deliveries, atomically."""

    async def add(
        self,
        feed_id: int,
        entries: Iterable[Entry],
        *,
        digest_limit: int | None = None,
        poll: PollSuccess | None = None,
    ) -> list[int]:
        """Insert entries not seen before (one transaction); return the ids queued for a digest.

        Of the new entries only the newest `digest_limit` are queued; the others are recorded
        as seen. `poll` (the answer's validators, next poll) lands in the same transaction.
        """
        ...

    async def pending(self, limit: int = 50) -> list[PendingEntry]:
        """Return entries still waiting for a digest, oldest first (also after a crash)."""
        ...

    async def claim_pending(self, now: datetime, *, owner: str, until: datetime, limit: int) -> list[PendingEntry]:
        """Lease up to `limit` entries waiting for a digest to `owner` until `until`, oldest first.

        Skipped: entries another live lease holds; one whose holder died is taken over once
        its lease expires. Storing the digest (or `mark_failed`) ends the entry's wait.
        """
        ...

    async def renew_leases(self, owner: str, until: datetime) -> int:
        """Extend every entry lease `owner` holds to `until`; return how many."""
        ...

    async def release_leases(self, owner: str) -> int:
        """Give back every entry lease `owner` holds."""
        ...

    async def mark_failed(self, entry_id: int, error: str) -> None:
        """Give up on an entry whose digest cannot be made (logged by the caller)."""
        ...

    async def store_digest(self, entry_id: int, digest: Digest, *, also: Sequence[QueueHook] = ()) -> int:
        """Store a digest, join it to a story and queue one delivery per subscribed chat, atomically.

        Chats in `quotidien` mode get it only through the daily digest; a chat already sent the
        story from another feed in the story window is not sent it again. The entry leaves the
        pending state in the same transaction. Each of `also` queues its own deliveries in that
        transaction; one that raises is logged and undone, the digest still lands.
        """
        ...

    async def latest_digest_id(self, feed_id: int) -> int | None:
        """Return the id of the feed's newest digest, or None."""
        ...

    async def digest(self, digest_id: int) -> Digest | None:
        """Return a stored digest, or None."""
        ...


# -- the outbox --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """One outbox row claimed for sending: a digest (instant, follow) or a message (daily, notice)."""

    id: int
    chat: ChatRecord
    digest_id: int | None
    digest: Digest | None
    kind: str
    note: str | None
    attempts: int
    message: Reply | None = None


class Outbox(Protocol):
    """Deliveries waiting, being sent and sent: every message but a command's reply."""

    async def queue(self, chat_id: int, digest_id: int, *, kind: str = "instant", note: str | None = None) -> bool:
        """Queue one digest for one chat unless it was already queued; return True if queued."""
        ...

    async def queue_daily(self, chat_id: int, replies: Sequence[Reply], *, key: str, due: datetime) -> int:
        """Queue a chat's daily digest and record `due` as handled, atomically; return how many.

        `key` names the chat's day; a day already queued is not queued again.
        """
        ...

    async def claim(
        self,
        now: datetime,
        limit: int = 200,
        *,
        owner: str = "veille",
        until: datetime | None = None,
        platforms: Collection[str] | None = None,
    ) -> list[DeliveryJob]:
        """Claim due pending deliveries of active chats for sending and return them, oldest first.

        A claimed job is leased to `owner` until `until` (default: `DELIVERY_LEASE` from `now`)
        and stays claimed until marked; a claim whose lease expired (its holder died) is taken
        over, and `requeue_interrupted` releases at once the claims a previous run of the same
        owner left (the one case where a chat may get a message twice). `platforms` limits the
        claim to chats of those platforms (a process serving only some of them).
        """
        ...

    async def renew_leases(self, owner: str, until: datetime) -> int:
        """Extend every delivery lease `owner` holds to `until`; return how many."""
        ...

    async def mark_sent(self, delivery_id: int) -> None:
        """Record that the platform confirmed the message."""
        ...

    async def mark_retry(
        self, delivery_id: int, *, error: str, next_attempt_at: datetime, count_attempt: bool = True
    ) -> None:
        """Put a delivery back in the queue for a later attempt."""
        ...

    async def mark_failed(self, delivery_id: int, error: str) -> None:
        """Give up on a delivery."""
        ...

    async def requeue_interrupted(self, owner: str | None = None) -> int:
        """Put claimed deliveries a crash left unmarked back in the queue; return how many.

        With `owner`, only that owner's claims (its previous run's: other processes' claims are
        theirs to finish); without, every claim (a single process, at start).
        """
        ...

    async def pending_count(self) -> int:
        """Return how many deliveries wait (pending or claimed)."""
        ...


# -- chats and subscriptions -------------------------------------------------------------------


class ChatRepository(Protocol):
    """The chats, their settings (time zone, daily time, mode) and their subscriptions."""

    async def upsert(self, platform: str, external_id: str, title: str = "") -> ChatRecord:
        """Return the chat, creating it on first contact (title refreshed when given)."""
        ...

    async def get(self, platform: str, external_id: str) -> ChatRecord | None:
        """Return a chat by its platform id, or None."""
        ...

    async def by_id(self, chat_id: int) -> ChatRecord | None:
        """Return a chat by its row id, or None."""
        ...

    async def set_active(self, chat_id: int, active: bool) -> bool:
        """Activate or deactivate a chat; return True when its state changed.

        Deactivating drops its queued deliveries but keeps its subscriptions.
        """
        ...

    async def move(self, platform: str, old_external_id: str, new_external_id: str) -> None:
        """Carry a chat's settings and subscriptions to its new id (Telegram supergroups)."""
        ...

    async def update(self, chat_id: int, **fields: str | None) -> None:
        """Change chat settings (timezone, daily_time, mode, title); another name is a ValueError."""
        ...

    async def subscribe(self, chat_id: int, feed_id: int) -> bool:
        """Subscribe a chat to a feed; return False when it already was."""
        ...

    async def unsubscribe(self, chat_id: int, feed_id: int) -> bool:
        """Remove a subscription; return False when there was none."""
        ...

    async def subscriptions(self, chat_id: int) -> list[FeedRecord]:
        """Return a chat's feeds in the order they were added (the numbers users see)."""
        ...

    async def subscribers(self, feed_id: int) -> list[ChatRecord]:
        """Return the chats subscribed to a feed, by id."""
        ...


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed search: words, exact phrases and actors (as typed), and the filters."""

    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    since: datetime | None = None
    feed_number: int | None = None
    text: str = field(default="", compare=False)

    @property
    def has_terms(self) -> bool:
        """Say whether the query needs the full-text index (else it only filters by date/feed)."""
        return bool(self.words or self.phrases or self.actors)


@dataclass(frozen=True, slots=True)
class StoredDigest:
    """A digest as stored: its id, the feed its entry came from (None if gone), the digest."""

    digest_id: int
    feed_id: int | None
    digest: Digest


@dataclass(frozen=True, slots=True)
class RankedDigest:
    """One digest of a result page, in rank order, with the date it is filed under."""

    digest_id: int
    published: datetime


@dataclass(frozen=True, slots=True)
class StoryOutlet:
    """One digest telling a hit's story, and how its outlet may be named (first non-empty)."""

    hit_id: int
    source: str | None
    feed_title: str | None
    feed_url: str | None


class SearchStore(Protocol):
    """The full-text index of digests, its ranking, and the saved queries of paged searches."""

    async def feed_of_digest(self, digest_id: int) -> int | None:
        """Return the feed a stored digest's entry came from, or None."""
        ...

    async def index(self, digests: Sequence[StoredDigest], *, now: datetime) -> int:
        """Index digests not indexed yet, in one transaction; return how many were added."""
        ...

    async def unindexed(self, limit: int) -> list[StoredDigest]:
        """Return up to `limit` stored digests missing from the index, oldest first."""
        ...

    async def rank(
        self, query: Query, *, feed_id: int | None, now: datetime, limit: int, offset: int
    ) -> list[RankedDigest]:
        """Return one page of matching digests, best first, one per story."""
        ...

    async def story_outlets(self, digest_ids: Sequence[int]) -> list[StoryOutlet]:
        """Return, for each hit, the digests of its story: the hit's own first, then by id."""
        ...

    async def digests(self, digest_ids: Sequence[int]) -> dict[int, Digest]:
        """Return the stored digests by id (missing ids are left out)."""
        ...

    async def save_query(self, token: str, chat_id: int, text: str, *, now: datetime, forget_before: datetime) -> None:
        """Keep a query under a token for its next pages, and forget queries saved before the cut."""
        ...

    async def saved_query(self, token: str, chat_id: int) -> str | None:
        """Return the query saved under a token for this chat, or None when gone."""
        ...


@dataclass(frozen=True, slots=True)
class Follow:
    """One followed actor or keyword of a chat, as typed."""

    follow_id: int
    term: str


@dataclass(frozen=True, slots=True)
class AlertTarget:
    """A chat to alert about a digest, and one of its follows that matched."""

    chat_id: int
    term: str


class FollowStore(Protocol):
    """The chats' follows, and the follow alerts queued in a digest's transaction."""

    async def count(self, chat_id: int) -> int:
        """Return how many follows a chat has."""
        ...

    async def add(self, chat_id: int, term: str, norm: str, *, now: datetime) -> bool:
        """Add a follow; return False when the chat already follows that normalised term."""
        ...

    async def remove(self, follow_id: int) -> None:
        """Drop one follow."""
        ...

    async def of_chat(self, chat_id: int) -> list[Follow]:
        """Return a chat's follows in the order they were added."""
        ...

    async def followed_norms(self, tx: Transaction) -> list[str]:
        """Return every distinct normalised term followed by any chat."""
        ...

    async def alert_targets(
        self, tx: Transaction, digest_id: int, norms: Sequence[str], *, since: datetime
    ) -> list[AlertTarget]:
        """Return the active chats following one of `norms`, by chat then follow order.

        Left out: chats subscribed to the digest's feed, and chats sent the digest's story
        (pending, sending or sent) since `since`.
        """
        ...

    async def queue_alert(self, tx: Transaction, chat_id: int, digest_id: int, note: str, *, now: datetime) -> bool:
        """Queue one follow alert in the outbox; return False when the chat already has this digest."""
        ...


@dataclass(frozen=True, slots=True)
class DailyItem:
    """A digest of a chat's feeds for its daily digest, with its story and its feed's title."""

    digest: Digest
    created_at: datetime | None
    story_id: int
    feed_title: str | None
    feed_id: int | None = None  # whose subscription filter applies


class DailySchedule(Protocol):
    """Who gets a daily digest, which occurrence was handled last, and what goes in it."""

    async def daily_chat_ids(self) -> list[int]:
        """Return the active chats with a daily time and a mode that wants a daily digest."""
        ...

    async def last_due(self, chat_id: int) -> datetime | None:
        """Return the last occurrence handled for a chat, or None when none ever was."""
        ...

    async def mark_due(self, chat_id: int, due: datetime) -> None:
        """Record `due` as the chat's last occurrence handled."""
        ...

    async def digests_between(self, chat_id: int, start: datetime, end: datetime) -> list[DailyItem]:
        """Return the digests of the chat's feeds created in (start, end], oldest first."""
        ...


# -- model answers -----------------------------------------------------------------------------

# What became of an entry's one model call (bot.llm).
USED = "used"
REJECTED = "rejected"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """One model call for one entry: its outcome, the model's text, and why it was not used."""

    status: str  # USED, REJECTED or FAILED
    summary: str
    detail: str
    model: str
    called_at: datetime


class AnswerCache(Protocol):
    """The model's answers, one per entry, kept with the entry so that it is never asked twice.

    An answer is stored as soon as it arrives, before the digest, so a restart, a crash between
    the two or a re-poll never leads to a second call; today's count seeds the daily budget.
    """

    async def get(self, entry_id: int) -> CachedAnswer | None:
        """Return the answer stored for an entry, if a call was made for it."""
        ...

    async def put(self, entry_id: int, answer: CachedAnswer) -> None:
        """Store an entry's answer (the first one wins: an entry is asked once)."""
        ...

    async def calls_since(self, since: datetime) -> int:
        """Count the calls made since `since` (the daily budget after a restart)."""
        ...


# -- the whole store ---------------------------------------------------------------------------


class Store(Protocol):
    """One backend's repositories, opened and closed together: `async with store:`."""

    @property
    def feeds(self) -> FeedRepository:
        """The FeedRepository of this backend."""
        ...

    @property
    def entries(self) -> EntryRepository:
        """The EntryRepository of this backend."""
        ...

    @property
    def outbox(self) -> Outbox:
        """The Outbox of this backend."""
        ...

    @property
    def chats(self) -> ChatRepository:
        """The ChatRepository of this backend."""
        ...

    @property
    def search(self) -> SearchStore:
        """The SearchStore of this backend."""
        ...

    @property
    def follows(self) -> FollowStore:
        """The FollowStore of this backend."""
        ...

    @property
    def daily(self) -> DailySchedule:
        """The DailySchedule of this backend."""
        ...

    @property
    def options(self) -> SubscriptionOptionStore:
        """The SubscriptionOptionStore of this backend (filters, intervals)."""
        ...

    @property
    def stats(self) -> StatsStore:
        """The StatsStore of this backend (`/stats`)."""
        ...

    async def open(self) -> None:
        """Connect and bring the schema to the latest version."""
        ...

    async def close(self) -> None:
        """Release the connection (idempotent)."""
        ...

    async def integrity_ok(self) -> bool:
        """Return True when the backend's own consistency check passes."""
        ...

    async def __aenter__(self) -> Store: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class SubscriptionOptions:
    """What one chat set on one of its feeds: a filter (as stored) and a polling interval."""

    feed_id: int
    filter: str | None = None
    interval: timedelta | None = None


@dataclass(frozen=True, slots=True)
class FilteredChat:
    """A chat subscribed to a digest's feed with a filter, which decides its instant delivery."""

    chat_id: int
    filter: str


class SubscriptionOptionStore(Protocol):
    """Per-subscription filters and intervals, and what the poller and the fan-out read of them."""

    async def of_chat(self, chat_id: int) -> dict[int, SubscriptionOptions]:
        """Return the options a chat set, by feed id (feeds without any are left out)."""
        ...

    async def set_filter(self, chat_id: int, feed_id: int, text: str | None) -> None:
        """Store (or clear, with None) a subscription's filter."""
        ...

    async def set_interval(self, chat_id: int, feed_id: int, interval: timedelta | None, *, now: datetime) -> None:
        """Store (or clear) a subscription's interval, and bring the feed's next poll forward to it."""
        ...

    async def asked_intervals(self) -> dict[int, tuple[timedelta | None, ...]]:
        """Return, for each feed some active chat set an interval on, every active subscription's one."""
        ...

    async def filtered_chats(self, tx: Transaction, digest_id: int) -> list[FilteredChat]:
        """Return the chats subscribed with a filter to the feed of a digest being stored."""
        ...

    async def drop_instant(self, tx: Transaction, digest_id: int, chat_ids: Sequence[int]) -> int:
        """Take a digest's queued instant deliveries to these chats back out of the outbox."""
        ...


@dataclass(frozen=True, slots=True)
class FailedReason:
    """Failed deliveries sharing one reason: how many, and when the last was queued."""

    reason: str
    count: int
    last: datetime | None


@dataclass(frozen=True, slots=True)
class StatsSnapshot:
    """What `/stats` reports from storage: feeds, chats, the outbox, digests, since a cut-off."""

    feeds: dict[str, int]  # active, backing_off (active with errors), paused, gone
    chats: dict[str, int]  # active and inactive chats by platform: "telegram", "telegram:inactive"
    deliveries: dict[str, int]  # deliveries queued since the cut-off, by state
    outbox: int  # pending or sending, whenever queued
    failures: tuple[FailedReason, ...]  # failed since the cut-off, commonest reason first
    digests: int  # digests made since the cut-off


class StatsStore(Protocol):
    """The operator's figures (`/stats`)."""

    async def snapshot(self, since: datetime) -> StatsSnapshot:
        """Count feeds, chats and the outbox now, and deliveries, failures and digests since `since`."""
        ...
