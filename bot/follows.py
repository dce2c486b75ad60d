"""Follow an actor or a keyword: `/suivre`, `/suivis`, `/nepassuivre`, and the alerts.

A follow such as "CNIL" matches a new digest when it is, word for word, one of the digest's
actor names or aliases (the engine's canonical names: "CNIL" also meets "Commission nationale
de l'informatique et des libertés" through its alias), or when its words occur in the title,
summary or legal items (stemmed: "sanction" meets "sanctions"). Both sides are folded (case,
accents) and compared as whole words, so "Arc" never matches "Arcom".

An alert is a delivery of kind "follow" with a French note ("Suivi : CNIL"), at most one per
chat per digest (the outbox's unique key), and none when the chat already gets that digest
through a subscription or was already sent the same story (`bot.stories`) in the last 48 h.
Follows are instant alerts whatever the chat's mode: following is asking to be told at once.
Alerts are queued inside the digest's own transaction (`Storage.store_digest`'s hooks), so a
crash can never leave a digest stored and its alerts lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite
import structlog

from bot.arguments import looks_like_number, parse_number
from bot.errors import InputError
from bot.french import folded_words, stem
from bot.models import Button, ChatRecord, CommandContext, Reply, ReplyItem
from bot.storage import Storage, to_db_time, utcnow
from bot.stories import STORY_WINDOW
from digests.model import Digest

log = structlog.get_logger(__name__)

MAX_FOLLOWS = 50
MAX_TERM_LENGTH = 80


def normalize_term(term: str) -> str:
    """Return the folded, whole-word form of a follow ("Société Générale" → "societe generale")."""
    return " ".join(folded_words(term))


@dataclass(frozen=True, slots=True)
class DigestTerms:
    """A digest's words, prepared once for matching against every follow."""

    actor_names: tuple[str, ...]  # " commission nationale de l informatique " (padded)
    text_stems: str  # " cnil sanction mutual " (padded)

    @classmethod
    def of(cls, digest: Digest) -> DigestTerms:
        """Prepare a digest: folded actor names and aliases, stemmed title + summary + legal items."""
        names = tuple(f" {normalize_term(name)} " for actor in digest.actors for name in (actor.name, *actor.aliases))
        text = " ".join((digest.title, digest.summary, *(item.text for item in digest.legal)))
        return cls(names, " " + " ".join(stem(w) for w in folded_words(text)) + " ")


def follow_matches(norm: str, terms: DigestTerms) -> bool:
    """Say whether a normalised follow names one of the digest's actors or occurs in its text."""
    if not norm:
        return False
    padded = f" {norm} "
    if any(padded in name for name in terms.actor_names):
        return True
    stemmed = " " + " ".join(stem(w) for w in norm.split()) + " "
    return stemmed in terms.text_stems


