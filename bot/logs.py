"""Structured logging to stderr, with secrets scrubbed from every event.

Why a scrubber: tokens end up in URLs (Telegram's `/bot<token>/`) and exception texts; a log
line is the easiest place to leak one.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

_TELEGRAM_TOKEN = re.compile(r"(?<![0-9])[0-9]{5,}:[A-Za-z0-9_-]{20,}")


class SecretScrubber:
    """A structlog processor (and logging filter) replacing known secrets with "***"."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """Return `text` with every secret and anything shaped like a bot token masked."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return _TELEGRAM_TOKEN.sub("***", text)

    def __call__(self, logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        """Scrub every string (and exception) value of a structlog event."""
        for key, value in list(event.items()):
            if isinstance(value, str):
                event[key] = self.scrub(value)
            elif isinstance(value, BaseException):
                event[key] = self.scrub(repr(value))
        return event

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub stdlib log records (httpx, telegram, discord log through `logging`)."""
        record.msg = self.scrub(record.getMessage())
        record.args = ()
        return True


def configure_logging(*, level: str = "INFO", secrets: Iterable[str | None] = ()) -> SecretScrubber:
    """Send structlog and stdlib logs to stderr as key=value lines, secrets scrubbed."""
    scrubber = SecretScrubber(secrets)
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(scrubber)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    logging.getLogger("httpx").setLevel(max(numeric, logging.WARNING))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,  # a logged exception keeps its traceback, scrubbed too
            scrubber,
            structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"]),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    return scrubber
