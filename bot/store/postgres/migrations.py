"""Versioned PostgreSQL schema: migration N brings `schema_version` from N-1 to N.

The tables mirror the final SQLite schema (`bot.store.sqlite.migrations`, versions 1-5) in PostgreSQL's
types: `bigserial` ids, `timestamptz` times, `boolean` flags, `jsonb` where SQLite keeps JSON
text (a digest, an outbox message, a story signature). Search needs no side index: each
`search_docs` row carries its `tsvector`, built in `veille_french` (unaccent, then the French
Snowball stemmer without stop words) and indexed with GIN. Append new migrations at the end; never edit one that
has shipped.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the final SQLite schema (its migrations 1-5), and the search configuration.
    """
    CREATE EXTENSION IF NOT EXISTS unaccent;
    -- French Snowball without PostgreSQL's stop-word list: bot.french alone decides what a stop
    -- word is, on both backends ("AS Monaco" is found although "as" is on PostgreSQL's list).
    CREATE TEXT SEARCH DICTIONARY veille_french_stem (TEMPLATE = snowball, Language = french);
    CREATE TEXT SEARCH CONFIGURATION veille_french (COPY = pg_catalog.french);
    ALTER TEXT SEARCH CONFIGURATION veille_french
        ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
        WITH unaccent, veille_french_stem;

    CREATE TABLE feeds (
        id bigserial PRIMARY KEY,
        url text NOT NULL UNIQUE,
        title text NOT NULL DEFAULT '',
        etag text,
        last_modified text,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'gone')),
        consecutive_errors integer NOT NULL DEFAULT 0,
        last_error text,
        first_error_at timestamptz,
        next_poll_at timestamptz,
        last_polled_at timestamptz,
        created_at timestamptz NOT NULL,
        body_hash text
    );
    -- Never-scheduled feeds sort first, so one range scan finds every due feed.
    CREATE INDEX feeds_due ON feeds (status, (COALESCE(next_poll_at, '-infinity'::timestamptz)));

    CREATE TABLE entries (
        id bigserial PRIMARY KEY,
        feed_id bigint NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        uid text NOT NULL,
        url text NOT NULL DEFAULT '',
        title text NOT NULL DEFAULT '',
        published timestamptz,
        summary text NOT NULL DEFAULT '',
        content text NOT NULL DEFAULT '',
        content_hash text NOT NULL,
        state text NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'seen', 'digested', 'failed')),
        created_at timestamptz NOT NULL,
        UNIQUE (feed_id, uid)
    );
    CREATE INDEX entries_state ON entries (state);

    CREATE TABLE digests (
        id bigserial PRIMARY KEY,
        entry_id bigint NOT NULL UNIQUE REFERENCES entries(id) ON DELETE CASCADE,
        json jsonb NOT NULL,
        text text NOT NULL,
        created_at timestamptz NOT NULL
    );
    CREATE INDEX digests_created ON digests (created_at);

    CREATE TABLE chats (
        id bigserial PRIMARY KEY,
        platform text NOT NULL,
        external_id text NOT NULL,
        title text NOT NULL DEFAULT '',
        timezone text NOT NULL DEFAULT 'Europe/Paris',
        daily_time text,
        mode text NOT NULL DEFAULT 'instant' CHECK (mode IN ('instant', 'quotidien', 'both')),
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL,
        UNIQUE (platform, external_id)
    );

    CREATE TABLE subscriptions (
        chat_id bigint NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        feed_id bigint NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (chat_id, feed_id)
    );
    CREATE INDEX subscriptions_feed ON subscriptions (feed_id);

    -- The outbox: a digest for a chat (instant, follow) or a rendered message (daily, notice).
    CREATE TABLE deliveries (
        id bigserial PRIMARY KEY,
        chat_id bigint NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        digest_id bigint REFERENCES digests(id) ON DELETE CASCADE,
        message jsonb,
        dedupe_key text,
        kind text NOT NULL DEFAULT 'instant' CHECK (kind IN ('instant', 'follow', 'daily', 'notice')),
        note text,
        state text NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'dropped')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        last_error text,
        sent_at timestamptz,
        created_at timestamptz NOT NULL,
        CHECK ((digest_id IS NULL) <> (message IS NULL)),
        UNIQUE (chat_id, digest_id),
        UNIQUE (chat_id, dedupe_key)
    );
    CREATE INDEX deliveries_pending ON deliveries (state, next_attempt_at);
    CREATE INDEX deliveries_chat_created ON deliveries (chat_id, created_at);
    CREATE INDEX deliveries_digest ON deliveries (digest_id);

    -- One row per indexed digest: its filters and its stems, weighted by field
    -- (A title, B actors, C summary and legal stakes, D source).
    CREATE TABLE search_docs (
        digest_id bigint PRIMARY KEY REFERENCES digests(id) ON DELETE CASCADE,
        feed_id bigint,
        published timestamptz NOT NULL,
        document tsvector NOT NULL
    );
    CREATE INDEX search_docs_document ON search_docs USING gin (document);
    CREATE INDEX search_docs_feed ON search_docs (feed_id, published);
    CREATE INDEX search_docs_published ON search_docs (published);

    CREATE TABLE search_sessions (
        token text PRIMARY KEY,
        chat_id bigint NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        query text NOT NULL,
        created_at timestamptz NOT NULL
    );

    CREATE TABLE stories (
        digest_id bigint PRIMARY KEY REFERENCES digests(id) ON DELETE CASCADE,
        story_id bigint NOT NULL,
        feed_id bigint,
        created_at timestamptz NOT NULL,
        signature jsonb NOT NULL
    );
    CREATE INDEX stories_created ON stories (created_at);
    CREATE INDEX stories_story ON stories (story_id);

    CREATE TABLE follows (
        id bigserial PRIMARY KEY,
        chat_id bigint NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        term text NOT NULL,
        norm text NOT NULL,
        created_at timestamptz NOT NULL,
        UNIQUE (chat_id, norm)
    );

    CREATE TABLE daily_state (
        chat_id bigint PRIMARY KEY REFERENCES chats(id) ON DELETE CASCADE,
        last_due_at timestamptz,
        last_sent_at timestamptz
    );
    """,
    # 2: per-subscription filter and interval, and the feed's own polling hint (SQLite's 6).
    """
    ALTER TABLE subscriptions ADD COLUMN filter text;
    ALTER TABLE subscriptions ADD COLUMN interval_seconds integer CHECK (interval_seconds > 0);
    ALTER TABLE feeds ADD COLUMN hint_seconds integer CHECK (hint_seconds >= 0);
    """,
    # 3: leases, so that several processes share the work (SQLite's migration 8, same columns):
    # a claimed feed, entry or delivery is held by `lease_owner` until `lease_until`.
    """
    ALTER TABLE feeds ADD COLUMN lease_owner text, ADD COLUMN lease_until timestamptz;
    ALTER TABLE entries ADD COLUMN lease_owner text, ADD COLUMN lease_until timestamptz;
    ALTER TABLE deliveries ADD COLUMN lease_owner text, ADD COLUMN lease_until timestamptz;
    CREATE INDEX feeds_lease ON feeds (lease_owner) WHERE lease_owner IS NOT NULL;
    CREATE INDEX entries_lease ON entries (lease_owner) WHERE lease_owner IS NOT NULL;
    CREATE INDEX deliveries_lease ON deliveries (lease_owner) WHERE lease_owner IS NOT NULL;
    """,
    # 4: the model's answers, one per entry (SQLite's migration 7, same columns), so that an
    # entry is never sent to the model twice, whichever poller digests it.
    """
    CREATE TABLE llm_answers (
        entry_id bigint PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
        status text NOT NULL CHECK (status IN ('used', 'rejected', 'failed')),
        summary text NOT NULL DEFAULT '',
        detail text NOT NULL DEFAULT '',
        model text NOT NULL DEFAULT '',
        called_at timestamptz NOT NULL
    );
    CREATE INDEX llm_answers_called ON llm_answers (called_at);
    """,
]
