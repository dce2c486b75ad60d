"""Scheduled daily digests: `/quotidien`, `/fuseau`, `/mode`, and one cron job per chat.

Each chat that wants a daily digest (a time set, mode `quotidien` or `both`) gets an APScheduler
`CronTrigger` at its local time in its own time zone, so 08:00 in Europe/Paris stays 08:00
across the March and October clock changes. Jobs live in memory and are rebuilt from the
database at start; `daily_state.last_due_at` records the last occurrence handled, so a digest
missed while Veille was down is sent at start when less than `CATCH_UP` late, else skipped and
logged (yesterday's news at midnight helps nobody).

Sending: a job only builds the digest and records its replies in the outbox, in the transaction
that marks the occurrence handled, under a key per chat and local date (`Store.queue_daily`);
the dispatcher sends them, retries what fails and waits out flood limits, so a job never sleeps
on a 429 and a failed send, a crash or a restart never loses or repeats a day's digest.

Content: the chat's feeds over the last 24 h, one item per story (digests grouped by
`stories.story_id`, the same event told by several outlets), ranked by legal weight, number of
outlets and recency, at most `max_items`, split over several replies without cutting an item.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.arguments import load_zone, parse_number, zone_name
from bot.delivery.filters import Filter
from bot.errors import InputError
from bot.models import ChatRecord, CommandContext, Reply, ReplyItem, utcnow
from bot.store.protocols import DailySchedule, Store
from digests.model import Digest
from digests.render import french_date

log = structlog.get_logger(__name__)

CATCH_UP = timedelta(hours=6)
WINDOW = timedelta(hours=24)
DEFAULT_TIME = "08:00"
# A reply's budget: under Telegram's 4096 characters once rendered, and Discord's 10 embeds.
REPLY_CHARS = 3500
REPLY_ITEMS = 10
# How much each kind of legal fact weighs in the ranking (a sentence outranks a mere law cited).
LEGAL_WEIGHTS = {"peine": 3.0, "infraction": 2.0, "procédure": 2.0, "loi": 1.0}

# Send what the outbox holds (`Veille.deliver`): called once replies were queued.
Deliver = Callable[[], Awaitable[None]]

_TIME = re.compile(r"([01]?[0-9]|2[0-3])\s*(?:[:hH]\s*([0-5][0-9])?)?")
# How /mode names each stored mode to the chat.
MODE_NAMES = {"instant": "instant", "quotidien": "quotidien", "both": "les deux"}
_OFF = {"off", "non", "arret", "arrêt", "stop", "aucun"}
_MODES = {
    "instant": "instant",
    "instantane": "instant",
    "instantané": "instant",
    "quotidien": "quotidien",
    "daily": "quotidien",
    "both": "both",
    "les deux": "both",
    "tous": "both",
}


def parse_time(text: str) -> str:
    """Read "8h", "08:30" or "8h30" into "HH:MM", or raise a French InputError."""
    match = _TIME.fullmatch(text.strip())
    if not match:
        raise InputError("bad time", french="Heure non reconnue : écrivez par exemple /quotidien 08:00 ou 7h30.")
    hour, minute = parse_number(match[1]) or 0, parse_number(match[2] or "0") or 0  # ASCII digits (regex)
    return f"{hour:02d}:{minute:02d}"


def zone(name: str) -> ZoneInfo:
    """Return the chat's time zone, falling back to Europe/Paris for a bad stored value."""
    return load_zone(name)


def wants_daily(chat: ChatRecord) -> bool:
    """Say whether a chat should get a daily digest."""
    return chat.active and bool(chat.daily_time) and chat.mode in ("quotidien", "both")


def trigger_for(chat: ChatRecord) -> CronTrigger:
    """Build the chat's cron trigger: its local HH:MM in its own time zone (DST-aware)."""
    hour, minute = (int(x) for x in (chat.daily_time or DEFAULT_TIME).split(":"))
    return CronTrigger(hour=hour, minute=minute, timezone=zone(chat.timezone))


def last_due(chat: ChatRecord, now: datetime) -> datetime:
    """Return the latest local HH:MM at or before `now`, as an aware UTC datetime."""
    tz = zone(chat.timezone)
    hour, minute = (int(x) for x in (chat.daily_time or DEFAULT_TIME).split(":"))
    local = now.astimezone(tz)
    due = datetime.combine(local.date(), time(hour, minute), tzinfo=tz)
    if due > local:
        due = datetime.combine(local.date() - timedelta(days=1), time(hour, minute), tzinfo=tz)
    return due.astimezone(now.tzinfo)