class Follows:
    """Store follows, answer the follow commands, and queue alerts for new digests."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    # -- alerts ---------------------------------------------------------------------------------

    async def queue_alerts(self, db: aiosqlite.Connection, digest_id: int, digest: Digest) -> int:
        """Queue one follow alert per chat whose follows match this digest; return how many.

        A `bot.storage.QueueHook`: `db` is the connection of the transaction storing the digest.
        """
        async with db.execute("SELECT DISTINCT norm FROM follows") as cur:
            norms = [r[0] for r in await cur.fetchall()]
        if not norms:
            return 0
        terms = DigestTerms.of(digest)
        matched = [n for n in norms if follow_matches(n, terms)]
        if not matched:
            return 0
        marks = ",".join("?" * len(matched))
        since = to_db_time(utcnow() - STORY_WINDOW)
        async with db.execute(
            f"""SELECT f.chat_id, f.term FROM follows f JOIN chats c ON c.id = f.chat_id
                WHERE c.active = 1 AND f.norm IN ({marks})
                AND NOT EXISTS (
                    SELECT 1 FROM subscriptions s JOIN entries e ON e.feed_id = s.feed_id
                    JOIN digests d ON d.entry_id = e.id
                    WHERE d.id = ? AND s.chat_id = f.chat_id)
                AND NOT EXISTS (
                    SELECT 1 FROM deliveries d2 JOIN stories s2 ON s2.digest_id = d2.digest_id
                    JOIN stories mine ON mine.digest_id = ? AND mine.story_id = s2.story_id
                    WHERE d2.chat_id = f.chat_id AND d2.created_at >= ?
                    AND d2.state IN ('pending', 'sending', 'sent'))
                ORDER BY f.chat_id, f.id""",
            [*matched, digest_id, digest_id, since],
        ) as cur:
            rows = list(await cur.fetchall())
        by_chat: dict[int, list[str]] = {}
        for chat_id, term in rows:
            by_chat.setdefault(int(chat_id), []).append(term)
        queued = 0
        stamp = to_db_time(utcnow())
        for chat_id, followed in by_chat.items():
            note = "Suivi : " + ", ".join(followed[:5])
            async with db.execute(
                """INSERT OR IGNORE INTO deliveries (chat_id, digest_id, kind, note, state,
                   next_attempt_at, created_at) VALUES (?, ?, 'follow', ?, 'pending', ?, ?)""",
                (chat_id, digest_id, note, stamp, stamp),
            ) as cur:
                queued += cur.rowcount
        if queued:
            log.info("follow.alerts", digest_id=digest_id, chats=queued)
        return queued

    # -- commands -------------------------------------------------------------------------------

    async def follow(self, ctx: CommandContext, chat: ChatRecord) -> Reply:
        """Follow an actor or keyword (`/suivre CNIL`)."""
        term = " ".join(ctx.args.split())
        norm = normalize_term(term)
        if not norm:
            raise InputError(
                "missing follow", french="Qui ou quoi suivre ? Exemple : /suivre CNIL ou /suivre rançongiciel"
            )
        if len(term) > MAX_TERM_LENGTH:
            raise InputError("follow too long", french=f"Trop long : {MAX_TERM_LENGTH} caractères au plus.")
        count = await self.storage.fetchone("SELECT COUNT(*) FROM follows WHERE chat_id = ?", (chat.id,))
        if count and int(count[0]) >= MAX_FOLLOWS:
            raise InputError(
                "follow limit",
                french=f"Limite atteinte : {MAX_FOLLOWS} suivis par discussion (retirez-en : /nepassuivre).",
            )
        added = await self.storage.execute(
            "INSERT OR IGNORE INTO follows (chat_id, term, norm, created_at) VALUES (?, ?, ?, ?)",
            (chat.id, term, norm, to_db_time(utcnow())),
        )
        if added != 1:
            return Reply(f"Vous suivez déjà « {term} ».", ephemeral=True)
        return Reply(
            f"Suivi ajouté : « {term} ». Vous recevrez une alerte dès qu'un nouvel article, dans "
            "n'importe quel flux surveillé par Veille, nomme cet acteur ou contient ce mot. "
            "Liste : /suivis",
            ephemeral=True,
        )

    async def following(self, ctx: CommandContext, chat: ChatRecord) -> Reply:
        """List the chat's follows, numbered, with a button to drop each."""
        rows = await self._rows(chat)
        if not rows:
            return Reply("Aucun suivi pour l'instant. Exemple : /suivre CNIL")
        items = tuple(ReplyItem(f"{n}. {term}") for n, (_, term) in enumerate(rows, start=1))
        buttons = tuple(Button(f"Ne plus suivre n° {n}", f"nepassuivre {n}") for n in range(1, len(rows) + 1))
        return Reply(f"Suivis de cette discussion ({len(rows)}/{MAX_FOLLOWS}) :", items=items, buttons=buttons)

    async def unfollow(self, ctx: CommandContext, chat: ChatRecord) -> Reply:
        """Stop following, by number in /suivis or by the followed words."""
        arg = " ".join(ctx.args.split())
        if not arg:
            raise InputError("missing unfollow", french="Lequel ? /nepassuivre 2 (numéro donné par /suivis)")
        rows = await self._rows(chat)
        number = parse_number(arg)
        if number is not None or looks_like_number(arg):
            if number is None or not 1 <= number <= len(rows):
                raise InputError("bad follow number", french=f"Pas de suivi n° {arg[:12]}. Voir /suivis.")
            follow_id, term = rows[number - 1]
        else:
            found = next(((i, t) for i, t in rows if normalize_term(t) == normalize_term(arg)), None)
            if found is None:
                raise InputError("not followed", french=f"Vous ne suivez pas « {arg} ». Voir /suivis.")
            follow_id, term = found
        await self.storage.execute("DELETE FROM follows WHERE id = ?", (follow_id,))
        return Reply(f"Vous ne suivez plus « {term} ».", ephemeral=True)

    async def _rows(self, chat: ChatRecord) -> list[tuple[int, str]]:
        rows = await self.storage.fetchall("SELECT id, term FROM follows WHERE chat_id = ? ORDER BY id", (chat.id,))
        return [(int(r[0]), str(r[1])) for r in rows]
