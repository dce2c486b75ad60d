"""Normalise what a user types as a feed address into a URL worth fetching."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from bot.errors import InputError

MAX_URL_LENGTH = 2048


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
