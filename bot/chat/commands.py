"""Platform-neutral chat commands: a `CommandContext` in, a French `Reply` out.

Adapters map their platform's updates to a context and render the reply; they never decide
what a command does. `COMMANDS` lists every command with its French and English names and
descriptions, for Telegram's `setMyCommands` and Discord's slash-command tree; features such as
search and daily digests add theirs with `Commands.register`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import structlog

from bot.arguments import clean_argument, looks_like_number, parse_number
from bot.chat.subscribe import SubscriptionService
from bot.errors import InputError, VeilleError
from bot.feeds.urls import normalize_url
from bot.french import fold, of_name
from bot.models import Button, ChatRecord, CommandContext, FeedRecord, Reply, ReplyItem
from bot.store.protocols import Store

log = structlog.get_logger(__name__)

MAX_ARGS_LENGTH = 600
INTERNAL_ERROR = Reply(
    "Une erreur interne est survenue : la commande n'a pas abouti. Réessayez dans un instant ; "
    "si cela continue, prévenez l'administrateur de Veille.",
    ephemeral=True,
)


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command: canonical French name, English alias, descriptions, and who may use it."""

    name: str
    alias: str
    description_fr: str
    description_en: str
    admin_only: bool = False
    argument_fr: str = ""  # shown in help, e.g. "URL"
    # The command's one text argument as a slash-command option (Discord): name, descriptions,
    # and whether it autocompletes over the chat's feeds. Empty name: the command takes none.
    option: str = ""
    option_description_fr: str = ""
    option_description_en: str = ""
    option_required: bool = False
    autocomplete_feeds: bool = False
    # The French name with its accents ("désabonner"), when it differs from `name`: typed
    # names are compared accents folded, and Discord shows it to French-speaking users.
    written_fr: str = ""


BASE_COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", "start", "Démarrer Veille", "Start Veille"),
    CommandSpec("aide", "help", "Afficher l'aide", "Show help"),
    CommandSpec(
        "abonner",
        "subscribe",
        "S'abonner à un flux (URL du flux ou du site)",
        "Subscribe to a feed (feed or site URL)",
        admin_only=True,
        argument_fr="URL",
        option="url",
        option_description_fr="Adresse du flux RSS/Atom ou du site",
        option_description_en="Feed or site address",
        option_required=True,
    ),
    CommandSpec(
        "desabonner",
        "unsubscribe",
        "Se désabonner d'un flux (numéro ou URL)",
        "Unsubscribe from a feed (number or URL)",
        admin_only=True,
        written_fr="désabonner",
        argument_fr="numéro ou URL",
        option="flux",
        option_description_fr="Le flux à retirer",
        option_description_en="The feed to remove",
        option_required=True,
        autocomplete_feeds=True,
    ),
    CommandSpec("abonnements", "list", "Lister les abonnements", "List subscriptions"),
    CommandSpec(
        "reprendre",
        "resume",
        "Relancer un flux mis en pause",
        "Resume a paused feed",
        admin_only=True,
        argument_fr="numéro ou URL",
        option="flux",
        option_description_fr="Le flux à relancer",
        option_description_en="The feed to resume",
        option_required=True,
        autocomplete_feeds=True,
    ),
)

Handler = Callable[[CommandContext, ChatRecord], Awaitable[Reply]]


