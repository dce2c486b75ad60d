"""`/stats` for the people who run Veille: feeds, chats, the outbox, failures and timings.

Only the platform user ids listed in `VEILLE_ADMINS` ("telegram:123,discord:456"; the console's
user is "console:console-user") may read it: the figures cover every chat the bot serves, so a
group administrator is not enough. Everyone else gets a French refusal.

Storage counts come from a `StatsStore`; what storage does not hold — how long digests take,
how long the last poll cycle took — is kept in memory by `RunTimes`, which the pipeline and the
poll loop feed (the last `KEEP` digests; figures restart with the process).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import time as day_time
from zoneinfo import ZoneInfo

import structlog

from bot.chat.commands import CommandSpec
from bot.models import ChatRecord, CommandContext, Reply
from bot.store.protocols import StatsSnapshot, StatsStore

log = structlog.get_logger(__name__)

KEEP = 1000
STATS_SPEC = CommandSpec("stats", "stats", "Statistiques (opérateurs de Veille)", "Statistics (Veille operators)")
REFUSAL = "Désolé, /stats est réservé aux opérateurs de Veille (réglage VEILLE_ADMINS)."
STATES = (("sent", "envoyés"), ("pending", "en attente"), ("sending", "en cours"), ("failed", "en échec"),
          ("dropped", "abandonnés"))  # fmt: skip


def percentile(values: Sequence[float], share: float) -> float:
    """Return the nearest-rank percentile (`share` in (0, 1]) of non-empty `values`."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass(frozen=True, slots=True)
class Cycle:
    """One poll cycle: when it ended, how long it took, how many feeds it polled."""

    ended: datetime
    seconds: float
    feeds: int


class RunTimes:
    """Durations only the running process knows: digests made and the last poll cycle."""

    def __init__(self, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.digests: deque[float] = deque(maxlen=KEEP)
        self.last_cycle: Cycle | None = None

    def digest_made(self, seconds: float) -> None:
        """Record how long one digest took to make."""
        self.digests.append(seconds)

    def cycle_done(self, ended: datetime, seconds: float, feeds: int) -> None:
        """Record the poll cycle that just ended."""
        self.last_cycle = Cycle(ended, seconds, feeds)


class StatsCommand:
    """Answer `/stats` for operators, refuse it to anyone else."""

    def __init__(
        self,
        store: StatsStore,
        times: RunTimes,
        admins: Collection[str],
        *,
        zone: ZoneInfo,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.times = times
        self.admins = admins
        self.zone = zone
        self.clock = clock

    def allowed(self, ctx: CommandContext) -> bool:
        """Say whether the user who typed the command is an operator."""
        return f"{ctx.platform}:{ctx.user_id}" in self.admins

    async def __call__(self, ctx: CommandContext, chat: ChatRecord) -> Reply:
        """Report the figures, or refuse."""
        if not self.allowed(ctx):
            log.info("stats.refused", platform=ctx.platform)
            return Reply(REFUSAL, ephemeral=True)
        now = self.clock()
        local = now.astimezone(self.zone)
        midnight = datetime.combine(local.date(), day_time(0), tzinfo=self.zone)
        snapshot = await self.store.snapshot(midnight)
        return Reply(render(snapshot, self.times, now=local), ephemeral=True)


def render(snap: StatsSnapshot, times: RunTimes, *, now: datetime) -> str:
    """Write the report in French, one subject per line."""
    feeds = snap.feeds
    active_feeds = feeds.get("active", 0)
    lines = [
        f"Statistiques de Veille — {now:%d/%m/%Y %H:%M}",
        f"Flux : {_n(active_feeds, 'actif', 'actifs')} (dont {feeds.get('backing_off', 0)} en erreur, relevés "
        f"plus espacés) · {feeds.get('paused', 0)} en pause · {_n(feeds.get('gone', 0), 'disparu', 'disparus')}",
    ]
    active = {p: n for p, n in snap.chats.items() if not p.endswith(":inactive")}
    inactive = sum(n for p, n in snap.chats.items() if p.endswith(":inactive"))
    by_platform = ", ".join(f"{p} {n}" for p, n in active.items())
    lines.append(
        f"Discussions : {_n(sum(active.values()), 'active', 'actives')}" + (f" ({by_platform})" if by_platform else "")
        + f" · {_n(inactive, 'inactive', 'inactives')}"
    )  # fmt: skip
    counts = " · ".join(f"{snap.deliveries.get(state, 0)} {label}" for state, label in STATES)
    lines.append(f"Envois du jour : {counts}")
    lines.append(f"File d'attente : {_n(snap.outbox, 'message', 'messages')}")
    if snap.failures:
        lines.append("Échecs du jour, par raison :")
        for failure in snap.failures:
            last = f" (dernier à {failure.last.astimezone(now.tzinfo):%H:%M})" if failure.last else ""
            lines.append(f"  • {failure.count} × {failure.reason[:160]}{last}")
    else:
        lines.append("Échecs du jour : aucun")
    made = f"Résumés du jour : {snap.digests}"
    if times.digests:
        made += (
            f" · durée p50 {_seconds(percentile(times.digests, 0.5))}, p95 {_seconds(percentile(times.digests, 0.95))}"
            f" (sur les {len(times.digests)} derniers)"
        )
    else:
        made += " · durée : aucun résumé fait depuis le démarrage"
    lines.append(made)
    cycle = times.last_cycle
    if cycle is None:
        lines.append("Dernier cycle de relève : pas encore depuis le démarrage")
    else:
        lines.append(
            f"Dernier cycle de relève : {_seconds(cycle.seconds)} pour {cycle.feeds} flux, "
            f"terminé à {cycle.ended.astimezone(now.tzinfo):%H:%M:%S}"
        )
    return "\n".join(lines)


def _n(count: int, singular: str, plural: str) -> str:
    """Write a count with its word, singular for 0 and 1 as French does ("0 message", "2 messages")."""
    return f"{count} {singular if count < 2 else plural}"


def _seconds(value: float) -> str:
    """Write a duration in French: "0,84 s", "12,3 s", "2 min 05 s"."""
    if value >= 120:
        minutes, seconds = divmod(round(value), 60)
        return f"{minutes} min {seconds:02d} s"
    text = f"{value:.2f}" if value < 10 else f"{value:.1f}"
    return text.replace(".", ",") + " s"
