"""Follow an actor or a keyword: `/suivre`, `/suivis`, `/nepassuivre`, and the alerts.

A follow such as "CNIL" matches a new digest when it is, word for word, one of the digest's
actor names or aliases (the engine's canonical names: "CNIL" also meets "Commission nationale
de l'informatique et des libertés" through its alias), or when its words occur in the title,
summary or legal items (stemmed: "sanction" meets "sanctions"). Both sides are folded (case,
accents) and compared as whole words, so "Arc" never matches "Arcom".

An alert is a delivery of kind "follow" with a French note ("Suivi : CNIL"), at most one per
chat per digest (the outbox's unique key), and none when the chat already gets that digest
through a subscription or was already sent the same story (`bot.delivery.stories`) in the last 48 h.
Follows are instant alerts whatever the chat's mode: following is asking to be told at once.
Alerts are queued inside the digest's own transaction (`Store.store_digest`'s hooks), so a
crash can never leave a digest stored and its alerts lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from bot.arguments import looks_like_number, parse_number
from bot.delivery.stories import STORY_WINDOW
from bot.errors import InputError
from bot.french import folded_words, stem
from bot.models import Button, ChatRecord, CommandContext, Reply, ReplyItem, utcnow
from bot.store.protocols import FollowStore, Transaction
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

    def __init__(self, store: FollowStore) -> None:
        self.store = store

    # -- alerts ---------------------------------------------------------------------------------

    async def queue_alerts(self, tx: Transaction, digest_id: int, digest: Digest) -> int:
        """Queue one follow alert per chat whose follows match this digest; return how many.

        A `bot.store.protocols.QueueHook`: `tx` is the transaction storing the digest.
        """
        norms = await self.store.followed_norms(tx)
        if not norms:
            return 0
        terms = DigestTerms.of(digest)
        matched = [n for n in norms if follow_matches(n, terms)]
        if not matched:
            return 0
        now = utcnow()
        targets = await self.store.alert_targets(tx, digest_id, matched, since=now - STORY_WINDOW)
        by_chat: dict[int, list[str]] = {}
        for target in targets:
            by_chat.setdefault(target.chat_id, []).append(target.term)
        queued = 0
        stamp = utcnow()
        for chat_id, followed in by_chat.items():
            note = "Suivi : " + ", ".join(followed[:5])
            queued += await self.store.queue_alert(tx, chat_id, digest_id, note, now=stamp)
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
        if await self.store.count(chat.id) >= MAX_FOLLOWS:
            raise InputError(
                "follow limit",
                french=f"Limite atteinte : {MAX_FOLLOWS} suivis par discussion (retirez-en : /nepassuivre).",
            )
        if not await self.store.add(chat.id, term, norm, now=utcnow()):
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
        await self.store.remove(follow_id)
        return Reply(f"Vous ne suivez plus « {term} ».", ephemeral=True)

    async def _rows(self, chat: ChatRecord) -> list[tuple[int, str]]:
        return [(f.follow_id, f.term) for f in await self.store.of_chat(chat.id)]
