"""Full-text search over stored digests: `/recherche` (`/search`).

    digest ──stems──▶ search_index (FTS5, contentless)      search_docs (feed, date)
    "/recherche cnil depuis:7j" ──parse_query──▶ Query ──fts_expression──▶ MATCH … ORDER BY score

Both sides go through `bot.french.content_stems` (accents folded, Snowball French, stop words
dropped), so "condamnée" finds "condamné" and a phrase such as "abus de confiance" is matched on
its content words in order, without walking the huge position lists of "de"; FTS5's
`unicode61 remove_diacritics 2` tokenizer then only splits the stems into words. The index
is contentless: it holds stems, not text, so it stays small; the five digests of a page are read
back from `digests` to show them and to say why each matched. Ranking is BM25 (title and
actors weigh most; FTS5 saturates them, so a title hit counts at most about twice a summary
hit) scaled by a recency boost: a fresh digest counts up to 30 % more than an old one, half
that edge after two weeks, so recency orders close matches without burying the news archive.
Only the newest `CANDIDATES` matches are ranked: exact for any query matching fewer digests,
and for a word found in tens of thousands (a regulator's name) it keeps p95 under 20 ms at
100,000 digests, at the price of ranking the last 500 such digests rather than all.

Pagination keeps the query server-side (`search_sessions`), so a button's data stays a short
command line such as "recherche #k3f9a 2", well within Telegram's 64 bytes.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from bot.arguments import load_zone, parse_number
from bot.errors import InputError
from bot.french import content_stems
from bot.models import Button, ChatRecord, CommandContext, Reply, ReplyItem
from bot.storage import Storage, to_db_time, utcnow
from digests.model import Digest
from digests.render import french_date

log = structlog.get_logger(__name__)

PAGE_SIZE = 5
MAX_PAGE = 20
# How many of the newest matches are ranked (all of them for any but the commonest words).
CANDIDATES = 500
SESSION_TTL = timedelta(days=1)
# bm25 column weights, in column order: title, summary, actors, legal, source.
WEIGHTS = (8.0, 3.0, 6.0, 3.0, 1.0)
# Recency: a digest of today scores up to 30 % more than an old one; half that edge after 2 weeks.
RECENCY_BOOST = 0.3
RECENCY_HALF_LIFE_DAYS = 14.0

SYNTAX_HELP = (
    'Syntaxe : des mots (tous doivent figurer), "une expression exacte", acteur:CNIL, '
    "depuis:7j (ou 24h, 2s, 3m, 2026-03-01), flux:2 (numéro donné par /abonnements).\n"
    'Exemple : /recherche "fuite de données" acteur:CNIL depuis:30j'
)

_TOKEN = re.compile(
    r'(?P<key>[^\W\d_]\w*):(?P<value>"[^"]*"|[^\s"]*)|"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+)|(?P<quote>")'
)
_DURATION = re.compile(r"([0-9]{1,4})\s*([hjdswm])", re.IGNORECASE)
_DURATION_UNITS = {"h": 1 / 24, "j": 1, "d": 1, "s": 7, "w": 7, "m": 30}
_KEYS = {
    "acteur": "actor",
    "actor": "actor",
    "depuis": "since",
    "since": "since",
    "flux": "feed",
    "feed": "feed",
}
_ALPHABET = string.ascii_lowercase + string.digits


def _hint(reason: str, french: str) -> InputError:
    return InputError(reason, french=f"{french}\n{SYNTAX_HELP}")


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


def parse_query(text: str, *, now: datetime | None = None) -> Query:
    """Parse the user's query, or raise `InputError` with a French hint (never an FTS5 error)."""
    now = now or utcnow()
    words: list[str] = []
    phrases: list[str] = []
    actors: list[str] = []
    since: datetime | None = None
    feed_number: int | None = None
    for match in _TOKEN.finditer(text):
        if match["quote"]:
            raise _hint("unbalanced quote", "Il manque un guillemet fermant.")
        if match["phrase"] is not None:
            if match["phrase"].strip():
                phrases.append(match["phrase"].strip())
            continue
        if match["word"] is not None:
            if any(c.isalnum() for c in match["word"]):
                words.append(match["word"])
            continue
        key = _KEYS.get(match["key"].lower())
        value = match["value"].strip('"').strip()
        if key is None:
            raise _hint("unknown filter", f"Filtre inconnu : « {match['key'][:20]}: ».")
        if not value:
            raise _hint("empty filter", f"Le filtre « {match['key']}: » attend une valeur.")
        if key == "actor":
            if not content_stems(value):
                raise _hint("empty actor", "Indiquez un nom après acteur:, par exemple acteur:CNIL.")
            actors.append(value)
        elif key == "since":
            since = _parse_since(value, now)
        else:
            feed_number = parse_number(value)
            if feed_number is None or feed_number < 1:
                raise _hint("bad feed", "Après flux:, indiquez un numéro de /abonnements (ex. flux:2).")
    query = Query(tuple(words), tuple(phrases), tuple(actors), since, feed_number, text=text.strip())
    if query.has_terms and not _meaningful(query):
        raise _hint("only stop words", "Ces mots sont trop courants pour une recherche : précisez-la.")
    if not query.has_terms and since is None and feed_number is None:
        raise _hint("empty query", "Que cherchez-vous ?")
    return query


