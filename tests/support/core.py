"""Builders for core tests: settings on a temp database, invented feeds, a running core.

Feeds written here are invented French legal-news items (never copied articles), long enough
that the pipeline takes the feed's own content as the article text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from xml.sax.saxutils import escape

from adapters.console import ConsoleAdapter
from bot.app import Veille
from bot.compose import build
from bot.config import Settings, load_settings


@dataclass(frozen=True)
class Item:
    """One invented feed item."""

    guid: str
    title: str
    body: str
    date: str = "Mon, 23 Nov 2026 10:00:00 GMT"
    link: str = ""


def legal_body(subject: str) -> str:
    """Return an invented ~900-character French legal-news article about `subject`."""
    return (
        f"<p>Le parquet de Paris a ouvert une enquête préliminaire visant {subject}, soupçonnée "
        "d'avoir laissé fuiter les données personnelles de plusieurs milliers de clients.</p>"
        "<p>Les investigations ont été confiées à l'Office anti-cybercriminalité (OFAC), qui "
        "enquête notamment pour accès frauduleux à un système de traitement automatisé de "
        "données et extorsion en bande organisée. Les faits sont punis de cinq ans "
        "d'emprisonnement et de 150 000 euros d'amende.</p>"
        "<p>La Commission nationale de l'informatique et des libertés (CNIL) a été notifiée de "
        "la violation, comme l'impose le RGPD. Elle pourra prononcer une sanction pouvant "
        "atteindre 4 % du chiffre d'affaires mondial de l'entreprise.</p>"
        "<p>L'entreprise affirme avoir porté plainte et coopérer pleinement avec les enquêteurs. "
        "Aucune interpellation n'a eu lieu à ce stade, selon une source proche du dossier.</p>"
    )


def rss(items: Sequence[Item], *, title: str = "Le Journal du Droit (test)", base: str = "") -> bytes:
    """Render an RSS 2.0 feed of `items`."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title><link>{escape(base or 'https://example.test/')}</link>",
        "<description>Flux de test</description>",
    ]
    for item in items:
        link = item.link or f"{base}/articles/{item.guid}.html"
        parts.append(
            f"<item><title>{escape(item.title)}</title><link>{escape(link)}</link>"
            f'<guid isPermaLink="false">{escape(item.guid)}</guid><pubDate>{item.date}</pubDate>'
            f"<description>{escape(item.body)}</description></item>"
        )
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings for a test: temp database, private URLs allowed (the feed server is local)."""
    values: dict[str, object] = {
        "VEILLE_DB": tmp_path / "veille.db",
        "VEILLE_ALLOW_PRIVATE_URLS": True,
        "VEILLE_FETCH_TIMEOUT": 5,
        "TELEGRAM_BOT_TOKEN": "",
        "DISCORD_BOT_TOKEN": "",
    }
    values.update(overrides)
    return load_settings(**values)


@asynccontextmanager
async def running_core(tmp_path: Path, **overrides: object) -> AsyncIterator[tuple[Veille, ConsoleAdapter]]:
    """Run a core with a console adapter (any number of chats through `command(chat_id=…)`)."""
    console = ConsoleAdapter(stream=StringIO())
    async with build(make_settings(tmp_path, **overrides), [console]) as app:
        yield app, console
