"""The search index on PostgreSQL full-text search (`search_docs.document`, GIN), and saved queries.

Both sides of a match go through `bot.french.content_stems` first, as on SQLite, so the two
backends find the same digests for the same query ("condamnée" finds "condamnés": Python's
pipeline folds accents and trims what Snowball leaves of a past participle, and it alone
drops stop words). PostgreSQL then turns those stems into lexemes with `veille_french`
(unaccent, then French Snowball with no stop-word list), the same configuration for documents
and queries, so the two meet whatever the stems hold.

A document is one `tsvector` of five fields, weighted A title, B actors, C summary and legal
stakes, D source; a gap of `FIELD_GAP` positions between fields keeps a phrase from matching
across two of them, as FTS5 columns do. `acteur:` restricts its lexemes to weight B.

Ranking mirrors `bot.store.sqlite.search`: a relevance score (`ts_rank` with the field weights)
scaled by the same recency boost, one hit per story, over the newest `CANDIDATES` matches only,
ties broken by digest id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg

from bot.french import content_stems
from bot.store.postgres.database import PostgresDatabase, db_time, pg_text
from bot.store.protocols import Query, RankedDigest, StoredDigest, StoryOutlet
from digests.model import Digest

CONFIG = "veille_french"
# How many of the newest matches are ranked (all of them for any but the commonest words).
CANDIDATES = 500
# ts_rank weights in {D, C, B, A} order: source 1, summary and legal 3, actors 6, title 8 (as bm25's).
RANK_WEIGHTS = "{0.1, 0.3, 0.6, 0.8}"
# Recency: a digest of today scores up to 30 % more than an old one; half that edge after 2 weeks.
RECENCY_BOOST = 0.3
RECENCY_HALF_LIFE_DAYS = 14.0
# Positions left empty between two fields: no phrase spans them (a field has far fewer stems).
FIELD_GAP = 1000
_GAP_LEXEME = "~"  # never a stem (stems are word characters), deleted once the gaps are placed

_FIELD = f"setweight(to_tsvector('{CONFIG}', ${{n}}), '{{weight}}')"
_GAP = f"'{_GAP_LEXEME}:{FIELD_GAP}'::tsvector"
# The document of one digest from its five stemmed fields ($2-$6, in `document_fields` order).
DOCUMENT_SQL = (
    "ts_delete("
    + f" || {_GAP} || ".join(_FIELD.format(n=n, weight=w) for n, w in zip(range(2, 7), "ABCCD", strict=True))
    + f", '{_GAP_LEXEME}')"
)


def document_fields(digest: Digest) -> tuple[str, str, str, str, str]:
    """Return the stems of each field, in document order: title, actors, summary, legal, source."""
    actor_names = " ; ".join(" ; ".join((a.name, *a.aliases)) for a in digest.actors)
    legal = " ; ".join(item.text for item in digest.legal)
    return tuple(  # type: ignore[return-value]  # five strings, one per field
        " ".join(content_stems(text)) for text in (digest.title, actor_names, digest.summary, legal, digest.source)
    )


def _lexeme(stem: str, weight: str = "") -> str:
    quoted = stem.replace("\\", "\\\\").replace("'", "''")
    return f"'{quoted}'" + (f":{weight}" if weight else "")


def _phrase(stems: Sequence[str], weight: str = "") -> str:
    return "(" + " <-> ".join(_lexeme(s, weight) for s in stems) + ")"


def tsquery_text(query: Query) -> str:
    """Build the `to_tsquery` text: every stem quoted, so user text never reaches tsquery syntax."""
    parts: list[str] = []
    for word in query.words:
        parts.extend(_lexeme(s) for s in content_stems(word))
    parts.extend(_phrase(stems) for stems in map(content_stems, query.phrases) if stems)
    parts.extend(_phrase(stems, "B") for stems in map(content_stems, query.actors) if stems)
    return " & ".join(parts)


def _published(digest: Digest, now: datetime) -> datetime:
    """Return the date a digest is filed under (naive read as local time, as `.timestamp()` does)."""
    return (digest.published or now).astimezone(UTC)


class PostgresSearchStore:
    """`bot.store.protocols.SearchStore` on PostgreSQL full-text search."""

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database

    async def feed_of_digest(self, digest_id: int) -> int | None:
        """See `SearchStore.feed_of_digest`."""
        feed_id = await self.database.pool.fetchval(
            "SELECT e.feed_id FROM digests d JOIN entries e ON e.id = d.entry_id WHERE d.id = $1", digest_id
        )
        return int(feed_id) if feed_id is not None else None

    async def index(self, digests: Sequence[StoredDigest], *, now: datetime) -> int:
        """See `SearchStore.index`: one transaction; a digest indexed already is left as it is."""
        if not digests:
            return 0
        async with self.database.transaction() as conn:
            rows = await conn.fetch(
                "SELECT digest_id FROM search_docs WHERE digest_id = ANY($1::bigint[])", [d.digest_id for d in digests]
            )
            known = {int(r[0]) for r in rows}
            fresh = {d.digest_id: d for d in digests if d.digest_id not in known}
            await conn.executemany(
                f"""INSERT INTO search_docs (digest_id, feed_id, published, document)
                    VALUES ($1, $7, $8, {DOCUMENT_SQL}) ON CONFLICT (digest_id) DO NOTHING""",
                [(i, *document_fields(d.digest), d.feed_id, _published(d.digest, now)) for i, d in fresh.items()],
            )
        return len(fresh)

    async def unindexed(self, limit: int) -> list[StoredDigest]:
        """See `SearchStore.unindexed`."""
        rows = await self.database.pool.fetch(
            """SELECT d.id, d.json::text, e.feed_id FROM digests d JOIN entries e ON e.id = d.entry_id
               WHERE NOT EXISTS (SELECT 1 FROM search_docs s WHERE s.digest_id = d.id)
               ORDER BY d.id LIMIT $1""",
            limit,
        )
        return [StoredDigest(int(r[0]), r[2], Digest.from_json(r[1])) for r in rows]

    async def rank(
        self, query: Query, *, feed_id: int | None, now: datetime, limit: int, offset: int
    ) -> list[RankedDigest]:
        """See `SearchStore.rank`: relevance with recency over the newest `CANDIDATES` matches."""
        params: list[object] = []

        def param(value: object) -> str:
            params.append(value)
            return f"${len(params)}"

        filters = []
        if query.since is not None:
            filters.append(f"d.published >= {param(query.since)}")
        if feed_id is not None:
            filters.append(f"d.feed_id = {param(feed_id)}")
        if query.has_terms:
            terms = f"to_tsquery('{CONFIG}', {param(tsquery_text(query))})"
            where = " AND ".join([f"d.document @@ {terms}", *filters])
            # The newest CANDIDATES matches only: a word in 50,000 digests is not ranked 50,000
            # times (the planner walks the primary key backwards and stops at the 500th match).
            sql = f"""
                WITH candidates AS (
                    SELECT d.digest_id, d.published, d.document FROM search_docs d WHERE {where}
                    ORDER BY d.digest_id DESC LIMIT {CANDIDATES}
                ),
                ranked AS (
                    SELECT c.digest_id, c.published,
                           -ts_rank('{RANK_WEIGHTS}', c.document, {terms})
                           * (1.0 + {param(RECENCY_BOOST)}::float8 / (1.0 + GREATEST(
                               EXTRACT(EPOCH FROM {param(now)}::timestamptz - c.published)::float8, 0)
                               / {param(RECENCY_HALF_LIFE_DAYS * 86400)}::float8)) AS score
                    FROM candidates c
                )"""
        else:
            where = " AND ".join(filters) or "true"
            sql = f"""
                WITH ranked AS (
                    SELECT d.digest_id, d.published, -EXTRACT(EPOCH FROM d.published)::float8 AS score
                    FROM search_docs d WHERE {where}
                )"""
        # One hit per story (`stories.story_id`), at its best rank; a digest alone is its own story.
        sql += f"""
            SELECT digest_id, published FROM (
                SELECT r.digest_id, r.published, r.score, ROW_NUMBER() OVER (
                    PARTITION BY COALESCE(s.story_id, -r.digest_id) ORDER BY r.score, r.digest_id
                ) AS place
                FROM ranked r LEFT JOIN stories s ON s.digest_id = r.digest_id
            ) best WHERE place = 1 ORDER BY score, digest_id LIMIT {param(limit)} OFFSET {param(offset)}"""
        async with self.planned_for_its_terms() as conn:
            rows = await conn.fetch(sql, *params)
        return [RankedDigest(int(r[0]), r[1]) for r in rows]

    @asynccontextmanager
    async def planned_for_its_terms(self) -> AsyncIterator[asyncpg.Connection]:
        """Lend a connection that plans each statement for its values, as a search needs.

        Why: asyncpg keeps one prepared statement per query shape, and after five runs
        PostgreSQL may switch it to a generic plan blind to the terms, so that a word in half
        the digests gets the plan of a rare one (a bitmap scan over 56,000 rows, 35 ms instead
        of 1). And the index is read from memory, not from a spinning disk: at the default
        random_page_cost (4) a word in 1.4 % of 100,000 digests was walked down the primary
        key (36,000 rows filtered, 19 ms) instead of read through the GIN index (3.6 ms); 1.1
        is the value PostgreSQL's manual suggests for cached or solid-state storage. Other
        statements keep their cached plans (a custom plan costs up to a millisecond of
        planning): the pool's RESET ALL undoes both settings when the connection goes back.
        """
        async with self.database.pool.acquire() as conn:
            await conn.execute("SET plan_cache_mode = force_custom_plan; SET random_page_cost = 1.1")
            yield conn

    async def story_outlets(self, digest_ids: Sequence[int]) -> list[StoryOutlet]:
        """See `SearchStore.story_outlets`."""
        if not digest_ids:
            return []
        rows = await self.database.pool.fetch(
            """SELECT hit.digest_id AS hit, dg.json->>'source' AS source, f.title, f.url,
                      other.digest_id = hit.digest_id AS own
               FROM search_docs hit
               LEFT JOIN stories mine ON mine.digest_id = hit.digest_id
               JOIN LATERAL (
                   SELECT hit.digest_id AS digest_id
                   UNION SELECT s.digest_id FROM stories s WHERE s.story_id = mine.story_id
               ) member ON true
               JOIN search_docs other ON other.digest_id = member.digest_id
               JOIN digests dg ON dg.id = other.digest_id
               LEFT JOIN feeds f ON f.id = other.feed_id
               WHERE hit.digest_id = ANY($1::bigint[])
               ORDER BY own DESC, other.digest_id""",
            list(digest_ids),
        )
        return [StoryOutlet(int(r["hit"]), r["source"], r["title"], r["url"]) for r in rows]

    async def digests(self, digest_ids: Sequence[int]) -> dict[int, Digest]:
        """See `SearchStore.digests`."""
        if not digest_ids:
            return {}
        rows = await self.database.pool.fetch(
            "SELECT id, json::text FROM digests WHERE id = ANY($1::bigint[])", list(digest_ids)
        )
        return {int(r[0]): Digest.from_json(r[1]) for r in rows}

    async def save_query(self, token: str, chat_id: int, text: str, *, now: datetime, forget_before: datetime) -> None:
        """See `SearchStore.save_query`: a token saved again is replaced, as on SQLite."""
        async with self.database.transaction() as conn:
            await conn.execute("DELETE FROM search_sessions WHERE created_at < $1", db_time(forget_before))
            await conn.execute(
                """INSERT INTO search_sessions (token, chat_id, query, created_at) VALUES ($1, $2, $3, $4)
                   ON CONFLICT (token) DO UPDATE SET chat_id = excluded.chat_id, query = excluded.query,
                   created_at = excluded.created_at""",
                token,
                chat_id,
                pg_text(text),
                db_time(now),
            )

    async def saved_query(self, token: str, chat_id: int) -> str | None:
        """See `SearchStore.saved_query`."""
        query = await self.database.pool.fetchval(
            "SELECT query FROM search_sessions WHERE token = $1 AND chat_id = $2", token, chat_id
        )
        return str(query) if query is not None else None
