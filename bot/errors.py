"""Veille's error hierarchy: every error carries an English log message and a French chat one.

VeilleError
├── ConfigError            bad setting at start (one line on the CLI)
├── FetchError             a URL could not be fetched
│   ├── BlockedURLError    SSRF guard: scheme or address refused, no connection made
│   ├── FetchTimeoutError  connect/read/total deadline passed
│   ├── TooLargeError      body (decompressed) over the cap
│   ├── TooManyRedirectsError  redirect limit or loop
│   └── HTTPStatusError    4xx/5xx answer (keeps status and Retry-After)
├── FeedParseError         bytes are not a feed (and not a page with a feed link)
├── InputError             a chat command's argument is unusable
└── SendError              a chat platform refused a message
    ├── ChatGoneError      blocked, kicked, deleted: mark the chat inactive
    ├── RejectedError      this message is refused for what it is (a 400): never retry it
    └── RetryLaterError    rate limited or transient: keep the delivery, retry later
"""

from __future__ import annotations


class VeilleError(Exception):
    """Base of every error Veille raises on purpose.

    `str(error)` is the English message for logs and the CLI; `french` is what a chat user reads.
    """

    default_french = "Une erreur est survenue."

    def __init__(self, message: str, *, french: str | None = None) -> None:
        super().__init__(message)
        self.french = french or self.default_french


class ConfigError(VeilleError):
    """A setting has a bad value; raised at start, shown as one line."""

    default_french = "Configuration invalide."


class FetchError(VeilleError):
    """A URL could not be fetched."""

    default_french = "Impossible de récupérer cette adresse."


class BlockedURLError(FetchError):
    """The URL's scheme or resolved address is refused (SSRF guard); nothing was sent."""

    default_french = (
        "Adresse refusée : seules les adresses http(s) publiques sont acceptées "
        "(pas de réseau local ni d'adresse interne)."
    )


class FetchTimeoutError(FetchError):
    """A connect, read or total deadline passed."""

    default_french = "Le site ne répond pas à temps."


class TooLargeError(FetchError):
    """The (decompressed) body went past the size cap."""

    default_french = "La réponse du site est trop volumineuse."


class TooManyRedirectsError(FetchError):
    """Too many redirects, or a redirect loop."""

    default_french = "Le site redirige trop de fois (ou en boucle)."


class HTTPStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(
        self, message: str, *, status: int, retry_after: float | None = None, french: str | None = None
    ) -> None:
        super().__init__(message, french=french or f"Le site a répondu par une erreur {status}.")
        self.status = status
        self.retry_after = retry_after


class FeedParseError(VeilleError):
    """The bytes are not a readable feed."""

    default_french = "Cette adresse ne contient pas de flux RSS, Atom ou JSON Feed lisible."


class InputError(VeilleError):
    """A chat command's argument is missing or unusable."""

    default_french = "Commande incomplète ou invalide."


class SendError(VeilleError):
    """A chat platform refused a message."""

    default_french = "Envoi impossible."


class ChatGoneError(SendError):
    """The chat is gone for us (bot blocked, kicked, chat deleted): stop sending to it."""


class RejectedError(SendError):
    """The platform refused this very message and would refuse it again: fail it, keep the rest.

    Raised only after the adapter has tried the message once more in a degraded form (plain
    text, split, minimal); `str(error)` carries the platform's answer, which the outbox stores,
    and `answer` the platform's own words alone.
    """

    def __init__(self, message: str, *, answer: str | None = None) -> None:
        super().__init__(message)
        self.answer = answer if answer is not None else message


class RetryLaterError(SendError):
    """Rate limited or a transient failure: keep the message and try again after `retry_after`."""

    def __init__(self, message: str, *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def error_kind(exc: BaseException) -> str:
    """Name an error's kind in a few stable words, for metrics labels and counts.

    "http_404" for an HTTP answer, else the kind of failure ("timeout", "blocked", …);
    "internal" is anything Veille did not raise on purpose (a bug, a poisoned feed).
    """
    if isinstance(exc, HTTPStatusError):
        return f"http_{exc.status}"
    kinds: tuple[tuple[type[VeilleError], str], ...] = (
        (BlockedURLError, "blocked"),
        (FetchTimeoutError, "timeout"),
        (TooLargeError, "too_large"),
        (TooManyRedirectsError, "redirects"),
        (FetchError, "network"),
        (FeedParseError, "parse"),
    )
    return next((kind for cls, kind in kinds if isinstance(exc, cls)), "internal")