@dataclass
class Story:
    """One item of a daily digest: the digests of several outlets telling one event."""

    digests: list[Digest] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    latest: datetime | None = None

    @property
    def lead(self) -> Digest:
        """Return the digest shown for the story: the one with the most legal facts, then first."""
        return max(self.digests, key=lambda d: len(d.legal))

    def legal_weight(self) -> float:
        """Weigh the story's distinct legal facts by kind."""
        kinds = {item.kind for d in self.digests for item in d.legal}
        return sum(LEGAL_WEIGHTS.get(k, 1.0) for k in kinds)

    def score(self, now: datetime) -> float:
        """Rank: legal weight, then one point per extra outlet, then up to two points of freshness."""
        age = (now - self.latest).total_seconds() / 3600 if self.latest else 24.0
        freshness = max(0.0, 1.0 - age / 24.0)
        return self.legal_weight() + (len(self.sources) - 1) + 2.0 * freshness


class DailyDigests:
    """Schedule, build and queue each chat's daily digest, and answer its settings commands."""

    def __init__(
        self,
        storage: Store,
        schedule: DailySchedule,
        scheduler: BaseScheduler,
        deliver: Deliver,
        *,
        max_items: int = 10,
        clock: Callable[[], datetime] | None = None,
        filters: Callable[[int], Awaitable[Mapping[int, Filter]]] | None = None,
        platforms: Collection[str] | None = None,
    ) -> None:
        self.storage = storage  # the chats and the outbox
        self.store = schedule
        self.scheduler = scheduler
        self.deliver = deliver
        self.max_items = max_items
        self.clock = clock or (lambda: utcnow())
        self.filters = filters  # a chat's subscription filters by feed id (`bot.chat.options`)
        # Only these platforms' chats get a job here (None: every chat); the outbox key makes
        # a day's digest queued once even if two processes fire for the same chat.
        self.platforms = platforms

    # -- scheduling -----------------------------------------------------------------------------

    @staticmethod
    def job_id(chat_id: int) -> str:
        """Return the scheduler job id of a chat's daily digest."""
        return f"daily:{chat_id}"

    def schedule(self, chat: ChatRecord) -> None:
        """Add, move or remove the chat's job to match its settings."""
        job_id = self.job_id(chat.id)
        if self.scheduler.get_job(job_id) is not None:  # a stopped scheduler keeps duplicates
            self.scheduler.remove_job(job_id)
        if not wants_daily(chat) or (self.platforms is not None and chat.platform not in self.platforms):
            return
        self.scheduler.add_job(
            self.fire,
            trigger_for(chat),
            args=[chat.id],
            id=job_id,
            replace_existing=True,
            misfire_grace_time=int(CATCH_UP.total_seconds()),
            coalesce=True,
            max_instances=1,
        )

    async def start(self) -> None:
        """Rebuild every chat's job from the database, then send or skip what was missed."""
        ids = await self.store.daily_chat_ids()
        chats = [c for c in [await self.storage.chats.by_id(i) for i in ids] if c is not None]
        if self.platforms is not None:
            chats = [c for c in chats if c.platform in self.platforms]
        for chat in chats:
            self.schedule(chat)
        log.info("daily.scheduled", chats=len(chats))
        for chat in chats:
            await self.catch_up(chat)
        await self.deliver()

    async def catch_up(self, chat: ChatRecord) -> None:
        """Queue the chat's latest digest if it was missed less than `CATCH_UP` ago, else skip it."""
        now = self.clock()
        due = last_due(chat, now)
        handled = await self._last_due(chat.id)
        if handled is None:  # never scheduled before this start: nothing was promised yet
            await self._mark(chat.id, due)
            return
        if handled >= due:
            return
        if now - due < CATCH_UP:
            log.info("daily.catch_up", chat_id=chat.id, late_minutes=int((now - due).total_seconds() // 60))
            await self.send_daily(chat, due)
        else:
            stamp = due.astimezone(UTC).isoformat(timespec="seconds")
            log.warning("daily.skipped", chat_id=chat.id, due=stamp, reason="too late")
            await self._mark(chat.id, due)

    async def fire(self, chat_id: int) -> None:
        """Run one chat's job (the scheduler calls it at the chat's local time)."""
        chat = await self.storage.chats.by_id(chat_id)
        if chat is None or not wants_daily(chat):
            return
        due = last_due(chat, self.clock())
        handled = await self._last_due(chat.id)
        if handled is not None and handled >= due:
            return
        try:
            await self.send_daily(chat, due)
            await self.deliver()
        except Exception as exc:  # noqa: BLE001  # one chat's failure must not stop the scheduler
            log.error("daily.failed", chat_id=chat_id, error=repr(exc)[:300])

    async def send_daily(self, chat: ChatRecord, due: datetime) -> int:
        """Queue the chat's daily digest for `due` in the outbox; return how many replies were queued.

        The key is the chat's local date of `due`: the same day is never queued twice, whatever
        `daily_state` says (a restart, a rerun, a time zone moved the same day).
        """
        replies = await self.build(chat, self.clock())
        day = due.astimezone(zone(chat.timezone)).date().isoformat()
        queued = await self.storage.outbox.queue_daily(chat.id, replies, key=f"daily:{day}", due=due)
        log.info("daily.queued", chat_id=chat.id, day=day, replies=queued, already=not queued)
        return queued

    async def _last_due(self, chat_id: int) -> datetime | None:
        return await self.store.last_due(chat_id)

    async def _mark(self, chat_id: int, due: datetime) -> None:
        """Record `due` as handled without a digest (skipped, or nothing promised yet)."""
        await self.store.mark_due(chat_id, due)

    # -- content --------------------------------------------------------------------------------

    async def stories(self, chat: ChatRecord, now: datetime) -> list[Story]:
        """Return the chat's stories of the last 24 h, best first, at most `max_items`."""
        stories: dict[int, Story] = {}
        filters = await self.filters(chat.id) if self.filters is not None else {}
        for item in await self.store.digests_between(chat.id, now - WINDOW, now):
            digest = item.digest
            wanted = filters.get(item.feed_id) if item.feed_id is not None else None
            if wanted is not None and not wanted.accepts(digest):
                continue
            story = stories.setdefault(item.story_id, Story())
            story.digests.append(digest)
            source = digest.source or item.feed_title or "?"
            if source not in story.sources:
                story.sources.append(source)
            stamp = digest.published or item.created_at
            if stamp and (story.latest is None or stamp > story.latest):
                story.latest = min(stamp, now)
        ranked = sorted(stories.values(), key=lambda s: s.score(now), reverse=True)
        return ranked[: self.max_items]

    async def build(self, chat: ChatRecord, now: datetime) -> list[Reply]:
        """Render the daily digest as one or more replies, never splitting an item."""
        stories = await self.stories(chat, now)
        day = french_date(now.astimezone(zone(chat.timezone)))
        if not stories:
            return [Reply(f"Digest quotidien du {day} : rien de nouveau dans vos flux depuis 24 h.")]
        items = [_item(story, zone(chat.timezone)) for story in stories]
        chunks: list[list[ReplyItem]] = [[]]
        size = 0
        for item in items:
            length = len(item.title) + len(item.url) + len(item.detail) + 8
            if chunks[-1] and (size + length > REPLY_CHARS or len(chunks[-1]) >= REPLY_ITEMS):
                chunks.append([])
                size = 0
            chunks[-1].append(item)
            size += length
        count = f"{len(stories)} affaire{'s' if len(stories) > 1 else ''}"
        replies = []
        for index, chunk in enumerate(chunks, start=1):
            suffix = f" ({index}/{len(chunks)})" if len(chunks) > 1 else ""
            replies.append(Reply(f"Digest quotidien du {day} — {count}{suffix} :", items=tuple(chunk)))
        return replies

    # -- commands -------------------------------------------------------------------------------

    async def daily_command(self, ctx: CommandContext, chat: ChatRecord) -> Reply:
        """Set (`/quotidien 08:00`), stop (`/quotidien off`) or show the daily digest time."""
        arg = ctx.args.strip().lower()
        if not arg:
            if not wants_daily(chat):
                return Reply("Pas de digest quotidien. Pour en recevoir un : /quotidien 08:00")
            return Reply(f"Digest quotidien chaque jour à {chat.daily_time} ({chat.timezone}).")
        if arg in _OFF:
            # Without a daily digest only instant articles are left, whatever the mode was:
            # "both" kept here would make /mode claim a daily digest that no longer comes.
            await self.storage.chats.update(chat.id, daily_time=None, mode="instant")
            self.schedule(await self._reload(chat))
            extra = " Vous recevez de nouveau chaque article dès sa publication." if chat.mode == "quotidien" else ""
            return Reply("Digest quotidien arrêté." + extra, ephemeral=True)
        at = parse_time(arg)
        mode = "both" if chat.mode == "instant" else chat.mode
        await self.storage.chats.update(chat.id, daily_time=at, mode=mode)
        updated = await self._reload(chat)
        await self._mark(chat.id, last_due(updated, self.clock()))
        self.schedule(updated)
        text = f"Digest quotidien chaque jour à {at} ({chat.timezone})."
        if mode == "both":
            text += " Vous recevez aussi chaque article dès sa publication ; /mode quotidien pour le digest seul."
        return Reply(text, ephemeral=True)

    async def timezone_command(self, ctx: CommandContext, chat: ChatRecord) -> Reply:
        """Set the chat's time zone (`/fuseau Europe/Paris`) or show it."""
        arg = ctx.args.strip()
        if not arg:
            return Reply(f"Fuseau horaire : {chat.timezone}. Pour le changer : /fuseau Europe/Paris")
        name = zone_name(arg)
        await self.storage.chats.update(chat.id, timezone=name)
        updated = await self._reload(chat)
        if wants_daily(updated):
            await self._mark(chat.id, last_due(updated, self.clock()))
        self.schedule(updated)
        return Reply(f"Fuseau horaire : {name}.", ephemeral=True)

    async def mode_command(self, ctx: CommandContext, chat: ChatRecord) -> Reply:
        """Choose instant articles, the daily digest, or both (`/mode quotidien`)."""
        arg = " ".join(ctx.args.lower().split())
        if not arg:
            current = chat.mode if wants_daily(chat) else "instant"
            return Reply(
                f"Mode actuel : {MODE_NAMES[current]}. Choix : /mode instant, /mode quotidien, /mode both (les deux)"
            )
        mode = _MODES.get(arg)
        if mode is None:
            raise InputError("bad mode", french="Modes possibles : instant, quotidien ou both (les deux).")
        daily_time = chat.daily_time or (DEFAULT_TIME if mode != "instant" else None)
        await self.storage.chats.update(chat.id, mode=mode, daily_time=daily_time)
        updated = await self._reload(chat)
        if wants_daily(updated) and not wants_daily(chat):
            await self._mark(chat.id, last_due(updated, self.clock()))
        self.schedule(updated)
        text = {
            "instant": "Mode instant : chaque nouvel article arrive dès sa publication.",
            "quotidien": f"Mode quotidien : un seul digest chaque jour à {daily_time} ({chat.timezone}).",
            "both": f"Les deux : chaque article dès sa publication, et un digest chaque jour à {daily_time}.",
        }[mode]
        if mode != "instant":
            text += " Changer l'heure : /quotidien HH:MM"
        return Reply(text, ephemeral=True)

    async def _reload(self, chat: ChatRecord) -> ChatRecord:
        fresh = await self.storage.chats.by_id(chat.id)
        assert fresh is not None
        return fresh


def _item(story: Story, tz: ZoneInfo) -> ReplyItem:
    """Render one story: the lead digest's title and link, its sources, legal facts and a summary."""
    lead = story.lead
    parts = ["Sources : " + ", ".join(story.sources)]
    legal = []
    for digest in story.digests:
        for item in digest.legal:
            if item.text not in legal:
                legal.append(item.text)
    if legal:
        parts.append("Enjeux : " + ", ".join(legal[:4]))
    if story.latest:
        parts.append(story.latest.astimezone(tz).strftime("%H:%M"))
    summary = _shorten(lead.summary, 280)
    detail = " · ".join(parts) + (f"\n{summary}" if summary else "")
    return ReplyItem(lead.title or lead.url, lead.url, detail)


def _shorten(text: str, limit: int) -> str:
    """Shorten at a word boundary with an ellipsis (a summary line, not the item, is shortened)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"