def _meaningful(query: Query) -> bool:
    """Return True when every phrase has a word beyond stop words, and some term does."""
    if any(not content_stems(p) for p in query.phrases):
        return False
    return any(content_stems(t) for t in (*query.words, *query.phrases, *query.actors))


def _parse_since(value: str, now: datetime) -> datetime:
    """Read "7j", "24h", "2s"/"2w", "3m" or an ISO date into the earliest time wanted."""
    duration = _DURATION.fullmatch(value)
    if duration:
        days = (parse_number(duration[1]) or 0) * _DURATION_UNITS[duration[2].lower()]
        return now - timedelta(days=days)
    try:
        day = datetime.fromisoformat(value)
    except ValueError:
        raise _hint(
            "bad since", "Après depuis:, indiquez une durée (7j, 24h, 2s, 3m) ou une date (2026-03-01)."
        ) from None
    return day if day.tzinfo else day.replace(tzinfo=now.tzinfo)


def fts_expression(query: Query) -> str:
    """Build the FTS5 MATCH expression: every stem quoted, so user text never reaches FTS5 syntax."""
    parts: list[str] = []
    for word in query.words:
        parts.extend(f'"{s}"' for s in content_stems(word))
    parts.extend(f'"{" ".join(content_stems(p))}"' for p in query.phrases)
    parts.extend(f'actors : "{" ".join(content_stems(a))}"' for a in query.actors)
    return " AND ".join(parts)


