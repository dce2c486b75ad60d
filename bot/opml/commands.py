"""`/exporter` and `/importer`: a chat's subscriptions as an OPML file, and back.

An import reads the whole file before subscribing to anything, so a file that is not XML,
too large or without feeds changes nothing. Each outline then goes through the very path of
`/abonner` (`SubscriptionService`: URL checks, SSRF guard, discovery, the per-chat cap),
without posting each feed's newest item, and the reply sorts the outcomes: added, already
there, refused with the reason. The operator's `veille opml` runs the same two functions.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from bot.chat.commands import CommandSpec, Handler
from bot.chat.subscribe import MAX_SUBSCRIPTIONS_PER_CHAT, AlreadySubscribedError, SubscriptionService
from bot.errors import FetchError, InputError, TooLargeError, VeilleError
from bot.feeds.urls import normalize_url
from bot.models import Attachment, ChatRecord, CommandContext, Reply, ReplyItem, utcnow
from bot.opml.document import MAX_OPML_BYTES, OpmlFeed, read_opml, too_large, write_opml
from bot.store.protocols import Store

log = structlog.get_logger(__name__)

OPML_MIME = "text/x-opml"
CONCURRENCY = 4  # feeds fetched at once during an import: quick, yet gentle with one host
UNEXPECTED = "erreur interne en ajoutant ce flux"

SPECS = (
    CommandSpec(
        "exporter",
        "export",
        "Exporter les abonnements (fichier OPML)",
        "Export subscriptions (OPML file)",
    ),
    CommandSpec(
        "importer",
        "import",
        "Importer des abonnements depuis un fichier OPML",
        "Import subscriptions from an OPML file",
        admin_only=True,
        argument_fr="fichier OPML",
        option="fichier",
        option_description_fr="Le fichier OPML exporté d'un lecteur de flux",
        option_description_en="The OPML file exported from a feed reader",
        option_required=True,
        takes_file=True,
    ),
)

HOW_TO_SEND = {
    "telegram": "envoyez le fichier .opml en document, avec /importer en légende "
    "(ou répondez /importer au message qui contient le fichier)",
    "discord": "joignez le fichier .opml dans l'option « fichier » de /importer",
    "console": "donnez son chemin : /importer ~/abonnements.opml",
}


@dataclass(slots=True)
class ImportReport:
    """What an import did with each feed of the file."""

    added: list[OpmlFeed] = field(default_factory=list)
    already: list[OpmlFeed] = field(default_factory=list)
    refused: list[tuple[OpmlFeed, str]] = field(default_factory=list)  # (feed, French reason)

    @property
    def read(self) -> int:
        """Return how many feeds the file listed."""
        return len(self.added) + len(self.already) + len(self.refused)


def export_document(feeds: list[OpmlFeed], *, chat_title: str, now: datetime | None = None) -> Attachment:
    """Return a chat's feeds as an OPML 2.0 attachment named after the day."""
    created = now or utcnow()
    title = f"Abonnements Veille — {chat_title}" if chat_title else "Abonnements Veille"
    data = write_opml(feeds, title=title, created=created)
    return Attachment(f"veille-abonnements-{created:%Y-%m-%d}.opml", data, OPML_MIME)


async def chat_feeds(storage: Store, chat: ChatRecord) -> list[OpmlFeed]:
    """Return the chat's subscriptions in `/abonnements` order, as OPML outlines."""
    return [OpmlFeed(feed.url, feed.title) for feed in await storage.chats.subscriptions(chat.id)]


