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
          ├─ answers   AnswerCache         model answers, one per entry (LLM summaries)
          └─ gauges    GaugeSource         outbox and feed counts for /metrics, ping for /healthz

Claims (`FeedRepository.claim_due`, `EntryRepository.claim_pending`, `Outbox.claim`) take `now`,
a lease (`owner` until `until`) and a limit, and return whole rows, so that several processes
share the work (`veille run --role poller` N times): a row another owner holds is skipped until
its lease expires, then taken over (a killed process's work is resumed within one lease). The
holder renews its leases while it works (`renew_leases`) and gives them back when it stops
(`release_leases`); recording a result releases the row. A backend implements a claim as one
atomic statement or transaction (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL).
"""

from bot.store.protocols.answers import FAILED, REJECTED, USED, AnswerCache, CachedAnswer
from bot.store.protocols.chats import ChatRepository
from bot.store.protocols.daily import DailyItem, DailySchedule
from bot.store.protocols.entries import EntryRepository, PendingEntry
from bot.store.protocols.feeds import FeedRepository, PollFailure, PollRecord, PollSuccess
from bot.store.protocols.follows import AlertTarget, Follow, FollowStore
from bot.store.protocols.gauges import DELIVERY_STATES, FEED_STATUSES, GaugeSource, StoreGauges
from bot.store.protocols.options import FilteredChat, SubscriptionOptions, SubscriptionOptionStore
from bot.store.protocols.outbox import DELIVERY_LEASE, DeliveryJob, Outbox
from bot.store.protocols.search import Query, RankedDigest, SearchStore, StoredDigest, StoryOutlet
from bot.store.protocols.stats import FailedReason, StatsSnapshot, StatsStore
from bot.store.protocols.store import Store
from bot.store.protocols.transaction import QueueHook, Transaction

__all__ = [
    "AlertTarget",
    "AnswerCache",
    "CachedAnswer",
    "ChatRepository",
    "DELIVERY_LEASE",
    "DELIVERY_STATES",
    "DailyItem",
    "DailySchedule",
    "DeliveryJob",
    "EntryRepository",
    "FAILED",
    "FEED_STATUSES",
    "FailedReason",
    "FeedRepository",
    "FilteredChat",
    "Follow",
    "FollowStore",
    "GaugeSource",
    "Outbox",
    "PendingEntry",
    "PollFailure",
    "PollRecord",
    "PollSuccess",
    "Query",
    "QueueHook",
    "REJECTED",
    "RankedDigest",
    "SearchStore",
    "StatsSnapshot",
    "StatsStore",
    "Store",
    "StoreGauges",
    "StoredDigest",
    "StoryOutlet",
    "SubscriptionOptionStore",
    "SubscriptionOptions",
    "Transaction",
    "USED",
]
