"""Turn commands typed on Telegram into the core's commands, with the rights Telegram knows.

The adapter hands over a chat, a user and a command line; this module decides who is an
administrator (`getChatMember`, anonymous group admins), and runs "/abonner @canal URL" sent
in a private chat for the channel, once both the user and the bot are its administrators.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import replace

import structlog
from telegram import Bot, Chat, Document, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from adapters.base import CommandHandler
from adapters.telegram_render import usable_buttons
from bot.errors import FetchError, TooLargeError
from bot.models import Button, CommandContext, Reply, Upload

log = structlog.get_logger(__name__)

ADMIN_STATUSES = {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR}
GROUP_TYPES = {ChatType.GROUP, ChatType.SUPERGROUP}
CHANNEL_REF = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,31}$")
COMMAND_LINE = re.compile(r"^/(\S+)\s*(.*)$", re.DOTALL)
# A message that starts with "/name": Telegram marks a bot_command entity only on ASCII names,
# so "/désabonner 2" arrives as plain text and is recognised by this pattern instead. A word,
# then a space, "@bot" or the end: "/home/user" or "/ 2" are not commands.
TEXT_COMMAND = re.compile(r"^\s*/\w{1,64}(?:@\w{1,64})?(?:\s|$)")
ADMIN_CACHE_SECONDS = 60.0
DOWNLOAD_TIMEOUT = 30.0  # getFile and the download together
# Commands that make sense in a private chat only for that chat (never for a channel).
PRIVATE_ONLY = {"start", "aide"}


def parse_command(text: str, username: str | None) -> tuple[str, str, bool] | None:
    """Split "/cmd@bot args" into (name, args, addressed); None when meant for another bot."""
    match = COMMAND_LINE.match(text.strip())
    if match is None:
        return None
    head, args = match.groups()
    name, _, target = head.partition("@")
    if target and username and target.lower() != username.lower():
        return None
    return name.lower(), args.strip(), bool(target)


def document_upload(bot: Bot, document: Document) -> Upload:
    """Describe a document sent with a command; its bytes are fetched (getFile) only if read.

    The size Telegram declares is checked by the core before any download, and again on the
    bytes; the Bot API itself serves bots files of at most 20 MB.
    """

    async def read(limit: int) -> bytes:
        try:
            async with asyncio.timeout(DOWNLOAD_TIMEOUT):
                file = await bot.get_file(document.file_id)
                if file.file_size is not None and file.file_size > limit:
                    raise TooLargeError(f"telegram file of {file.file_size} bytes")
                data = await file.download_as_bytearray()
        except TelegramError as exc:
            raise FetchError(f"telegram file download failed: {exc.message}") from exc
        except TimeoutError as exc:
            raise FetchError("telegram file download timed out") from exc
        return bytes(data[: limit + 1])

    return Upload(name=document.file_name or "document", size=document.file_size, read=read)


def for_channel(reply: Reply, ref: str) -> Reply:
    """Label a reply about a channel and make its buttons act on that channel, not the DM."""
    buttons = []
    for button in reply.buttons:
        name, _, rest = button.data.partition(" ")
        buttons.append(Button(button.label, f"{name} {ref} {rest}".strip()))
    return replace(reply, text=f"Canal {ref} — {reply.text}", buttons=tuple(usable_buttons(buttons)))


class CommandRunner:
    """Run one platform's commands through the core's handler, computing rights on the way."""

    def __init__(self, bot: Bot, handler: CommandHandler, *, platform: str = "telegram") -> None:
        self.bot = bot
        self.handler = handler
        self.platform = platform
        self._admins: dict[tuple[int, int], float] = {}  # (chat, user) → admin until

    def known(self, name: str) -> bool:
        """Tell whether `name` (French or English) is one of the core's commands."""
        command = self.handler.canonical(name)
        return any(spec.name == command for spec in self.handler.specs)

    async def run(
        self,
        chat: Chat,
        user: User | None,
        name: str,
        args: str,
        *,
        sender_chat: Chat | None = None,
        upload: Upload | None = None,
    ) -> Reply | None:
        """Build the command's context (admin rights included) and run it through the core.

        `upload` (a document sent with the command) reaches only the commands that read files.
        """
        handler = self.handler
        command = handler.canonical(name)
        spec = next((s for s in handler.specs if s.name == command), None)
        upload = upload if spec is not None and spec.takes_file else None
        user_id = user.id if user is not None else (sender_chat.id if sender_chat is not None else chat.id)
        first_arg = args.split(maxsplit=1)[0] if args.strip() else ""
        if (
            chat.type == ChatType.PRIVATE
            and spec is not None
            and command not in PRIVATE_ONLY
            and CHANNEL_REF.match(first_arg)
        ):
            return await self._run_for_channel(user_id, command, args, upload=upload)
        is_group = chat.type in GROUP_TYPES
        is_admin: bool | None = None
        if is_group and spec is not None and spec.admin_only:
            if sender_chat is not None and sender_chat.id == chat.id:
                is_admin = True  # an anonymous administrator posting as the group
            else:
                try:
                    is_admin = await self.is_admin(chat.id, user_id)
                except TelegramError as exc:
                    log.warning("telegram.admin_check_failed", chat_id=chat.id, error=str(exc))
                    return Reply(
                        "Je n'arrive pas à vérifier vos droits d'administrateur pour l'instant : "
                        "réessayez dans un moment.",
                        ephemeral=True,
                    )
        ctx = CommandContext(
            platform=self.platform,
            chat_id=str(chat.id),
            user_id=str(user_id),
            command=command,
            args=args,
            chat_title=chat.effective_name or "",
            is_group=is_group,
            is_admin=is_admin,
            upload=upload,
        )
        return await handler(ctx)

    async def _run_for_channel(
        self, user_id: int, command: str, args: str, *, upload: Upload | None = None
    ) -> Reply | None:
        """Run "/abonner @canal URL" from a private chat for the channel, if both of us are its admins."""
        bot = self.bot
        ref, _, rest = args.strip().partition(" ")
        try:
            channel = await bot.get_chat(ref)
        except TelegramError:
            return Reply(
                f"Canal {ref} introuvable : vérifiez son nom et que Veille y est administrateur.",
                ephemeral=True,
            )
        if channel.type != ChatType.CHANNEL:
            return Reply(
                f"{ref} n'est pas un canal : dans un groupe, envoyez la commande dans le groupe lui-même.",
                ephemeral=True,
            )
        try:
            user_is_admin = await self.is_admin(channel.id, user_id)
        except TelegramError:
            user_is_admin = False
        if not user_is_admin:
            return Reply(f"Seuls les administrateurs du canal {ref} peuvent modifier ses abonnements.", ephemeral=True)
        try:
            me = await bot.get_chat_member(channel.id, bot.id)
            bot_can_post = me.status in ADMIN_STATUSES and getattr(me, "can_post_messages", True) is not False
        except TelegramError:
            bot_can_post = False
        if not bot_can_post:
            return Reply(
                f"Ajoutez d'abord @{self.bot.username} comme administrateur du canal {ref}, avec le droit "
                "de publier des messages, puis recommencez.",
                ephemeral=True,
            )
        ctx = CommandContext(
            platform=self.platform,
            chat_id=str(channel.id),
            user_id=str(user_id),
            command=command,
            args=rest.strip(),
            chat_title=channel.title or ref,
            is_group=True,
            is_admin=True,
            upload=upload,
        )
        reply = await self.handler(ctx)
        return for_channel(reply, ref) if reply is not None else None

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        """Ask Telegram whether the user administers the chat.

        A yes is cached for a minute (an admin pressing several buttons costs one call); a no
        is not, so someone just promoted is not refused for a minute.
        """
        key = (chat_id, user_id)
        now = time.monotonic()
        if self._admins.get(key, 0.0) > now:
            return True
        member = await self.bot.get_chat_member(chat_id, user_id)
        is_admin = member.status in ADMIN_STATUSES
        if is_admin:
            if len(self._admins) > 10_000:
                self._admins = {k: until for k, until in self._admins.items() if until > now}
            self._admins[key] = now + ADMIN_CACHE_SECONDS
        return is_admin
