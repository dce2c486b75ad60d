"""A fake Telegram Bot API on 127.0.0.1, enough for python-telegram-bot to run a real bot against.

    async with FakeBotAPI() as api:
        adapter = TelegramAdapter(TOKEN, api_url=api.api_url, poll_timeout=1)
        ...
        api.command("/start", chat_id=42)
        [message] = await api.wait_sent(1, chat_id=42)
        assert "Bonjour" in message.text

It speaks the Bot API's wire format: PTB posts form fields (non-string values JSON-encoded) to
`/bot<token>/<method>` and expects `{"ok": true, "result": …}` or `{"ok": false, "error_code":
…, "description": …, "parameters": …}`. `getUpdates` honours `offset` (earlier updates are
confirmed and forgotten) and holds a long poll until an update arrives or `timeout` passes.
Like the real API it refuses, with a 400, HTML it cannot parse ("can't parse entities": unknown
or unbalanced tags) and text longer than `max_length` once entities are parsed ("message is
too long"; tests lower the limit). Faults are injected per chat (`fail`, `block`; `html_only`
refuses only messages sent with a parse mode), `delay` makes the next answers to a chat slow
(a send still in flight), and `limits` makes it enforce Telegram's flood limits with 429
answers, as the fan-out benchmark needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import math
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from types import TracebackType
from typing import Any

from aiohttp import web

from adapters.telegram_pacing import Limits, is_group_chat
from tests.support.http import serve

# Shaped like a real token, so the log scrubber's pattern is exercised too.
TOKEN = "123456789:AAH-fakeTokenForVeilleTests_0123456"
BOT_ID = 123456789
BOT_USERNAME = "veille_test_bot"
OWNER = "creator"
ADMIN = "administrator"
MEMBER = "member"

JSON_FIELDS = {
    "reply_markup",
    "link_preview_options",
    "reply_parameters",
    "commands",
    "scope",
    "allowed_updates",
    "entities",
}
# Where Telegram marks a bot_command entity: an ASCII name (no "/désabonner"), then no word
# character, as its clients parse it.
BOT_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")
INT_FIELDS = {"chat_id", "user_id", "offset", "timeout", "limit", "message_id"}  # file_id stays a string
# The tags Telegram's HTML parse mode knows (https://core.telegram.org/bots/api#html-style).
HTML_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "code", "pre", "blockquote", "tg-emoji",
}  # fmt: skip
MAX_LENGTH = 4096


@dataclass
class SentMessage:
    """One message the bot sent, as the fake accepted it."""

    message_id: int
    chat_id: int | str
    text: str
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    link_preview: dict[str, Any] | None = None
    reply_to: int | None = None
    at: float = 0.0

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """Return (label, callback_data) of the inline keyboard, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


@dataclass
class SentDocument:
    """One file the bot uploaded with sendDocument (multipart), as the fake received it."""

    message_id: int
    chat_id: int | str
    filename: str
    data: bytes
    caption: str | None = None
    content_type: str = ""
    reply_to: int | None = None


@dataclass
class Failure:
    """An error to answer instead of sending, `times` times (None: forever)."""

    code: int
    description: str
    retry_after: int | None = None
    times: int | None = 1
    parameters: dict[str, Any] = field(default_factory=dict)
    html_only: bool = False  # refuse only messages sent with a parse mode


class _EntityParser(HTMLParser):
    """Read Telegram HTML as the Bot API does: known tags only, properly nested."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.text: list[str] = []
        self.problem: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HTML_TAGS:
            self.problem = self.problem or f'Unsupported start tag "{tag}"'
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problem = self.problem or f'Unexpected end tag "{tag}"'
        else:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible_text(text: str, parse_mode: str | None) -> str:
    """Return what the chat shows of a message; raise ValueError as the API's 400 would."""
    if parse_mode is None:
        return text
    parser = _EntityParser()
    parser.feed(text)
    parser.close()
    if parser.open and parser.problem is None:
        parser.problem = f"Can't find end tag corresponding to start tag \"{parser.open[-1]}\""
    if parser.problem is not None:
        raise ValueError(f"Bad Request: can't parse entities: {parser.problem}")
    return html.unescape("".join(parser.text))


