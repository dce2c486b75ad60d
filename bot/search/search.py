"""Full-text search over stored digests: `/recherche` (`/search`).

    digest ──stems──▶ search_index (FTS5, contentless)      search_docs (feed, date)
    "/recherche cnil depuis:7j" ──parse_query──▶ Query ──fts_expression──▶ MATCH … ORDER BY score

Both sides go through `bot.french.content_stems` (accents folded, Snowball French, stop words
dropped), so "condamnée" finds "condamné" and a phrase such as "abus de confiance" is matched on
its content words in order, without walking the huge position lists of "de"; FTS5's
`unicode61 remove_diacritics 2` tokenizer then only splits the stems into words. The index
is contentless: it holds stems, not text, so it stays small; the five digests of a page are read
back from `digests` to show them and to say why each matched. Ranking is BM25 scaled by a
recency boost, one hit per story; the index, the ranking and the FTS5 syntax live behind
`bot.store.protocols.SearchStore` (`bot.store.sqlite.search` on SQLite), so this module holds
the query language, the explanations and the replies, and no SQL.

Pagination keeps the query server-side (`search_sessions`), so a button's data stays a short
command line such as "recherche #k3f9a 2", well within Telegram's 64 bytes.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from bot.arguments import load_zone, parse_number
from bot.errors import InputError
from bot.french import content_stems
from bot.models import Button, ChatRecord, CommandContext, Reply, ReplyItem, utcnow
from bot.store.protocols import Query, SearchStore, Store, StoredDigest
from digests.model import Digest
from digests.render import french_date

log = structlog.get_logger(__name__)

PAGE_SIZE = 5
MAX_PAGE = 20
SESSION_TTL = timedelta(days=1)

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


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: the digest and why it matched (French, one line)."""

    digest_id: int
    digest: Digest
    why: str
    published: datetime  # the digest's date, or when it was indexed when the feed gave none
    sources: tuple[str, ...] = ()  # every feed that carried the story, first the one shown


class SearchIndex:
    """Index digests and answer queries over them, through a `SearchStore`."""

    def __init__(self, store: SearchStore) -> None:
        self.store = store

    async def on_digest(self, digest_id: int, digest: Digest) -> None:
        """Index a digest just stored (the core's digest hook)."""
        await self.add(digest_id, digest)

    async def add(self, digest_id: int, digest: Digest) -> bool:
        """Index one stored digest unless it already is; return True when it was added."""
        feed_id = await self.store.feed_of_digest(digest_id)
        return bool(await self.add_many([(digest_id, feed_id, digest)]))

    async def add_many(self, rows: list[tuple[int, int | None, Digest]]) -> int:
        """Index several digests in one transaction; skip those already indexed; return how many."""
        return await self.store.index([StoredDigest(*row) for row in rows], now=utcnow())

    async def catch_up(self, *, batch: int = 500) -> int:
        """Index digests stored but not indexed (a crash between the two, an upgrade); return count."""
        total = 0
        while True:
            missing = await self.store.unindexed(batch)
            if not missing:
                break
            total += await self.store.index(missing, now=utcnow())
        if total:
            log.info("search.indexed_backlog", count=total)
        return total

    async def search(
        self, query: Query, *, feed_id: int | None = None, page: int = 1, now: datetime | None = None
    ) -> tuple[list[Hit], bool]:
        """Return one page of hits, best first, and whether a next page exists."""
        ranked = await self.store.rank(
            query, feed_id=feed_id, now=now or utcnow(), limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
        )
        more = len(ranked) > PAGE_SIZE
        dates = {r.digest_id: r.published for r in ranked[:PAGE_SIZE]}
        # Two independent reads: on PostgreSQL they run side by side on two pooled connections.
        digests, sources = await asyncio.gather(self.store.digests(list(dates)), self._story_sources(list(dates)))
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
        found: dict[int, list[str]] = {}
        for outlet in await self.store.story_outlets(ids):
            names = found.setdefault(outlet.hit_id, [])
            name = outlet.source or outlet.feed_title or outlet.feed_url
            if not name:
                continue
            if name not in names:
                names.append(name)
        return {hit: tuple(names) for hit, names in found.items()}


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

    def __init__(self, storage: Store, index: SearchIndex) -> None:
        self.storage = storage  # the chat's subscriptions, for flux:N
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
            saved = await self.index.store.saved_query(token, chat.id)
            if saved is None:
                return Reply("Cette recherche a expiré : relancez-la avec /recherche.", ephemeral=True)
            text = saved
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
        feeds = await self.storage.chats.subscriptions(chat.id)
        if not 1 <= number <= len(feeds):
            raise InputError(
                "bad feed number",
                french=f"Pas d'abonnement n° {number} : voir les numéros avec /abonnements.",
            )
        return feeds[number - 1].id

    async def _save(self, chat: ChatRecord, text: str) -> str:
        """Keep the query server-side under a short random token, and forget day-old ones."""
        now = utcnow()
        token = "".join(secrets.choice(_ALPHABET) for _ in range(5))
        await self.index.store.save_query(token, chat.id, text, now=now, forget_before=now - SESSION_TTL)
        return token


def _detail(hit: Hit, zone: ZoneInfo) -> str:
    parts = [french_date(hit.published.astimezone(zone))]
    sources = ", ".join(hit.sources) or hit.digest.source
    if sources:
        parts.append(sources)
    parts.append(hit.why)
    return " · ".join(parts)
