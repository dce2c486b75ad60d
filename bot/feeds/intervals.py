"""How often a feed is polled: what chats ask (`/intervalle N 30min`) and what the feed says.

    "/intervalle 2 30min" ──parse_interval──▶ 30 min, within [VEILLE_MIN_INTERVAL, 24 h]
    <ttl>60</ttl>, sy:updatePeriod daily, Cache-Control: max-age=7200 ──feed_hint──▶ 24 h (the longest)
    poll_interval(global, hint, asked by each subscription) ──▶ the feed's interval

The rule, for one feed: a subscription that asked for an interval wants that one; one that did
not wants the default, which is the global interval, or the feed's own hint when the feed asks
to be polled less often than that. The feed is polled at the shortest interval any of its chats
wants: one fetch serves every chat, and no chat waits longer than it asked. Errors still back
off from that interval (`bot.feeds.pipeline.next_poll_time`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta

from bot.arguments import parse_number
from bot.errors import InputError

MAX_INTERVAL = timedelta(hours=24)
DEFAULT_MIN_INTERVAL = timedelta(minutes=5)
_OFF = {"off", "defaut", "défaut", "default", "auto", "aucun", "non"}

# "30min", "2 h", "1h30", "1 j", "90 minutes", "1d": numbers each followed by a unit.
_PART = re.compile(r"([0-9]{1,5})\s*([^\W\d_]+)?")
_UNITS = {
    **dict.fromkeys(("s", "sec", "seconde", "secondes"), 1),
    **dict.fromkeys(("m", "mn", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "heure", "heures", "hour", "hours"), 3600),
    **dict.fromkeys(("j", "jour", "jours", "d", "day", "days"), 86400),
}
_SY_PERIODS = {"hourly": 3600, "daily": 86400, "weekly": 7 * 86400, "monthly": 30 * 86400, "yearly": 365 * 86400}
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?([0-9]{1,10})", re.IGNORECASE)


def is_off(text: str) -> bool:
    """Say whether the user asked to go back to the default interval ("off", "défaut")."""
    return text.strip().lower() in _OFF


def parse_interval(text: str, *, minimum: timedelta = DEFAULT_MIN_INTERVAL) -> timedelta:
    """Read "30min", "2h", "1h30", "1j" into a duration in [minimum, 24 h], or raise a French InputError."""
    typed = text.strip().lower()
    seconds = _read_duration(typed)
    bounds = f"entre {format_interval(minimum)} et 24 h"
    if seconds is None:
        raise InputError(
            "bad interval",
            french=f"Intervalle non compris : « {text.strip()[:20]} ». Exemples : 30min, 2h, 1h30, 1j ({bounds}).",
        )
    interval = timedelta(seconds=seconds)
    if not minimum <= interval <= MAX_INTERVAL:
        raise InputError(
            "interval out of range",
            french=f"Intervalle hors limites : {bounds} (vous avez demandé {format_interval(interval)}).",
        )
    return interval


def _read_duration(typed: str) -> int | None:
    """Add up "1h30" as 5400 s; None when the text is not only numbers with units."""
    pos, total, last = 0, 0, 0
    if not typed:
        return None
    while pos < len(typed):
        match = _PART.match(typed, pos)
        if match is None:
            return None
        number = parse_number(match[1], max_digits=5)
        if match[2] is None:
            # a bare number is only the minutes after hours, at the end: "1h30"
            factor = 60 if last == 3600 and match.end() == len(typed) else None
        else:
            factor = _UNITS.get(match[2].lower())
        if factor is None or number is None:
            return None
        total += number * factor
        last = factor
        pos = match.end()
        while pos < len(typed) and typed[pos] == " ":
            pos += 1
    return total


def format_interval(interval: timedelta) -> str:
    """Write a duration the French way: "30 min", "2 h", "1 h 30", "24 h"."""
    minutes = round(interval.total_seconds() / 60)
    if minutes < 1:
        return f"{round(interval.total_seconds())} s"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    if not rest:
        return f"{hours} h"
    return f"{hours} h {rest:02d}"


def feed_hint(
    *,
    ttl: str | None = None,
    update_period: str | None = None,
    update_frequency: str | None = None,
    cache_control: str | None = None,
) -> timedelta | None:
    """Return the longest polling interval a feed asks for, capped at 24 h; None when it asks none.

    `<ttl>` is in minutes (RSS 2.0); `sy:updatePeriod`/`sy:updateFrequency` mean "frequency
    times per period" (RDF Site Summary syndication module); `Cache-Control: max-age` is in
    seconds. Unreadable values are ignored: a hint is advice, never an error.
    """
    found: list[int] = []
    minutes = parse_number(ttl or "", max_digits=7)
    if minutes:
        found.append(minutes * 60)
    period = _SY_PERIODS.get((update_period or "").strip().lower())
    if period:
        frequency = parse_number(update_frequency or "1", max_digits=6) or 1
        found.append(period // frequency)
    age = _MAX_AGE.search(cache_control or "")
    if age and not re.search(r"no-cache|no-store", cache_control or "", re.IGNORECASE):
        seconds = parse_number(age[1], max_digits=10)
        if seconds:
            found.append(seconds)
    if not found:
        return None
    return min(timedelta(seconds=max(found)), MAX_INTERVAL)


def longest(*hints: timedelta | None) -> timedelta | None:
    """Return the longest of the hints given, or None when there is none."""
    return max((h for h in hints if h is not None), default=None)


def poll_interval(
    default: timedelta, *, hint: timedelta | None = None, asked: Iterable[timedelta | None] = ()
) -> timedelta:
    """Return the feed's polling interval: the shortest its subscriptions want (module docstring).

    `asked` holds one value per active subscription: its own interval, or None for the default
    (the global interval, or the feed's hint when longer). No subscription: the default.
    """
    fallback = max(default, hint) if hint is not None else default
    wanted = [a if a is not None else fallback for a in asked]
    return min(wanted, default=fallback)