class FloodRules:
    """Telegram's flood limits as sliding windows over accepted messages (arrival times)."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self.overall: deque[float] = deque()
        self.by_chat: dict[str, deque[float]] = defaultdict(deque)
        self.by_group: dict[str, deque[float]] = defaultdict(deque)

    def check(self, chat_id: str) -> float:
        """Return 0 and record the message if allowed, else the seconds until it would be."""
        now = self.clock()
        rules = [
            (self.overall, self.limits.per_second, 1.0),
            (self.by_chat[chat_id], 1, self.limits.chat_interval),
        ]
        if is_group_chat(chat_id):
            rules.append((self.by_group[chat_id], self.limits.group_limit, self.limits.group_period))
        wait = 0.0
        for history, limit, period in rules:
            while history and history[0] <= now - period:
                history.popleft()
            if len(history) >= limit:
                wait = max(wait, history[-limit] + period - now)
        if wait > 0:
            return wait
        for history, _, _ in rules:
            history.append(now)
        return 0.0


class FakeBotAPI:
    """The Bot API for one bot: records what the bot does, feeds it the updates a test writes."""

    def __init__(self, *, token: str = TOKEN, username: str = BOT_USERNAME, limits: Limits | None = None) -> None:
        self.token = token
        self.username = username
        self.flood = FloodRules(limits) if limits else None
        self.max_length = MAX_LENGTH  # UTF-16 units of visible text, as Telegram counts them
        self.delays: dict[str, list[float]] = defaultdict(list)  # chat → seconds of its next answers
        self.in_flight: dict[str, int] = defaultdict(int)  # chat → sendMessage calls being answered
        self.api_url = ""
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sent: list[SentMessage] = []
        self.commands: dict[str | None, list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] | None = None
        self.callback_answers: list[dict[str, Any]] = []
        self.members: dict[tuple[int, int], str] = {}
        self.rights: dict[tuple[int, int], dict[str, Any]] = {}
        self.chats: dict[int | str, dict[str, Any]] = {}
        self.failures: dict[str, list[Failure]] = defaultdict(list)
        self.rejected: list[tuple[str, int]] = []  # (chat_id, error_code) of refused sends
        self.updates: list[dict[str, Any]] = []
        self.documents: list[SentDocument] = []
        self.files: dict[str, bytes] = {}  # file_id → bytes a user sent (served by getFile)
        self.declared_sizes: dict[str, int] = {}  # file_id → size to declare instead of the real one
        self.confirmed = 0  # highest offset the bot has acknowledged
        self._next_update = 1
        self._next_message = 1000
        self._arrived = asyncio.Event()
        self._stack: contextlib.AsyncExitStack | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    async def __aenter__(self) -> FakeBotAPI:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._stack = contextlib.AsyncExitStack()
        self.api_url = await self._stack.enter_async_context(serve(app))
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._arrived.set()  # release long polls so the server can close at once
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.aclose()

    # -- what the test sets up -------------------------------------------------------------------

    def set_member(self, chat_id: int, user_id: int, status: str, **rights: Any) -> None:
        """Say what `getChatMember(chat_id, user_id)` answers ("creator", "administrator", …)."""
        self.members[(chat_id, user_id)] = status
        self.rights[(chat_id, user_id)] = rights

    def add_chat(self, chat_id: int, chat_type: str, title: str, *, username: str | None = None) -> None:
        """Make `getChat` know a chat, by id and by @username."""
        chat: dict[str, Any] = {
            "id": chat_id,
            "type": chat_type,
            "title": title,
            "accent_color_id": 0,
            "max_reaction_count": 11,
        }
        if username:
            chat["username"] = username
            self.chats["@" + username.lower()] = chat
        self.chats[chat_id] = chat

    def fail(
        self,
        chat_id: int | str,
        code: int = 429,
        *,
        retry_after: int = 1,
        times: int | None = 1,
        description: str | None = None,
        html_only: bool = False,
    ) -> None:
        """Answer the next `times` sends to `chat_id` with an error (429 carries retry_after).

        `html_only` refuses only sends with a parse mode, as Telegram refuses HTML it cannot
        parse while the same text sent plain goes through.
        """
        descriptions = {
            429: f"Too Many Requests: retry after {retry_after}",
            403: "Forbidden: bot was blocked by the user",
            400: "Bad Request: chat not found",
        }
        self.failures[str(chat_id)].append(
            Failure(
                code,
                description or descriptions.get(code, "Error"),
                retry_after if code == 429 else None,
                times,
                html_only=html_only,
            )
        )

    def delay(self, chat_id: int | str, seconds: float, *, times: int = 1) -> None:
        """Answer the next `times` sends to `chat_id` only after `seconds` (a slow round-trip)."""
        self.delays[str(chat_id)].extend([seconds] * times)

    def block(self, chat_id: int | str) -> None:
        """Make every send to `chat_id` fail with 403, as when a user blocks the bot."""
        self.fail(chat_id, 403, times=None)

    def migrate_on_send(self, old_chat_id: int, new_chat_id: int) -> None:
        """Answer sends to the old group id with "group chat was upgraded to a supergroup"."""
        self.failures[str(old_chat_id)].append(
            Failure(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                times=None,
                parameters={"migrate_to_chat_id": new_chat_id},
            )
        )

    # -- updates the test injects ----------------------------------------------------------------

    def push(self, **update: Any) -> int:
        """Queue a raw update (e.g. `message={…}`); return its update_id."""
        update_id = self._next_update
        self._next_update += 1
        self.updates.append({"update_id": update_id, **update})
        self._arrived.set()
        return update_id

    def command(
        self,
        text: str,
        *,
        chat_id: int,
        user_id: int | None = None,
        chat_type: str = "private",
        title: str = "Rédaction",
        sender_chat: dict[str, Any] | None = None,
    ) -> int:
        """Queue a message such as "/abonner https://…" typed by `user_id` in `chat_id`."""
        user_id = user_id if user_id is not None else chat_id
        head = BOT_COMMAND.match(text)
        message = self._message(chat_id, chat_type, title, user_id, text=text)
        if head:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": head.end()}]
        if sender_chat is not None:
            message["sender_chat"] = sender_chat
        return self.push(message=message)

    def document(
        self,
        data: bytes,
        *,
        chat_id: int,
        filename: str = "abonnements.opml",
        caption: str | None = None,
        user_id: int | None = None,
        chat_type: str = "private",
        title: str = "Rédaction",
        declared_size: int | None = None,
    ) -> dict[str, Any]:
        """Queue a document message (a file a user sends), `caption` under it; return the message.

        `declared_size` makes the update and getFile announce another size than the bytes'.
        """
        user_id = user_id if user_id is not None else chat_id
        file_id = f"doc-{len(self.files) + 1}"
        self.files[file_id] = data
        if declared_size is not None:
            self.declared_sizes[file_id] = declared_size
        message = self._message(chat_id, chat_type, title, user_id, text=None)
        message["document"] = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": filename,
            "mime_type": "text/x-opml",
            "file_size": declared_size if declared_size is not None else len(data),
        }
        if caption is not None:
            message["caption"] = caption
            head = BOT_COMMAND.match(caption)
            if head:
                message["caption_entities"] = [{"type": "bot_command", "offset": 0, "length": head.end()}]
        self.push(message=message)
        return message

    def reply_command(self, text: str, *, to: dict[str, Any], user_id: int | None = None) -> int:
        """Queue a command sent as a reply to an earlier message (`to`, e.g. from `document`)."""
        chat = to["chat"]
        user_id = user_id if user_id is not None else int(chat["id"])
        message = self._message(chat["id"], chat["type"], chat.get("title", "Rédaction"), user_id, text=text)
        head = BOT_COMMAND.match(text)
        if head:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": head.end()}]
        message["reply_to_message"] = to
        return self.push(message=message)

    def callback(
        self,
        data: str,
        *,
        chat_id: int,
        user_id: int | None = None,
        chat_type: str = "private",
        title: str = "Rédaction",
    ) -> int:
        """Queue a press on an inline button carrying `data`, under a message of the bot."""
        user_id = user_id if user_id is not None else chat_id
        message = self._message(chat_id, chat_type, title, BOT_ID, text="Abonnements", from_bot=True)
        query = {
            "id": f"cb{self._next_update}",
            "from": _user(user_id),
            "chat_instance": f"ci{chat_id}",
            "data": data,
            "message": message,
        }
        return self.push(callback_query=query)

    def migrate(self, old_chat_id: int, new_chat_id: int, *, title: str = "Rédaction") -> int:
        """Queue the service message Telegram sends when a group becomes a supergroup."""
        message = self._message(old_chat_id, "group", title, 1, text=None)
        message["migrate_to_chat_id"] = new_chat_id
        return self.push(message=message)

    def kicked(self, chat_id: int, *, chat_type: str = "private", title: str = "Rédaction") -> int:
        """Queue the my_chat_member update of the bot being blocked or removed from a chat."""
        chat = _chat(chat_id, chat_type, title)
        bot = {"id": BOT_ID, "is_bot": True, "first_name": "Veille", "username": self.username}
        change = {
            "chat": chat,
            "from": _user(chat_id if chat_type == "private" else 1),
            "date": int(time.time()),
            "old_chat_member": {"status": MEMBER, "user": bot},
            "new_chat_member": {"status": "kicked", "user": bot, "until_date": 0},
        }
        return self.push(my_chat_member=change)

    # -- what the test checks --------------------------------------------------------------------

    def sent_to(self, chat_id: int | str) -> list[SentMessage]:
        """Return the messages accepted for one chat, in order."""
        return [m for m in self.sent if str(m.chat_id) == str(chat_id)]

    def method_calls(self, method: str) -> list[dict[str, Any]]:
        """Return the parameters of every call to `method`."""
        return [params for name, params in self.calls if name == method]

    async def wait_sent(
        self, count: int, *, chat_id: int | str | None = None, timeout: float = 10.0
    ) -> list[SentMessage]:
        """Wait until at least `count` messages were accepted (for `chat_id`); return them."""

        def found() -> list[SentMessage]:
            return self.sent if chat_id is None else self.sent_to(chat_id)

        await self.wait_for(lambda: len(found()) >= count, timeout=timeout, what=f"{count} message(s)")
        return found()

    async def wait_confirmed(self, update_id: int, *, timeout: float = 10.0) -> None:
        """Wait until the bot acknowledged `update_id` (asked for a later offset)."""
        await self.wait_for(lambda: self.confirmed > update_id, timeout=timeout, what=f"update {update_id}")

    @staticmethod
    async def wait_for(predicate: Callable[[], bool], *, timeout: float = 10.0, what: str = "condition") -> None:
        """Poll `predicate` every 20 ms until it holds or `timeout` passes (then fail)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)

    # -- the API ---------------------------------------------------------------------------------

    async def _download(self, request: web.Request) -> web.StreamResponse:
        """Serve a file by the path getFile gave, as api.telegram.org/file/bot<token>/… does."""
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if file_id not in self.files:
            return _error(404, "Not Found")
        return web.Response(body=self.files[file_id], content_type="application/octet-stream")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        form = await request.post() if request.can_read_body else {}
        params = _decode(form)
        uploads = {name: value for name, value in form.items() if isinstance(value, web.FileField)}
        if uploads:
            params["_files"] = {name: (f.filename, f.file.read(), f.content_type) for name, f in uploads.items()}
        self.calls.append((method, params))
        handler = getattr(self, f"_api_{method.lower()}", None)
        if handler is None:
            return _error(404, f"Not Found: method {method} is not faked")
        result = await handler(params)
        return result if isinstance(result, web.StreamResponse) else web.json_response({"ok": True, "result": result})

    async def _api_getme(self, params: dict[str, Any]) -> Any:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Veille",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _api_getupdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        if offset:
            self.confirmed = max(self.confirmed, offset)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        while not self.updates and time.monotonic() < deadline:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), deadline - time.monotonic())
        return self.updates[:limit]

    async def _api_deletewebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        return True

    async def _api_setwebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = params
        return True

    async def _api_setmycommands(self, params: dict[str, Any]) -> Any:
        self.commands[params.get("language_code")] = params["commands"]
        return True

    async def _api_answercallbackquery(self, params: dict[str, Any]) -> Any:
        self.callback_answers.append(params)
        return True

    async def _api_getchat(self, params: dict[str, Any]) -> Any:
        ref = params["chat_id"]
        chat = self.chats.get(ref.lower() if isinstance(ref, str) else ref)
        return chat if chat is not None else _error(400, "Bad Request: chat not found")

    async def _api_getchatmember(self, params: dict[str, Any]) -> Any:
        chat_id, user_id = params["chat_id"], int(params["user_id"])
        status = self.members.get((chat_id, user_id), MEMBER)
        user = _user(user_id) if user_id != BOT_ID else {"id": BOT_ID, "is_bot": True, "first_name": "Veille"}
        member: dict[str, Any] = {"status": status, "user": user}
        if status == OWNER:
            member["is_anonymous"] = False
        elif status == ADMIN:
            member.update({name: True for name in ADMIN_RIGHTS})
            member.update(self.rights.get((chat_id, user_id), {}))
        return member

    async def _api_sendmessage(self, params: dict[str, Any]) -> Any:
        chat_id = str(params["chat_id"])
        delays = self.delays.get(chat_id)
        if delays:
            self.in_flight[chat_id] += 1
            try:
                await asyncio.sleep(delays.pop(0))
            finally:
                self.in_flight[chat_id] -= 1
        return self._send_message(chat_id, params)

    def _send_message(self, chat_id: str, params: dict[str, Any]) -> Any:
        parse_mode = params.get("parse_mode")
        for failure in list(self.failures.get(chat_id, [])):
            if failure.html_only and not parse_mode:
                continue
            if failure.times is not None:
                failure.times -= 1
                if failure.times <= 0:
                    self.failures[chat_id].remove(failure)
            self.rejected.append((chat_id, failure.code))
            parameters = dict(failure.parameters)
            if failure.retry_after is not None:
                parameters["retry_after"] = failure.retry_after
            return _error(failure.code, failure.description, parameters)
        try:
            shown = visible_text(params.get("text", ""), parse_mode)
        except ValueError as exc:
            self.rejected.append((chat_id, 400))
            return _error(400, str(exc))
        if not shown.strip():
            self.rejected.append((chat_id, 400))
            return _error(400, "Bad Request: message text is empty")
        if len(shown.encode("utf-16-le")) // 2 > self.max_length:
            self.rejected.append((chat_id, 400))
            return _error(400, "Bad Request: message is too long")
        if self.flood is not None:
            wait = self.flood.check(chat_id)
            if wait > 0:
                self.rejected.append((chat_id, 429))
                seconds = max(1, math.ceil(wait))
                return _error(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})
        message_id = self._next_message
        self._next_message += 1
        reply = params.get("reply_parameters") or {}
        self.sent.append(
            SentMessage(
                message_id=message_id,
                chat_id=params["chat_id"],
                text=params["text"],
                parse_mode=params.get("parse_mode"),
                reply_markup=params.get("reply_markup"),
                link_preview=params.get("link_preview_options"),
                reply_to=reply.get("message_id"),
                at=time.monotonic(),
            )
        )
        chat_type = "supergroup" if is_group_chat(chat_id) else "private"
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": _chat(params["chat_id"], chat_type, "Rédaction"),
            "text": params["text"],
        }

    async def _api_editmessagetext(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_getfile(self, params: dict[str, Any]) -> Any:
        file_id = str(params.get("file_id"))
        if file_id not in self.files:
            return _error(400, "Bad Request: invalid file_id")
        size = self.declared_sizes.get(file_id, len(self.files[file_id]))
        path = f"documents/{file_id}"
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": size, "file_path": path}

    async def _api_senddocument(self, params: dict[str, Any]) -> Any:
        """Accept a multipart upload (the file in the `document` part), as the Bot API does."""
        chat_id = str(params["chat_id"])
        for failure in list(self.failures.get(chat_id, [])):
            if failure.times is not None:
                failure.times -= 1
                if failure.times <= 0:
                    self.failures[chat_id].remove(failure)
            self.rejected.append((chat_id, failure.code))
            parameters = dict(failure.parameters)
            if failure.retry_after is not None:
                parameters["retry_after"] = failure.retry_after
            return _error(failure.code, failure.description, parameters)
        upload = params.get("_files", {}).get("document")
        if upload is None:
            return _error(400, "Bad Request: there is no document in the request")
        filename, data, content_type = upload
        message_id = self._next_message
        self._next_message += 1
        reply = params.get("reply_parameters") or {}
        self.documents.append(
            SentDocument(
                message_id, params["chat_id"], filename, data, params.get("caption"), content_type,
                reply.get("message_id"),
            )
        )
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": _chat(params["chat_id"], "supergroup" if is_group_chat(chat_id) else "private", "Rédaction"),
            "document": {"file_id": f"sent-{message_id}", "file_unique_id": f"s{message_id}", "file_name": filename},
            **({"caption": params["caption"]} if params.get("caption") else {}),
        }

    async def wait_documents(self, count: int, *, timeout: float = 10.0) -> list[SentDocument]:
        """Wait until the bot uploaded at least `count` documents; return them all."""
        await self.wait_for(lambda: len(self.documents) >= count, timeout=timeout, what=f"{count} document(s)")
        return self.documents

    # -- helpers ---------------------------------------------------------------------------------

    def _message(
        self,
        chat_id: int,
        chat_type: str,
        title: str,
        user_id: int,
        *,
        text: str | None,
        from_bot: bool = False,
    ) -> dict[str, Any]:
        self._next_message += 1
        sender = (
            {"id": BOT_ID, "is_bot": True, "first_name": "Veille", "username": self.username}
            if from_bot
            else _user(user_id)
        )
        message: dict[str, Any] = {
            "message_id": self._next_message,
            "date": int(time.time()),
            "chat": _chat(chat_id, chat_type, title),
            "from": sender,
        }
        if text is not None:
            message["text"] = text
        return message


ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_post_messages",
)


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"Camille{user_id}", "language_code": "fr"}


def _chat(chat_id: int | str, chat_type: str, title: str) -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": "Camille"}
    return {"id": chat_id, "type": chat_type, "title": title}


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    # The Bot API answers errors with their HTTP status; PTB reads both.
    return web.json_response(body, status=code)


def _decode(form: Any) -> dict[str, Any]:
    """Undo PTB's encoding: JSON for structured fields, ints for ids, strings otherwise."""
    params: dict[str, Any] = {}
    for name, value in form.items():
        if not isinstance(value, str):
            continue
        if name in JSON_FIELDS:
            params[name] = json.loads(value)
        elif name in INT_FIELDS and value.lstrip("-").isdigit():
            params[name] = int(value)
        else:
            params[name] = value
    return params
