"""Per-subscription options: `/filtre N …` (`/filter`) and `/intervalle N 30min` (`/interval`).

    /filtre 2 +rançongiciel -sport     keep only feed no. 2's digests that pass the filter
    /filtre 2                          show it          /filtre 2 off    clear it
    /intervalle 2 30min                poll feed no. 2 every 30 min     /intervalle 2 off  default

A filter applies where a chat receives a feed's digests: the instant fan-out (`drop_filtered`,
a queue hook that runs in the digest's own transaction and takes the rejected chats' instant
rows back out of the outbox before anyone can send them) and the daily digest (`filters_of`,
read by `bot.delivery.daily`). The language is `bot.delivery.filters`; the intervals and the
rule for a feed shared by several chats are `bot.feeds.intervals`.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

import structlog

from bot.arguments import looks_like_number, parse_number
from bot.chat.commands import CommandSpec
from bot.delivery.filters import DigestText, Filter, parse_filter
from bot.errors import InputError
from bot.feeds.intervals import DEFAULT_MIN_INTERVAL, format_interval, is_off, parse_interval
from bot.feeds.urls import normalize_url
from bot.french import of_name
from bot.models import ChatRecord, CommandContext, FeedRecord, Reply, utcnow
from bot.store.protocols import ChatRepository, SubscriptionOptions, SubscriptionOptionStore, Transaction
from digests.model import Digest

log = structlog.get_logger(__name__)

_OFF = {"off", "aucun", "non", "stop", "none"}

OPTION_SPECS = {
    "filtre": CommandSpec(
        "filtre",
        "filter",
        "Ne garder d'un abonnement que certains articles (+mot -mot acteur:CNIL juridique ; off)",
        "Keep only some of a subscription's articles (+word -word acteur:CNIL juridique; off)",
        admin_only=True,
        argument_fr="numéro +mot -mot…",
        option="flux",
        option_description_fr="Le flux à filtrer",
        option_description_en="The feed to filter",
        option_required=True,
        autocomplete_feeds=True,
        second_option="filtre",
        second_option_description_fr='+mot -mot +"expression" acteur:CNIL juridique, ou off ; vide : voir',
        second_option_description_en='+word -word +"phrase" acteur:CNIL juridique, or off; empty: show',
    ),
    "intervalle": CommandSpec(
        "intervalle",
        "interval",
        "Relever un abonnement à cet intervalle (30min, 2h, 1j ; off)",
        "Poll a subscription at this interval (30min, 2h, 1d; off)",
        admin_only=True,
        argument_fr="numéro 30min",
        option="flux",
        option_description_fr="Le flux concerné",
        option_description_en="The feed",
        option_required=True,
        autocomplete_feeds=True,
        second_option="intervalle",
        second_option_description_fr="30min, 2h, 1h30, 1j, ou off ; vide : voir",
        second_option_description_en="30min, 2h, 1h30, 1d, or off; empty: show",
    ),
}


@lru_cache(maxsize=4096)
def stored_filter(text: str) -> Filter | None:
    """Parse a stored filter (cached: every digest of a feed meets the same few); None if unreadable.

    A stored filter was parsed when set, so None means the language changed under it: the
    subscription then gets everything (logged), rather than silently nothing.
    """
    try:
        return parse_filter(text)
    except InputError:
        log.warning("filter.unreadable", text=text[:80])
        return None


class SubscriptionOptionsService:
    """Set and show a subscription's filter and interval; apply filters to what a chat receives."""

    def __init__(
        self,
        chats: ChatRepository,
        store: SubscriptionOptionStore,
        *,
        default_interval: timedelta,
        min_interval: timedelta = DEFAULT_MIN_INTERVAL,
    ) -> None:
        self.chats = chats  # the chat's subscriptions, numbered as /abonnements shows them
        self.store = store
        self.default_interval = default_interval
        self.min_interval = min_interval

    # -- where filters apply ----------------------------------------------------------------

    async def drop_filtered(self, tx: Transaction, digest_id: int, digest: Digest) -> int:
        """Take this digest's instant deliveries back from chats whose filter rejects it (a queue hook).

        Returns 0: it queues nothing (the count is of deliveries queued).
        """
        chats = await self.store.filtered_chats(tx, digest_id)
        if not chats:
            return 0
        text = DigestText.of(digest)  # once, however many chats filter this feed
        rejected = [c.chat_id for c in chats if not _accepts(c.filter, text)]
        if rejected:
            dropped = await self.store.drop_instant(tx, digest_id, rejected)
            log.info("filter.dropped", digest_id=digest_id, chats=dropped)
        return 0

    async def filters_of(self, chat_id: int) -> dict[int, Filter]:
        """Return the chat's filters by feed id (for the daily digest)."""
        found = {}
        for feed_id, options in (await self.store.of_chat(chat_id)).items():
            parsed = stored_filter(options.filter) if options.filter else None
            if parsed is not None:
                found[feed_id] = parsed
        return found

    async def notes(self, chat_id: int) -> dict[int, str]:
        """Say, per feed id, what the chat set on it: "filtre : … · relevé toutes les 30 min"."""
        notes = {}
        for feed_id, options in (await self.store.of_chat(chat_id)).items():
            parts = []
            if options.filter:
                parts.append(f"filtre : {options.filter}")
            if options.interval:
                parts.append(f"relevé toutes les {format_interval(options.interval)}")
            notes[feed_id] = " · ".join(parts)
        return notes

    # -- commands -------------------------------------------------------------------------------

    async def filter_command(self, ctx: CommandContext, chat: ChatRecord) -> Reply:
        """Set (`/filtre 2 +cnil`), clear (`/filtre 2 off`) or show (`/filtre 2`) a feed's filter."""
        feed, rest = await self._feed(chat, ctx.args, usage="/filtre 2 +rançongiciel -sport")
        options = await self._options(chat, feed)
        name = feed.title or feed.url
        if not rest:
            if not options.filter:
                return Reply(
                    f"Pas de filtre sur {name} : chaque article arrive. "
                    f"Pour en poser un : /filtre {ctx.args.split()[0]} +mot -mot acteur:CNIL juridique",
                    ephemeral=True,
                )
            parsed = stored_filter(options.filter)
            meaning = f"\nNe passent que les articles : {parsed.describe()}." if parsed else ""
            return Reply(f"Filtre sur {name} : {options.filter}{meaning}", ephemeral=True)
        if rest.lower() in _OFF:
            await self.store.set_filter(chat.id, feed.id, None)
            return Reply(f"Filtre retiré : chaque article {of_name(name)} arrivera.", ephemeral=True)
        parsed = parse_filter(rest)
        await self.store.set_filter(chat.id, feed.id, parsed.text)
        log.info("filter.set", chat_id=chat.id, feed_id=feed.id)
        return Reply(
            f"Filtre posé sur {name} : {parsed.text}\nNe passeront que les articles : {parsed.describe()}. "
            "Il vaut pour les envois immédiats et le digest quotidien.",
            ephemeral=True,
        )

    async def interval_command(self, ctx: CommandContext, chat: ChatRecord) -> Reply:
        """Set (`/intervalle 2 30min`), clear (`/intervalle 2 off`) or show a feed's polling interval."""
        feed, rest = await self._feed(chat, ctx.args, usage="/intervalle 2 30min")
        options = await self._options(chat, feed)
        name = feed.title or feed.url
        bounds = f"entre {format_interval(self.min_interval)} et 24 h"
        if not rest:
            if options.interval is None:
                return Reply(
                    f"{name} est relevé à l'intervalle par défaut ({format_interval(self.default_interval)}, "
                    "plus si le flux le demande). "
                    f"Pour le changer : /intervalle {ctx.args.split()[0]} 30min ({bounds}).",
                    ephemeral=True,
                )
            return Reply(f"{name} est relevé toutes les {format_interval(options.interval)}.", ephemeral=True)
        if is_off(rest):
            await self.store.set_interval(chat.id, feed.id, None, now=utcnow())
            return Reply(
                f"{name} revient à l'intervalle par défaut ({format_interval(self.default_interval)}).", ephemeral=True
            )
        interval = parse_interval(rest, minimum=self.min_interval)
        await self.store.set_interval(chat.id, feed.id, interval, now=utcnow())
        log.info("interval.set", chat_id=chat.id, feed_id=feed.id, seconds=int(interval.total_seconds()))
        return Reply(
            f"{name} sera relevé toutes les {format_interval(interval)}. Si d'autres discussions suivent ce flux, "
            "il est relevé au plus court des intervalles demandés.",
            ephemeral=True,
        )

    async def _feed(self, chat: ChatRecord, args: str, *, usage: str) -> tuple[FeedRecord, str]:
        """Read the feed (number in /abonnements, or URL) and the rest of the line, or raise in French."""
        first, _, rest = args.strip().partition(" ")
        if not first:
            raise InputError(
                "missing feed", french=f"Précisez le numéro de l'abonnement : {usage} (voir /abonnements)."
            )
        feeds = await self.chats.subscriptions(chat.id)
        number = parse_number(first)
        if number is not None and 1 <= number <= len(feeds):
            return feeds[number - 1], rest.strip()
        if number is not None or looks_like_number(first):
            known = {0: " : cette discussion n'a aucun abonnement", 1: " : seul le n° 1 existe"}.get(
                len(feeds), f" : numéros de 1 à {len(feeds)}"
            )
            raise InputError("bad number", french=f"Pas d'abonnement n° {first[:12]}{known}. Voir /abonnements.")
        try:
            url = normalize_url(first) if "://" in first else first
        except InputError:
            url = first
        for feed in feeds:
            if feed.url in (url, first):
                return feed, rest.strip()
        raise InputError(
            "not a feed",
            french=f"Indiquez d'abord le numéro de l'abonnement, par exemple {usage} (voir /abonnements).",
        )

    async def _options(self, chat: ChatRecord, feed: FeedRecord) -> SubscriptionOptions:
        return (await self.store.of_chat(chat.id)).get(feed.id) or SubscriptionOptions(feed.id)


def _accepts(stored: str, text: DigestText) -> bool:
    parsed = stored_filter(stored)
    return parsed is None or parsed.accepts(text)