def index_fields(digest: Digest) -> tuple[str, str, str, str, str]:
    """Return the stemmed text of each indexed column, in `search_index` order."""
    actor_names = " ; ".join(" ; ".join((a.name, *a.aliases)) for a in digest.actors)
    legal = " ; ".join(item.text for item in digest.legal)
    return tuple(  # type: ignore[return-value]  # five strings, one per column
        " ".join(content_stems(text)) for text in (digest.title, digest.summary, actor_names, legal, digest.source)
    )


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: the digest and why it matched (French, one line)."""

    digest_id: int
    digest: Digest
    why: str
    published: datetime  # the digest's date, or when it was indexed when the feed gave none
    sources: tuple[str, ...] = ()  # every feed that carried the story, first the one shown


def _one_per_story(ranked: str, score: str) -> str:
    """Wrap a ranking query so that each story (`stories.story_id`) shows once, at its best rank.

    The same event from two outlets, or one feed subscribed under two URL spellings, is one
    story: its best-ranked digest stands for it, and `_story_sources` names every feed.
    """
    return f"""SELECT digest_id, published FROM (
                   SELECT r.digest_id, r.published, r.{score} AS score, ROW_NUMBER() OVER (
                       PARTITION BY COALESCE(s.story_id, -r.digest_id) ORDER BY r.{score}, r.digest_id
                   ) AS place
                   FROM ({ranked}) r LEFT JOIN stories s ON s.digest_id = r.digest_id
               ) WHERE place = 1 ORDER BY score, digest_id LIMIT ? OFFSET ?"""


class SearchIndex:
    """The FTS5 index of digests and the queries over it."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def on_digest(self, digest_id: int, digest: Digest) -> None:
        """Index a digest just stored (the core's digest hook)."""
        await self.add(digest_id, digest)

    async def add(self, digest_id: int, digest: Digest) -> bool:
        """Index one stored digest unless it already is; return True when it was added."""
        row = await self.storage.fetchone(
            "SELECT e.feed_id FROM digests d JOIN entries e ON e.id = d.entry_id WHERE d.id = ?",
            (digest_id,),
        )
        feed_id = row[0] if row else None
        return bool(await self.add_many([(digest_id, feed_id, digest)]))

    async def add_many(self, rows: list[tuple[int, int | None, Digest]]) -> int:
        """Index several digests in one transaction; skip those already indexed; return how many."""
        if not rows:
            return 0
        now = utcnow()
        async with self.storage.transaction() as db:
            marks = ",".join("?" * len(rows))
            async with db.execute(
                f"SELECT digest_id FROM search_docs WHERE digest_id IN ({marks})", [r[0] for r in rows]
            ) as cur:
                known = {int(r[0]) for r in await cur.fetchall()}
            fresh = {digest_id: (feed_id, digest) for digest_id, feed_id, digest in rows if digest_id not in known}
            await db.executemany(
                "INSERT INTO search_docs (digest_id, feed_id, published) VALUES (?, ?, ?)",
                [(i, feed_id, (d.published or now).timestamp()) for i, (feed_id, d) in fresh.items()],
            )
            await db.executemany(
                """INSERT INTO search_index (rowid, title, summary, actors, legal, source)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                [(i, *index_fields(d)) for i, (_, d) in fresh.items()],
            )
        return len(fresh)

    async def catch_up(self, *, batch: int = 500) -> int:
        """Index digests stored but not indexed (a crash between the two, an upgrade); return count."""
        total = 0
        while True:
            rows = await self.storage.fetchall(
                """SELECT d.id, d.json, e.feed_id FROM digests d JOIN entries e ON e.id = d.entry_id
                   WHERE d.id NOT IN (SELECT digest_id FROM search_docs) ORDER BY d.id LIMIT ?""",
                (batch,),
            )
            if not rows:
                break
            total += await self.add_many([(r[0], r[2], Digest.from_json(r[1])) for r in rows])
        if total:
            log.info("search.indexed_backlog", count=total)
        return total

    async def search(
        self, query: Query, *, feed_id: int | None = None, page: int = 1, now: datetime | None = None
    ) -> tuple[list[Hit], bool]:
        """Return one page of hits, best first, and whether a next page exists."""
        now = now or utcnow()
        params: list[object] = []
        filters = []
        if query.since is not None:
            filters.append("d.published >= ?")
            params.append(query.since.timestamp())
        if feed_id is not None:
            filters.append("d.feed_id = ?")
            params.append(feed_id)
        offset = (page - 1) * PAGE_SIZE
        if query.has_terms:
            expression = fts_expression(query)
            join = "JOIN search_docs d ON d.digest_id = search_index.rowid" if filters else ""
            where = " AND ".join(["search_index MATCH ?", *filters])
            # Rank only the newest CANDIDATES matches: FTS5 walks its doclists backwards and
            # stops, instead of scoring every one of 50,000 digests naming the CNIL.
            floor_row = await self.storage.fetchone(
                f"""SELECT search_index.rowid FROM search_index {join} WHERE {where}
                    ORDER BY search_index.rowid DESC LIMIT 1 OFFSET ?""",
                [expression, *params, CANDIDATES - 1],
            )
            floor = int(floor_row[0]) if floor_row else 0
            weights = ", ".join(str(w) for w in WEIGHTS)
            ranked = f"""SELECT d.digest_id, d.published, bm25(search_index, {weights})
                               * (1.0 + ? / (1.0 + max(? - d.published, 0) / ?)) AS score
                         FROM search_index JOIN search_docs d ON d.digest_id = search_index.rowid
                         WHERE {where} AND search_index.rowid >= ?"""
            sql = _one_per_story(ranked, "score")
            params = [
                RECENCY_BOOST,
                now.timestamp(),
                RECENCY_HALF_LIFE_DAYS * 86400,
                expression,
                *params,
                floor,
            ]
        else:
            where = " AND ".join(filters) or "1"
            ranked = f"SELECT d.digest_id, d.published, -d.published AS score FROM search_docs d WHERE {where}"
            sql = _one_per_story(ranked, "score")
        rows = await self.storage.fetchall(sql, [*params, PAGE_SIZE + 1, offset])
        more = len(rows) > PAGE_SIZE
        dates = {int(r[0]): datetime.fromtimestamp(r[1], UTC) for r in rows[:PAGE_SIZE]}
        digests = await self._load(list(dates))
        sources = await self._story_sources(list(dates))
        hits = [
            Hit(i, digests[i], why_matched(query, digests[i]), day, sources.get(i, ()))
            for i, day in dates.items()
            if i in digests
        ]
        return hits, more

    async def _story_sources(self, ids: list[int]) -> dict[int, tuple[str, ...]]:
        """Name, for each hit, every outlet that carried its story: the hit's own first.

        An outlet is named as the daily digest names it: the digest's source, else its feed's
        title or URL. One feed subscribed under two URL spellings names one outlet twice, and
        is listed once.
        """
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self.storage.fetchall(
            f"""SELECT hit.digest_id AS hit, json_extract(dg.json, '$.source') AS source, f.title, f.url,
                       other.digest_id = hit.digest_id AS own
                FROM search_docs hit
                LEFT JOIN stories mine ON mine.digest_id = hit.digest_id
                JOIN search_docs other ON other.digest_id = hit.digest_id
                     OR other.digest_id IN (SELECT digest_id FROM stories WHERE story_id = mine.story_id)
                JOIN digests dg ON dg.id = other.digest_id
                LEFT JOIN feeds f ON f.id = other.feed_id
                WHERE hit.digest_id IN ({marks})
                ORDER BY own DESC, other.digest_id""",
            ids,
        )
        found: dict[int, list[str]] = {}
        for row in rows:
            names = found.setdefault(int(row["hit"]), [])
            name = row["source"] or row["title"] or row["url"]
            if not name:
                continue
            if name not in names:
                names.append(name)
        return {hit: tuple(names) for hit, names in found.items()}

    async def _load(self, ids: list[int]) -> dict[int, Digest]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self.storage.fetchall(f"SELECT id, json FROM digests WHERE id IN ({marks})", ids)
        return {int(r[0]): Digest.from_json(r[1]) for r in rows}


def why_matched(query: Query, digest: Digest) -> str:
    """Say in one French line where the query's terms were found in this digest."""
    fields = {
        "titre": content_stems(digest.title),
        "résumé": content_stems(digest.summary),
        "enjeux juridiques": content_stems(" ; ".join(i.text for i in digest.legal)),
        "source": content_stems(digest.source),
    }
    found: dict[str, list[str]] = {}
    terms = [(w, False) for w in query.words] + [(f"« {p} »", True) for p in query.phrases]
    for term, phrase in terms:
        wanted = content_stems(term)
        for name, field_stems in fields.items():
            if _contains(field_stems, wanted, phrase=phrase):
                found.setdefault(name, []).append(term)
                break
        else:
            actor = _actor_for(digest, wanted)
            if actor:
                found.setdefault("acteurs", []).append(f"{term} → {actor}")
    parts = [f"{name} ({', '.join(terms)})" for name, terms in found.items()]
    for name in query.actors:
        actor = _actor_for(digest, content_stems(name))
        parts.append(f"acteur {actor}" if actor else f"acteur {name}")
    if not parts:
        return "Publié dans la période demandée"
    return ("Trouvé dans : " + " ; ".join(parts))[:200]


def _contains(haystack: list[str], needle: list[str], *, phrase: bool) -> bool:
    if not needle:
        return False
    if not phrase:
        return all(n in haystack for n in needle)
    size = len(needle)
    return any(haystack[i : i + size] == needle for i in range(len(haystack) - size + 1))


def _actor_for(digest: Digest, wanted: list[str]) -> str | None:
    """Return the display name of the first actor whose names or aliases hold `wanted`."""
    for actor in digest.actors:
        for name in (actor.name, *actor.aliases):
            if _contains(content_stems(name), wanted, phrase=True):
                return actor.name if name == actor.name else f"{actor.name} ({name})"
    return None


class SearchCommand:
    """`/recherche`: parse, run, page, and render results in French."""

    def __init__(self, storage: Storage, index: SearchIndex) -> None:
        self.storage = storage
        self.index = index

    async def __call__(self, ctx: CommandContext, chat: ChatRecord) -> Reply:
        """Answer a search, or a page of an earlier one ("#token page" from a button)."""
        args = ctx.args.strip()
        if not args:
            return Reply("Que cherchez-vous ? " + SYNTAX_HELP, ephemeral=True)
        page = 1
        paged = re.fullmatch(r"#([a-z0-9]{4,12})\s+([0-9]{1,3})", args)
        if paged:
            token, page = paged[1], max(1, min(parse_number(paged[2]) or 1, MAX_PAGE))
            row = await self.storage.fetchone(
                "SELECT query FROM search_sessions WHERE token = ? AND chat_id = ?", (token, chat.id)
            )
            if row is None:
                return Reply("Cette recherche a expiré : relancez-la avec /recherche.", ephemeral=True)
            text = row[0]
        else:
            text, token = args, None
        query = parse_query(text)
        feed_id = await self._feed_id(chat, query.feed_number)
        hits, more = await self.index.search(query, feed_id=feed_id, page=page)
        log.info("search.done", chat_id=chat.id, page=page, hits=len(hits))
        shown = f"« {text[:80]} »"
        if not hits:
            if page > 1:
                return Reply(f"Plus de résultats pour {shown}.")
            return Reply(f"Aucun résultat pour {shown}. Essayez d'autres mots, ou retirez un filtre (depuis:, flux:).")
        if token is None and (more or page > 1):
            token = await self._save(chat, text)
        first = (page - 1) * PAGE_SIZE + 1
        header = f"Résultats {first}–{first + len(hits) - 1} pour {shown} :"
        zone = load_zone(chat.timezone)
        items = tuple(ReplyItem(hit.digest.title or hit.digest.url, hit.digest.url, _detail(hit, zone)) for hit in hits)
        buttons: list[Button] = []
        if token and page > 1:
            buttons.append(Button("◀ Précédents", f"recherche #{token} {page - 1}"))
        if token and more and page < MAX_PAGE:
            buttons.append(Button("Suivants ▶", f"recherche #{token} {page + 1}"))
        return Reply(header, items=items, buttons=tuple(buttons))

    async def _feed_id(self, chat: ChatRecord, number: int | None) -> int | None:
        if number is None:
            return None
        feeds = await self.storage.subscriptions(chat.id)
        if not 1 <= number <= len(feeds):
            raise InputError(
                "bad feed number",
                french=f"Pas d'abonnement n° {number} : voir les numéros avec /abonnements.",
            )
        return feeds[number - 1].id

    async def _save(self, chat: ChatRecord, text: str) -> str:
        """Keep the query server-side under a short random token, and forget day-old ones."""
        now = utcnow()
        await self.storage.execute("DELETE FROM search_sessions WHERE created_at < ?", (to_db_time(now - SESSION_TTL),))
        token = "".join(secrets.choice(_ALPHABET) for _ in range(5))
        await self.storage.execute(
            "INSERT OR REPLACE INTO search_sessions (token, chat_id, query, created_at) VALUES (?, ?, ?, ?)",
            (token, chat.id, text, to_db_time(now)),
        )
        return token


def _detail(hit: Hit, zone: ZoneInfo) -> str:
    parts = [french_date(hit.published.astimezone(zone))]
    sources = ", ".join(hit.sources) or hit.digest.source
    if sources:
        parts.append(sources)
    parts.append(hit.why)
    return " · ".join(parts)
