"""URLs in and out: what a user types as a feed address, and what may become a link.

`normalize_url` turns typed text into a URL worth fetching (or a French InputError);
`link_target` decides whether a URL from a feed may be put in a link or an embed at all.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit, urlunsplit

from bot.errors import InputError

MAX_URL_LENGTH = 2048
MAX_LINK_LENGTH = 2048  # Discord's embed URL limit; far above any article address
# Never inside a link target: markup delimiters, and the backslash browsers read as "/"
# (so "https://evil.example\@good.example" would not go where urlsplit says).
_LINK_BREAKERS = frozenset('<>\\"`')
# Controls, formatting (RTL override…), surrogates, unassigned, and every kind of space.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn", "Co", "Zs", "Zl", "Zp"})


def link_target(url: str) -> str | None:
    """Return `url` when it may be the target of a link or an embed, else None.

    The one check for every link Veille renders (Telegram HTML, Discord embeds and masked
    links): scheme http or https, a host, a port in 1-65535 if any, no credentials, and no
    control, formatting or space character, nor any of the `_LINK_BREAKERS`. A URL that fails
    is dropped, never repaired: the caller shows the title without a link.
    """
    if not url or len(url) > MAX_LINK_LENGTH:
        return None
    if any(c in _LINK_BREAKERS or unicodedata.category(c) in _REFUSED_CATEGORIES for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError outside 0-65535 or not a number
    except ValueError:  # e.g. "http://[oops"
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if port == 0 or "@" in parts.netloc:
        return None
    return url


def normalize_url(raw: str) -> str:
    """Return an absolute http(s) URL, or raise `InputError` with a French explanation.

    A bare host ("lemonde.fr/rss") gets https://; the fragment is dropped; scheme and host are
    lower-cased so one feed has one URL in storage.
    """
    text = raw.strip().strip("<>")
    if not text:
        raise InputError(
            "empty URL", french="Indiquez l'adresse d'un flux, par exemple /abonner https://exemple.fr/rss"
        )
    if len(text) > MAX_URL_LENGTH:
        raise InputError("URL too long", french="Adresse trop longue.")
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise InputError(f"malformed URL: {exc}", french="Adresse mal formée.") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InputError(
            f"unsupported scheme {parts.scheme!r}",
            french="Seules les adresses http:// et https:// sont acceptées.",
        )
    host = (parts.hostname or "").lower()
    if not host or any(c.isspace() for c in text):
        raise InputError("URL without host", french="Adresse mal formée : il manque le nom du site.")
    netloc = host if ":" not in host else f"[{host}]"
    if port is not None:
        netloc += f":{port}"
    if parts.username or parts.password:
        raise InputError("credentials in URL", french="Les adresses avec identifiants ne sont pas acceptées.")
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))
