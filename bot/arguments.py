"""Read what users type after a command, numbers and time zones, without ever raising.

Why one module: `str.isdigit()` says yes to "²", which `int()` refuses, and `ZoneInfo()` raises
`IsADirectoryError` on "Europe" and `OSError` on a 300-character name; each handler parsing on
its own let those escape as crashes. Every command reads its numbers and zones here:

    parse_number("2")  → 2         parse_number("²") → None     (ASCII digits, 6 at most)
    zone_name("europe/paris") → "Europe/Paris"                   (or InputError, in French)
    load_zone(stored name) → ZoneInfo, Europe/Paris when the name no longer loads
    clean_argument(text)  → the text without control characters or lone surrogates
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.errors import InputError

# More digits than any list a chat can hold (feeds, follows, pages): refused before int().
MAX_NUMBER_DIGITS = 6
MAX_ZONE_LENGTH = 64  # the longest IANA name has 32 characters
DEFAULT_ZONE = "Europe/Paris"
UNKNOWN_ZONE = "Fuseau inconnu. Exemples : Europe/Paris, America/Martinique, Indian/Reunion, UTC"


def clean_argument(text: str) -> str:
    """Replace control characters and lone surrogates with spaces (newlines stay).

    Why: SQLite cannot encode a lone surrogate and the platforms refuse NUL, so such text
    would fail far from the command that let it in.
    """
    return "".join(
        " " if c != "\n" and unicodedata.category(c) in ("Cc", "Cs") else c for c in text
    )


def parse_number(text: str, *, max_digits: int = MAX_NUMBER_DIGITS) -> int | None:
    """Return the number written in ASCII digits (at most `max_digits`), else None."""
    text = text.strip()
    if not 0 < len(text) <= max_digits or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def looks_like_number(text: str) -> bool:
    """Tell whether the user meant a number (any script, any length), even one we refuse."""
    return text.strip().isnumeric()


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    """Map the lower-case form of every zone a chat may choose to its canonical IANA name.

    Region/City names and UTC only: "EST" or "GB" are legacy aliases nobody should pick.
    """
    names = {
        name
        for name in available_timezones()
        if "/" in name and not name.startswith(("posix/", "right/", "Etc/"))
    }
    names.add("UTC")
    return {name.lower(): name for name in names}


def zone_name(text: str) -> str:
    """Return the canonical IANA name of the zone typed in any case, or raise a French InputError.

    Spaces stand for underscores ("america/new york"), as users type city names.
    """
    typed = "_".join(text.split())
    name = _zones().get(typed.lower()) if len(typed) <= MAX_ZONE_LENGTH else None
    if name is None:
        raise InputError(f"unknown time zone {typed[:MAX_ZONE_LENGTH]!r}", french=UNKNOWN_ZONE)
    return name


def open_zone(name: str) -> ZoneInfo | None:
    """Return the zone named exactly `name`, or None when it is none (a folder, a bad path)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: IsADirectoryError, name too long
        return None


def load_zone(name: str) -> ZoneInfo:
    """Return a stored zone, or Europe/Paris when the stored name no longer loads."""
    return open_zone(name) or ZoneInfo(DEFAULT_ZONE)