class FloodGuard:
    """Per-user command budget: `limit` commands per `window` seconds, then one warning.

    Why here and not in adapters: the same flood reaches us from any platform, and the
    warning must be said once per burst, which needs state the core already holds.
    """

    def __init__(
        self, *, limit: int = 8, window: float = 20.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[tuple[str, str], list[float]] = {}
        self._warned: set[tuple[str, str]] = set()

    def check(self, platform: str, user_id: str) -> str:
        """Return "ok", "warn" (first refusal of a burst) or "drop"."""
        key = (platform, user_id)
        now = self.clock()
        hits = [t for t in self._hits.get(key, []) if now - t < self.window]
        if len(hits) >= self.limit:
            self._hits[key] = hits
            if key in self._warned:
                return "drop"
            self._warned.add(key)
            return "warn"
        hits.append(now)
        self._hits[key] = hits
        self._warned.discard(key)
        if len(self._hits) > 10_000:  # forget idle users so memory stays bounded
            self._hits = {k: v for k, v in self._hits.items() if v and now - v[-1] < self.window}
        return "ok"


class Commands:
    """The command handlers; call the instance with a context to get the reply."""

    def __init__(
        self, storage: Store, subscriptions: SubscriptionService, *, flood: FloodGuard | None = None
    ) -> None:
        self.storage = storage
        self.subscriptions = subscriptions
        self.flood = flood or FloodGuard()
        self.specs: list[CommandSpec] = list(BASE_COMMANDS)
        self.handlers: dict[str, Handler] = {
            "start": self.start,
            "aide": self.show_help,
            "abonner": self.subscribe,
            "desabonner": self.unsubscribe,
            "abonnements": self.list_feeds,
            "reprendre": self.resume,
        }

    def register(self, spec: CommandSpec, handler: Handler) -> None:
        """Add a command (used by features such as search, daily digests and follows)."""
        if self.spec_for(spec.name) is None:
            self.specs.append(spec)
        self.handlers[spec.name] = handler

    def canonical(self, name: str) -> str:
        """Map an alias (English, accented, any case, with or without /, @botname) to the French name."""
        name = name.lstrip("/").split("@", 1)[0]
        folded = fold(name)
        return next((spec.name for spec in self.specs if folded in (spec.name, spec.alias.lower())), name.lower())

    def spec_for(self, name: str) -> CommandSpec | None:
        """Return the spec of a command by canonical name, or None."""
        return next((spec for spec in self.specs if spec.name == name), None)

    async def __call__(self, ctx: CommandContext) -> Reply | None:
        """Route one command; errors become French replies, floods become silence.

        A handler's bug too gets an answer (`INTERNAL_ERROR`), and its traceback is logged:
        a user who gets no reply at all cannot tell a bug from a lost message.
        """
        verdict = self.flood.check(ctx.platform, ctx.user_id)
        if verdict == "drop":
            return None
        if verdict == "warn":
            return Reply("Trop de commandes d'affilée : ralentissez, je reprends dans quelques secondes.")
        ctx = replace(ctx, command=clean_argument(ctx.command), args=clean_argument(ctx.args))
        try:
            return await self._route(ctx)
        except Exception:
            log.exception("command.failed", command=ctx.command[:40], platform=ctx.platform)
            return INTERNAL_ERROR

    async def _route(self, ctx: CommandContext) -> Reply:
        """Check the command's name, length and rights, then run its handler."""
        name = self.canonical(ctx.command)
        handler = self.handlers.get(name)
        if handler is None:
            return Reply(f"Commande inconnue : /{ctx.command[:40]}. Tapez /aide pour la liste des commandes.")
        if len(ctx.args) > MAX_ARGS_LENGTH:
            return Reply("Argument trop long.", ephemeral=True)
        spec = self.spec_for(name)
        if spec and spec.admin_only and ctx.is_group and ctx.is_admin is False:
            return Reply(
                "Désolé, seuls les administrateurs de ce groupe peuvent modifier ses réglages.",
                ephemeral=True,
            )
        chat = await self.storage.chats.upsert(ctx.platform, ctx.chat_id, ctx.chat_title)
        try:
            return await handler(ctx, chat)
        except VeilleError as exc:
            log.info("command.refused", command=name, error=str(exc))
            return Reply(exc.french, ephemeral=True)

    # -- handlers ------------------------------------------------------------------------------

    async def start(self, ctx: CommandContext, chat: ChatRecord) -> Reply:
        """Welcome the user and reactivate a chat that had blocked the bot."""
        if not chat.active:
            await self.storage.chats.set_active(chat.id, True)
        return Reply(
            "Bonjour ! Je suis Veille : je surveille des flux d'actualité et publie ici un résumé "
            "en français de chaque nouvel article — ce qui s'est passé, les acteurs clés "
            "(parquet, police, régulateurs, entreprises…) et les enjeux juridiques.\n"
            "Pour commencer : /abonner https://exemple.fr/rss (l'adresse d'un flux ou d'un site).\n"
            "Toutes les commandes : /aide"
        )

    async def show_help(self, ctx: CommandContext, chat: ChatRecord) -> Reply:
        """List every command in French, with its English alias."""
        lines = ["Commandes de Veille :"]
        for spec in self.specs:
            if spec.name == "start":
                continue
            arg = f" {spec.argument_fr}" if spec.argument_fr else ""
            lines.append(f"/{spec.name}{arg} — {spec.description_fr} (/{spec.alias})")
        lines.append("Dans un groupe, seuls les administrateurs modifient les abonnements.")
        return Reply("\n".join(lines))

    async def subscribe(self, ctx: CommandContext, chat: ChatRecord) -> Reply:
        """Subscribe this chat to the feed at (or linked from) the given URL."""
        if not ctx.args.strip():
            return Reply("Indiquez l'adresse d'un flux : /abonner https://exemple.fr/rss", ephemeral=True)
        result = await self.subscriptions.subscribe(chat, ctx.args.split()[0])
        title = result.feed.title or result.feed.url
        follow_up = (
            " Le dernier article arrive dans un instant ; les suivants dès leur publication."
            if result.new_feed
            else " Les prochains articles arriveront dès leur publication."
        )
        return Reply(f"Abonnement ajouté : {title} ({result.feed.url}).{follow_up}", ephemeral=True)

    async def unsubscribe(self, ctx: CommandContext, chat: ChatRecord) -> Reply:
        """Remove a subscription given by its number in /abonnements or its URL."""
        feed = await self._pick_feed(chat, ctx.args, usage="/desabonner 2 (numéro donné par /abonnements)")
        await self.storage.chats.unsubscribe(chat.id, feed.id)
        return Reply(f"Désabonné {of_name(feed.title or feed.url)}.", ephemeral=True)

    async def list_feeds(self, ctx: CommandContext, chat: ChatRecord) -> Reply:
        """List the chat's feeds, numbered, with a button to unsubscribe from each."""
        feeds = await self.storage.chats.subscriptions(chat.id)
        if not feeds:
            return Reply("Aucun abonnement pour l'instant. Ajoutez-en un : /abonner https://exemple.fr/rss")
        items = []
        buttons = []
        for number, feed in enumerate(feeds, start=1):
            state = {"paused": " — en pause (/reprendre)", "gone": " — disparu"}.get(feed.status, "")
            items.append(ReplyItem(f"{number}. {feed.title or feed.url}", feed.url, state.strip(" —")))
            buttons.append(Button(f"Se désabonner du n° {number}", f"desabonner {number}"))
        return Reply(
            f"Abonnements de cette discussion ({len(feeds)}) :", items=tuple(items), buttons=tuple(buttons)
        )

    async def resume(self, ctx: CommandContext, chat: ChatRecord) -> Reply:
        """Resume a feed paused after repeated errors."""
        feed = await self._pick_feed(chat, ctx.args, usage="/reprendre 2 (numéro donné par /abonnements)")
        if feed.status == "active":
            return Reply(f"Le flux {feed.title or feed.url} est déjà actif.", ephemeral=True)
        await self.storage.feeds.set_status(feed.id, "active")
        return Reply(f"Le flux {feed.title or feed.url} est relancé.", ephemeral=True)

    async def chat_moved(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """Keep a chat's settings and subscriptions when its platform id changes (supergroups)."""
        await self.storage.chats.move(platform, old_chat_id, new_chat_id)
        log.info("chat.moved", platform=platform)

    async def chat_unreachable(self, platform: str, chat_id: str) -> None:
        """Stop sending to a chat the platform says is gone (deleted channel, bot removed)."""
        chat = await self.storage.chats.get(platform, chat_id)
        if chat is not None and await self.storage.chats.set_active(chat.id, False):
            log.warning("chat.inactive", chat_id=chat.id, platform=platform)

    async def feed_choices(self, platform: str, chat_id: str, typed: str = "") -> list[tuple[str, str]]:
        """Return (label, value) pairs of a chat's feeds matching what the user typed (autocomplete).

        The value is the feed's number in /abonnements, which every feed command accepts.
        """
        chat = await self.storage.chats.get(platform, chat_id)
        if chat is None:
            return []
        needle = typed.strip().lower()
        choices = []
        for number, feed in enumerate(await self.storage.chats.subscriptions(chat.id), start=1):
            label = f"{number}. {feed.title or feed.url}"
            if not needle or needle in label.lower() or needle in feed.url.lower():
                choices.append((label[:100], str(number)))
        return choices[:25]

    async def _pick_feed(self, chat: ChatRecord, args: str, *, usage: str) -> FeedRecord:
        """Find one of the chat's feeds by number or URL, or raise a French InputError."""
        arg = args.strip().split()[0] if args.strip() else ""
        if not arg:
            raise InputError("missing feed", french=f"Précisez lequel : {usage}")
        feeds = await self.storage.chats.subscriptions(chat.id)
        number = parse_number(arg)
        if number is not None and 1 <= number <= len(feeds):
            return feeds[number - 1]
        if number is not None or looks_like_number(arg):
            raise InputError("bad number", french=f"Pas d'abonnement n° {arg[:12]}. Voir /abonnements.")
        url = normalize_url(arg)
        for feed in feeds:
            if feed.url in (url, arg):
                return feed
        raise InputError(
            "not subscribed", french="Cette discussion n'est pas abonnée à ce flux. Voir /abonnements."
        )
