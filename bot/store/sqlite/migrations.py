"""Versioned schema: migration N brings `PRAGMA user_version` from N-1 to N.

Append new migrations at the end; never edit one that has shipped. Unique constraints make
duplicates impossible at the database level, whatever the code above does.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the spine — feeds, entries, digests, chats, subscriptions, the delivery outbox.
    """
    CREATE TABLE feeds (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL DEFAULT '',
        etag TEXT,
        last_modified TEXT,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'gone')),
        consecutive_errors INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        first_error_at TEXT,
        next_poll_at TEXT,
        last_polled_at TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        uid TEXT NOT NULL,
        url TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL DEFAULT '',
        published TEXT,
        summary TEXT NOT NULL DEFAULT '',
        content TEXT NOT NULL DEFAULT '',
        content_hash TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'seen', 'digested', 'failed')),
        created_at TEXT NOT NULL,
        UNIQUE (feed_id, uid)
    );
    CREATE INDEX entries_state ON entries(state);
    CREATE TABLE digests (
        id INTEGER PRIMARY KEY,
        entry_id INTEGER NOT NULL UNIQUE REFERENCES entries(id) ON DELETE CASCADE,
        json TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE chats (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        external_id TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        timezone TEXT NOT NULL DEFAULT 'Europe/Paris',
        daily_time TEXT,
        mode TEXT NOT NULL DEFAULT 'instant' CHECK (mode IN ('instant', 'quotidien', 'both')),
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        UNIQUE (platform, external_id)
    );
    CREATE TABLE subscriptions (
        chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        PRIMARY KEY (chat_id, feed_id)
    );
    CREATE INDEX subscriptions_feed ON subscriptions(feed_id);
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        digest_id INTEGER NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
        kind TEXT NOT NULL DEFAULT 'instant',
        note TEXT,
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'dropped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        sent_at TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (chat_id, digest_id)
    );
    CREATE INDEX deliveries_pending ON deliveries(state, next_attempt_at);
    """,
    # 2: search index, story clusters (cross-outlet dedupe), follows, daily-digest state.
    """
    CREATE VIRTUAL TABLE search_index USING fts5(
        title, summary, actors, legal, source,
        content = '',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TABLE search_docs (
        digest_id INTEGER PRIMARY KEY REFERENCES digests(id) ON DELETE CASCADE,
        feed_id INTEGER,
        published REAL NOT NULL
    );
    CREATE INDEX search_docs_feed ON search_docs(feed_id, published);
    CREATE INDEX search_docs_published ON search_docs(published);
    CREATE TABLE search_sessions (
        token TEXT PRIMARY KEY,
        chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        query TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE stories (
        digest_id INTEGER PRIMARY KEY REFERENCES digests(id) ON DELETE CASCADE,
        story_id INTEGER NOT NULL,
        feed_id INTEGER,
        created_at TEXT NOT NULL,
        signature TEXT NOT NULL
    );
    CREATE INDEX stories_created ON stories(created_at);
    CREATE INDEX stories_story ON stories(story_id);
    CREATE TABLE follows (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        term TEXT NOT NULL,
        norm TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (chat_id, norm)
    );
    CREATE TABLE daily_state (
        chat_id INTEGER PRIMARY KEY REFERENCES chats(id) ON DELETE CASCADE,
        last_due_at TEXT,
        last_sent_at TEXT
    );
    CREATE INDEX deliveries_chat_created ON deliveries(chat_id, created_at);
    """,
    # 3: the outbox carries every outgoing message, not only digests. A row is a digest for a
    # chat (`digest_id`, kinds instant and follow) or a message rendered by each adapter
    # (`message`: a serialised `bot.models.Reply`, kinds daily and notice). `dedupe_key` makes
    # a message idempotent per chat ("daily:2026-12-01:1": a day's digest is queued once).
    # SQLite cannot relax NOT NULL in place, so the table is rebuilt with its rows.
    """
    CREATE TABLE deliveries_v3 (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        digest_id INTEGER REFERENCES digests(id) ON DELETE CASCADE,
        message TEXT,
        dedupe_key TEXT,
        kind TEXT NOT NULL DEFAULT 'instant' CHECK (kind IN ('instant', 'follow', 'daily', 'notice')),
        note TEXT,
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'dropped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        sent_at TEXT,
        created_at TEXT NOT NULL,
        CHECK ((digest_id IS NULL) != (message IS NULL)),
        UNIQUE (chat_id, digest_id),
        UNIQUE (chat_id, dedupe_key)
    );
    INSERT INTO deliveries_v3 (id, chat_id, digest_id, kind, note, state, attempts, next_attempt_at,
                               last_error, sent_at, created_at)
        SELECT id, chat_id, digest_id, kind, note, state, attempts, next_attempt_at, last_error,
               sent_at, created_at FROM deliveries;
    DROP TABLE deliveries;
    ALTER TABLE deliveries_v3 RENAME TO deliveries;
    CREATE INDEX deliveries_pending ON deliveries(state, next_attempt_at);
    CREATE INDEX deliveries_chat_created ON deliveries(chat_id, created_at);
    """,
    # 4: a tick reads only the feeds whose poll time has come, through this index, instead of
    # loading every feed. `ifnull` puts never-scheduled feeds ('' sorts before any time) in the
    # same range, so one range scan finds them all; the query must use the same expression.
    """
    CREATE INDEX feeds_due ON feeds(status, ifnull(next_poll_at, ''));
    """,
    # 5: the fingerprint of the last body a feed's entries were stored from. A 200 whose body is
    # byte-identical to it (servers that ignore conditional GET) is not parsed again.
    """
    ALTER TABLE feeds ADD COLUMN body_hash TEXT;
    """,
    # 6: per-subscription options and the feed's own hint. `filter` is the filter as stored by
    # /filtre (NULL: every digest); `interval_seconds` the interval set by /intervalle (NULL: the
    # default); `hint_seconds` the longest interval the feed asks for (<ttl>, sy:updatePeriod,
    # Cache-Control max-age): 0 when its last body asked none, NULL before one was read.
    """
    ALTER TABLE subscriptions ADD COLUMN filter TEXT;
    ALTER TABLE subscriptions ADD COLUMN interval_seconds INTEGER CHECK (interval_seconds > 0);
    ALTER TABLE feeds ADD COLUMN hint_seconds INTEGER CHECK (hint_seconds >= 0);
    """,
    # 7: one model answer per entry (optional LLM summaries, bot.llm): an entry is asked once,
    # even across a restart or a crash between the answer and its digest; `called_at` lets the
    # daily call budget survive a restart.
    """
    CREATE TABLE llm_answers (
        entry_id INTEGER PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
        status TEXT NOT NULL CHECK (status IN ('used', 'rejected', 'failed')),
        summary TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT '',
        model TEXT NOT NULL DEFAULT '',
        called_at TEXT NOT NULL
    );
    CREATE INDEX llm_answers_called ON llm_answers(called_at);
    """,
    # 8: leases, so that several processes share the work (`veille run --role poller|chat`).
    # A due feed, a pending entry or a delivery being sent is held by `lease_owner` until
    # `lease_until`; the holder renews it while it works, and a process killed mid-cycle lets
    # it expire, after which another process takes the row over. NULL: nobody holds the row.
    """
    ALTER TABLE feeds ADD COLUMN lease_owner TEXT;
    ALTER TABLE feeds ADD COLUMN lease_until TEXT;
    ALTER TABLE entries ADD COLUMN lease_owner TEXT;
    ALTER TABLE entries ADD COLUMN lease_until TEXT;
    ALTER TABLE deliveries ADD COLUMN lease_owner TEXT;
    ALTER TABLE deliveries ADD COLUMN lease_until TEXT;
    CREATE INDEX entries_lease ON entries(lease_owner) WHERE lease_owner IS NOT NULL;
    CREATE INDEX feeds_lease ON feeds(lease_owner) WHERE lease_owner IS NOT NULL;
    CREATE INDEX deliveries_lease ON deliveries(lease_owner) WHERE lease_owner IS NOT NULL;
    """,
]