async def import_feeds(
    storage: Store, subscriptions: SubscriptionService, chat: ChatRecord, feeds: list[OpmlFeed]
) -> ImportReport:
    """Subscribe `chat` to each feed through `/abonner`'s guards; one failure never stops the rest.

    Feeds the chat already has are told apart without fetching them; past the per-chat cap
    the remaining feeds are refused without a fetch. The outcomes keep the file's order.
    """
    have = {feed.url for feed in await storage.chats.subscriptions(chat.id)}
    room = MAX_SUBSCRIPTIONS_PER_CHAT - len(have)
    outcome: dict[int, tuple[str, str]] = {}
    to_fetch: list[int] = []
    for index, feed in enumerate(feeds):
        try:
            url = normalize_url(feed.url)
        except InputError as exc:
            outcome[index] = ("refused", exc.french.rstrip("."))
            continue
        if url in have or feed.url in have:
            outcome[index] = ("already", "")
        elif len(to_fetch) >= room:
            outcome[index] = ("refused", f"limite de {MAX_SUBSCRIPTIONS_PER_CHAT} abonnements par discussion atteinte")
        else:
            to_fetch.append(index)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(index: int) -> None:
        async with gate:
            try:
                await subscriptions.subscribe(chat, feeds[index].url, announce=False)
                outcome[index] = ("added", "")
            except AlreadySubscribedError:
                outcome[index] = ("already", "")
            except VeilleError as exc:
                outcome[index] = ("refused", exc.french.rstrip("."))
            except Exception as exc:  # noqa: BLE001  # one feed's bug must not stop the import
                log.error("opml.import_failed", chat_id=chat.id, error=repr(exc)[:300])
                outcome[index] = ("refused", UNEXPECTED)

    await asyncio.gather(*(one(index) for index in to_fetch))
    report = ImportReport()
    for index, feed in enumerate(feeds):
        kind, reason = outcome[index]
        if kind == "added":
            report.added.append(feed)
        elif kind == "already":
            report.already.append(feed)
        else:
            report.refused.append((feed, reason))
    log.info(
        "opml.imported", chat_id=chat.id, added=len(report.added), already=len(report.already),
        refused=len(report.refused),
    )
    return report


def report_reply(report: ImportReport) -> Reply:
    """Say in French what an import did: counts first, then one line per feed."""

    def plural(count: int, word: str) -> str:
        return f"{count} {word}{'s' if count > 1 else ''}"

    text = (
        f"Import OPML : {report.read} flux lu{'s' if report.read > 1 else ''}"
        f" — {plural(len(report.added), 'ajouté')}, {plural(len(report.already), 'déjà présent')}, "
        f"{plural(len(report.refused), 'refusé')}."
    )
    if report.added:
        text += " Les nouveaux articles de ces flux arriveront dès leur publication."
    items = [ReplyItem(feed.title or feed.url, feed.url, "ajouté") for feed in report.added]
    items += [ReplyItem(feed.title or feed.url, feed.url, "déjà abonné") for feed in report.already]
    items += [ReplyItem(feed.title or feed.url, feed.url, f"refusé : {reason}") for feed, reason in report.refused]
    return Reply(text, items=tuple(items))


class OpmlCommands:
    """The chat side of OPML: `/exporter` sends a file, `/importer` reads one."""

    def __init__(self, storage: Store, subscriptions: SubscriptionService) -> None:
        self.storage = storage
        self.subscriptions = subscriptions

    def handlers(self) -> list[tuple[CommandSpec, Handler]]:
        """Return each command's spec with its handler, for `Commands.register`."""
        return list(zip(SPECS, (self.export, self.import_), strict=True))

    async def export(self, ctx: CommandContext, chat: ChatRecord) -> Reply:
        """Send the chat's subscriptions as an OPML 2.0 file."""
        feeds = await chat_feeds(self.storage, chat)
        if not feeds:
            return Reply("Aucun abonnement à exporter. Ajoutez-en un : /abonner https://exemple.fr/rss")
        file = export_document(feeds, chat_title=chat.title)
        count = f"{len(feeds)} abonnement{'s' if len(feeds) > 1 else ''}"
        return Reply(
            f"Vos {count} au format OPML : importez ce fichier dans un lecteur de flux, "
            "ou dans une autre discussion avec /importer.",
            file=file,
        )

    async def import_(self, ctx: CommandContext, chat: ChatRecord) -> Reply:
        """Subscribe the chat to every feed of the OPML file sent with the command."""
        upload = ctx.upload
        if upload is None:
            how = HOW_TO_SEND.get(ctx.platform, "joignez le fichier .opml à la commande /importer")
            raise InputError("no file sent", french=f"Il manque le fichier OPML : {how}.")
        if upload.size is not None and upload.size > MAX_OPML_BYTES:
            raise too_large(upload.size)
        try:
            data = await upload.read(MAX_OPML_BYTES)
        except TooLargeError:
            raise too_large(upload.size if upload.size is not None else MAX_OPML_BYTES + 1) from None
        except FileNotFoundError:
            raise InputError("upload not found", french=f"Fichier introuvable : {upload.name[:200]}.") from None
        except (FetchError, OSError, TimeoutError) as exc:
            log.info("opml.download_failed", platform=ctx.platform, error=repr(exc)[:300])
            raise InputError(
                f"upload unreadable: {exc!r}"[:300],
                french="Impossible de lire le fichier envoyé : renvoyez-le dans un instant.",
            ) from None
        if len(data) > MAX_OPML_BYTES:
            raise too_large(len(data))
        feeds = read_opml(data)
        report = await import_feeds(self.storage, self.subscriptions, chat, feeds)
        return report_reply(report)
