"""A fake Discord (REST API and gateway) on 127.0.0.1 that the real discord.py client talks to.

    async with FakeDiscord() as fake:
        adapter = DiscordAdapter(TOKEN, api_url=fake.api_url, gateway_url=fake.gateway_url, ...)
        await adapter.start(handler)
        await fake.slash("abonner", {"url": "https://…"})
        callback = await fake.wait_for_callback()
        ...
        fake.fail_next_message(CHANNEL_ID, status=429, retry_after=0.2)

The gateway speaks just enough of the protocol for a bot: HELLO (op 10), heartbeat ACK
(op 11 for op 1), IDENTIFY (op 2) → READY then GUILD_CREATE for one guild with one text
channel, roles and members; frames are plain-text JSON (the client only inflates binary
frames). Tests inject events with `dispatch` (INTERACTION_CREATE, CHANNEL_DELETE …).

The REST side records what the bot sends: command syncs, channel messages, interaction
callbacks and follow-ups, DMs. JSON answers carry the exact content type `application/json`
(discord.py compares it verbatim; aiohttp's default adds a charset). A channel can be made to
answer its next messages with a 429 (with the `Via` header and JSON `retry_after` discord.py
needs to treat it as a rate limit, not a Cloudflare ban), a 403 or a 404. Like Discord, a
message past the content (2,000) or embed (6,000 in all, title 256, description 4,096) limits
is refused with a 400 "Invalid Form Body" (code 50035) naming the field; `refuse_embeds`
makes a channel refuse every embed that way (as Discord refuses an embed URL it finds
malformed) while plain content still goes through.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from aiohttp import WSMsgType, web

from tests.support.http import serve

TOKEN = "fake-discord-token.for-tests-only"
APP_ID = 900000000000000001
BOT_ID = APP_ID
GUILD_ID = 910000000000000001
CHANNEL_ID = 920000000000000001  # "#veille-juridique", where the tests subscribe
SYSTEM_CHANNEL_ID = 920000000000000002  # "#général", the guild's system channel
OWNER_ID = 930000000000000001  # owns the guild
ADMIN_ID = 930000000000000002  # has the "Modération" role (Manage Channels)
MEMBER_ID = 930000000000000003  # plain member

# Permission bits used below.
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
READ_HISTORY = 1 << 16
USE_APP_COMMANDS = 1 << 31
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
EVERYONE_PERMS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_HISTORY | USE_APP_COMMANDS
ALL_PERMS = (1 << 50) - 1


@dataclass(frozen=True)
class Call:
    """One REST request the fake received: method, path (after /api/v10), query and JSON body."""

    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class Fault:
    """What a channel answers to its next message instead of creating it."""

    status: int
    retry_after: float = 0.0
    embeds_only: bool = False  # refuse only messages that carry an embed


@dataclass
class _Session:
    """One gateway connection and its dispatch sequence number."""

    ws: web.WebSocketResponse
    seq: int = 0

    async def send(self, event: str, data: dict[str, Any]) -> None:
        self.seq += 1
        await self.ws.send_str(json.dumps({"op": 0, "s": self.seq, "t": event, "d": data}))


@dataclass
class FakeDiscord:
    """Serve a Discord REST API under /api/v10 and a gateway at /gateway on 127.0.0.1."""

    guild_name: str = "Cabinet Durand & Associés"
    calls: list[Call] = field(default_factory=list)
    messages: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    attempts: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    syncs: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    identifies: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""

    def __post_init__(self) -> None:
        self._ids = itertools.count(990000000000000001)
        self._faults: dict[int, deque[Fault]] = defaultdict(deque)
        self._embeds_refused: set[int] = set()
        self._sessions: list[_Session] = []
        self._changed = asyncio.Condition()
        self._stack: contextlib.AsyncExitStack | None = None
        self.dm_channels: dict[int, int] = {}  # DM channel id -> recipient user id
        self.uploads: dict[str, bytes] = {}  # attachment id -> bytes a user attached (the CDN's)
        self.downloads: list[str] = []  # attachment ids the bot downloaded

    # -- lifecycle -------------------------------------------------------------------------------

    async def __aenter__(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{id}/{filename}", self._attachment)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._stack = contextlib.AsyncExitStack()
        self.base_url = await self._stack.enter_async_context(serve(app))
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for session in list(self._sessions):
            with contextlib.suppress(Exception):
                await session.ws.close()
        if self._stack is not None:
            await self._stack.aclose()

    @property
    def api_url(self) -> str:
        """The REST base the adapter's DISCORD_API_URL points at."""
        return self.base_url + "/api/v10"

    @property
    def gateway_url(self) -> str:
        """The gateway the adapter's DISCORD_GATEWAY_URL points at."""
        return self.base_url.replace("http://", "ws://") + "/gateway"

    # -- payloads ----------------------------------------------------------------------------------

    def new_id(self) -> int:
        """Return a fresh snowflake."""
        return next(self._ids)

    @staticmethod
    def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
        """Return a user payload."""
        return {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": name,
            "avatar": None,
            "bot": bot,
        }

    def bot_user(self) -> dict[str, Any]:
        """Return the bot's own user payload."""
        return self.user(BOT_ID, "Veille", bot=True)

    def member(self, user_id: int, *, permissions: int | None = None) -> dict[str, Any]:
        """Return a guild member payload (with `permissions` when it is an interaction's member)."""
        names = {OWNER_ID: "maitre.durand", ADMIN_ID: "claire.moderation", MEMBER_ID: "paul.lecteur"}
        roles = [str(GUILD_ID + 1)] if user_id == ADMIN_ID else []
        payload: dict[str, Any] = {
            "user": self.bot_user() if user_id == BOT_ID else self.user(user_id, names.get(user_id, "x")),
            "roles": roles,
            "joined_at": "2025-01-06T09:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
        }
        if permissions is not None:
            payload["permissions"] = str(permissions)
        return payload

    def channel(self, channel_id: int = CHANNEL_ID) -> dict[str, Any]:
        """Return a guild text channel payload."""
        name = "veille-juridique" if channel_id == CHANNEL_ID else "général"
        return {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(GUILD_ID),
            "name": name,
            "position": 0 if channel_id == SYSTEM_CHANNEL_ID else 1,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }

    def guild(self) -> dict[str, Any]:
        """Return the GUILD_CREATE payload: one guild, two text channels, roles and members."""
        return {
            "id": str(GUILD_ID),
            "name": self.guild_name,
            "icon": None,
            "owner_id": str(OWNER_ID),
            "system_channel_id": str(SYSTEM_CHANNEL_ID),
            "member_count": 4,
            "large": False,
            "unavailable": False,
            "features": [],
            "preferred_locale": "fr",
            "roles": [
                {
                    "id": str(GUILD_ID),
                    "name": "@everyone",
                    "permissions": str(EVERYONE_PERMS),
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                },
                {
                    "id": str(GUILD_ID + 1),
                    "name": "Modération",
                    "permissions": str(MANAGE_CHANNELS),
                    "position": 1,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                },
            ],
            "channels": [self.channel(CHANNEL_ID), self.channel(SYSTEM_CHANNEL_ID)],
            "threads": [],
            "members": [
                self.member(BOT_ID),
                self.member(OWNER_ID),
                self.member(ADMIN_ID),
                self.member(MEMBER_ID),
            ],
            "voice_states": [],
            "presences": [],
            "emojis": [],
            "stickers": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def message(self, channel_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """Return the message payload Discord answers for a created message."""
        return {
            "id": str(self.new_id()),
            "channel_id": str(channel_id),
            "type": 0,
            "content": body.get("content") or "",
            "author": self.bot_user(),
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "flags": body.get("flags") or 0,
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
        }

    # -- test controls -----------------------------------------------------------------------------

    def fail_next_message(
        self, channel_id: int, *, status: int, retry_after: float = 0.0, times: int = 1
    ) -> None:
        """Answer the channel's next `times` message posts with `status` (429, 403, 404, 400, 503)."""
        for _ in range(times):
            self._faults[channel_id].append(Fault(status, retry_after))

    def refuse_embeds(self, channel_id: int) -> None:
        """Answer every message with an embed in the channel with 400 50035 (embed URL refused)."""
        self._embeds_refused.add(channel_id)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH (op 0) event to every connected gateway session."""
        for session in list(self._sessions):
            await session.send(event, data)

    async def interaction(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        user_id: int = ADMIN_ID,
        permissions: int | None = None,
        channel_id: int = CHANNEL_ID,
        in_guild: bool = True,
        message: dict[str, Any] | None = None,
        locale: str = "fr",
    ) -> str:
        """Inject an INTERACTION_CREATE; return its id (the key of its callback)."""
        interaction_id = self.new_id()
        if permissions is None:
            permissions = {OWNER_ID: ALL_PERMS, ADMIN_ID: EVERYONE_PERMS | MANAGE_CHANNELS}.get(
                user_id, EVERYONE_PERMS
            )
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(APP_ID),
            "type": kind,
            "data": data,
            "token": f"itoken-{interaction_id}",
            "version": 1,
            "locale": locale,
            "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": str(EVERYONE_PERMS),
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(GUILD_ID)},
        }
        if in_guild:
            payload["guild_id"] = str(GUILD_ID)
            payload["guild_locale"] = "fr"
            payload["channel_id"] = str(channel_id)
            payload["channel"] = self.channel(channel_id)
            payload["member"] = self.member(user_id, permissions=permissions)
            payload["context"] = 0
        else:
            dm_id = channel_id
            self.dm_channels[dm_id] = user_id
            payload["channel_id"] = str(dm_id)
            payload["channel"] = {"id": str(dm_id), "type": 1, "recipients": [self.user(user_id, "x")]}
            payload["user"] = self.user(user_id, "lecteur.prive")
            payload["context"] = 1
        if message is not None:
            payload["message"] = message
        await self.dispatch("INTERACTION_CREATE", payload)
        return str(interaction_id)

    async def slash(self, name: str, options: dict[str, str] | None = None, **kwargs: Any) -> str:
        """Run a slash command as a member would (string options only)."""
        data = {
            "id": str(self.new_id()),
            "name": name,
            "type": 1,
            "options": [{"name": k, "type": 3, "value": v} for k, v in (options or {}).items()],
        }
        return await self.interaction(2, data, **kwargs)

    async def slash_with_file(
        self, name: str, option: str, data: bytes, *, filename: str = "abonnements.opml",
        declared_size: int | None = None, **kwargs: Any,
    ) -> str:
        """Run a slash command whose `option` is an attachment (type 11) the user uploaded.

        Like Discord, the interaction names the attachment's id and resolves it to its
        filename, size and CDN URL (served by this fake); `declared_size` overrides the size.
        """
        attachment_id = str(self.new_id())
        self.uploads[attachment_id] = data
        url = f"{self.base_url}/attachments/{attachment_id}/{filename}"
        resolved = {
            "id": attachment_id,
            "filename": filename,
            "size": declared_size if declared_size is not None else len(data),
            "url": url,
            "proxy_url": url,
            "content_type": "text/x-opml",
        }
        payload = {
            "id": str(self.new_id()),
            "name": name,
            "type": 1,
            "options": [{"name": option, "type": 11, "value": attachment_id}],
            "resolved": {"attachments": {attachment_id: resolved}},
        }
        return await self.interaction(2, payload, **kwargs)

    async def _attachment(self, request: web.Request) -> web.Response:
        attachment_id = request.match_info["id"]
        if attachment_id not in self.uploads:
            return web.Response(status=404)
        self.downloads.append(attachment_id)
        return web.Response(body=self.uploads[attachment_id], content_type="application/octet-stream")

    async def autocomplete(self, name: str, option: str, typed: str, **kwargs: Any) -> str:
        """Type into a slash command's option, which asks the bot for choices."""
        data = {
            "id": str(self.new_id()),
            "name": name,
            "type": 1,
            "options": [{"name": option, "type": 3, "value": typed, "focused": True}],
        }
        return await self.interaction(4, data, **kwargs)

    async def click(self, message: dict[str, Any], custom_id: str, **kwargs: Any) -> str:
        """Click a button of a message the bot sent (its payload, components included)."""
        data = {"custom_id": custom_id, "component_type": 2}
        return await self.interaction(3, data, message=message, **kwargs)

    async def wait_until(self, predicate: Callable[[], Any], *, timeout: float = 10.0) -> Any:
        """Wait until `predicate()` is truthy after some request; return its value."""
        async with asyncio.timeout(timeout):
            async with self._changed:
                while not (result := predicate()):
                    await self._changed.wait()
        return result

    async def wait_for_callback(self, interaction_id: str, *, timeout: float = 10.0) -> dict[str, Any]:
        """Wait for the bot's answer to an interaction; return the callback body."""
        found: dict[str, Any] = await self.wait_until(
            lambda: next((c for c in self.callbacks if c["interaction_id"] == interaction_id), None),
            timeout=timeout,
        )
        return found

    async def wait_for_messages(
        self, channel_id: int, count: int = 1, *, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """Wait until `count` messages were posted in a channel; return them all."""
        await self.wait_until(lambda: len(self.messages[channel_id]) >= count, timeout=timeout)
        return self.messages[channel_id]

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- gateway -----------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        session = _Session(ws)
        self._sessions.append(session)
        try:
            await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11}))
                elif op == 2:
                    self.identifies.append(frame["d"])
                    await session.send("READY", self._ready())
                    await session.send("GUILD_CREATE", self.guild())
                    await self._notify()
                elif op == 6:
                    await session.send("RESUMED", {})
        finally:
            self._sessions.remove(session)
        return ws

    def _ready(self) -> dict[str, Any]:
        return {
            "v": 10,
            "user": self.bot_user(),
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
            "session_id": "fake-session-1",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(APP_ID), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }

    # -- REST --------------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body and request.content_type == "multipart/form-data":
            # A message with files, as discord.py sends it: the JSON in `payload_json`, each
            # file in a `files[n]` part. The files are kept under "_files" in the body.
            form = await request.post()
            payload = form.get("payload_json")
            body = json.loads(payload) if isinstance(payload, str) else {}
            body["_files"] = [
                {"filename": part.filename, "data": part.file.read(), "content_type": part.content_type}
                for name, part in form.items()
                if isinstance(part, web.FileField) and name.startswith("files[")
            ]
        elif request.can_read_body:
            raw = await request.read()
            if raw and request.content_type == "application/json":
                body = json.loads(raw)
        self.calls.append(Call(request.method, path, dict(request.query), body))
        try:
            # Interaction callbacks and follow-ups authenticate by the token in their URL.
            token_in_url = path.startswith(("/interactions/", "/webhooks/"))
            if not token_in_url and request.headers.get("Authorization") != f"Bot {TOKEN}":
                return _error(401, 0, "401: Unauthorized")
            return await self._route(request.method, path, body)
        finally:
            await self._notify()

    async def _route(self, method: str, path: str, body: Any) -> web.Response:
        if method == "GET" and path in ("/gateway", "/gateway/bot"):
            return _json(
                {
                    "url": self.gateway_url,
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            )
        if method == "GET" and path == "/users/@me":
            return _json(self.bot_user())
        if method == "GET" and path in ("/oauth2/applications/@me", "/applications/@me"):
            return _json(
                {
                    "id": str(APP_ID),
                    "name": "Veille",
                    "description": "",
                    "icon": None,
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "verify_key": "00" * 32,
                    "owner": self.user(OWNER_ID, "maitre.durand"),
                    "flags": 0,
                    "team": None,
                    "summary": "",
                    "rpc_origins": [],
                }
            )
        if match := re.fullmatch(r"/applications/(\d+)(?:/guilds/(\d+))?/commands", path):
            if method == "PUT":
                scope = f"guild:{match[2]}" if match[2] else "global"
                self.syncs.append((scope, body))
                answered = [
                    {
                        "id": str(self.new_id()),
                        "application_id": str(APP_ID),
                        "version": "1",
                        "type": 1,
                        **({"guild_id": match[2]} if match[2] else {}),
                        **command,
                    }
                    for command in body
                ]
                return _json(answered)
            return _json([])
        if match := re.fullmatch(r"/channels/(\d+)/messages", path):
            return self._post_message(int(match[1]), body) if method == "POST" else _json([])
        if match := re.fullmatch(r"/channels/(\d+)", path):
            channel_id = int(match[1])
            if channel_id in (CHANNEL_ID, SYSTEM_CHANNEL_ID):
                return _json(self.channel(channel_id))
            return _error(404, 10003, "Unknown Channel")
        if method == "POST" and path == "/users/@me/channels":
            recipient = int(body["recipient_id"])
            dm_id = self.new_id()
            self.dm_channels[dm_id] = recipient
            return _json(
                {
                    "id": str(dm_id),
                    "type": 1,
                    "recipients": [self.user(recipient, "x")],
                    "last_message_id": None,
                }
            )
        if match := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path):
            self.callbacks.append({"interaction_id": match[1], **body})
            data = body.get("data") or {}
            return _json(
                {
                    "interaction": {
                        "id": match[1],
                        "type": 2,
                        "response_message_loading": body.get("type") == 5,
                        "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
                    },
                }
            )
        if match := re.fullmatch(r"/webhooks/(\d+)/([^/]+)(/messages/@original)?", path):
            self.followups.append({"token": match[2], "method": method, **(body or {})})
            return _json(self.message(CHANNEL_ID, body or {}))
        return _error(404, 0, f"fake Discord has no route {method} {path}")

    def _post_message(self, channel_id: int, body: dict[str, Any]) -> web.Response:
        self.attempts[channel_id] += 1
        faults = self._faults.get(channel_id)
        if faults:
            fault = faults.popleft()
            if fault.status == 429:
                return web.Response(
                    status=429,
                    body=json.dumps(
                        {
                            "message": "You are being rate limited.",
                            "retry_after": fault.retry_after,
                            "global": False,
                        }
                    ).encode(),
                    headers={
                        "Content-Type": "application/json",
                        "Via": "1.1 google",
                        "Retry-After": str(fault.retry_after),
                        "X-RateLimit-Scope": "user",
                    },
                )
            if fault.status == 403:
                return _error(403, 50013, "Missing Permissions")
            if fault.status == 404:
                return _error(404, 10003, "Unknown Channel")
            if fault.status >= 500:
                return _error(fault.status, 0, "Service Unavailable")
            return _error(fault.status, 50035, "Invalid Form Body")
        problems = _form_errors(body, refuse_embeds=channel_id in self._embeds_refused)
        if problems:
            return _json({"message": "Invalid Form Body", "code": 50035, "errors": problems}, 400)
        message = self.message(channel_id, body)
        self.messages[channel_id].append({**body, "id": message["id"]})
        return _json(message)


def _json(data: Any, status: int = 200) -> web.Response:
    """Answer JSON with the exact content type discord.py expects (no charset suffix)."""
    return web.Response(
        status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )


def _form_errors(body: dict[str, Any], *, refuse_embeds: bool) -> dict[str, Any]:
    """Return Discord's nested `errors` object for a message body it would refuse, or {}."""
    errors: dict[str, Any] = {}

    def refuse(code: str, message: str) -> dict[str, Any]:
        return {"_errors": [{"code": code, "message": message}]}

    if len(body.get("content") or "") > 2000:
        errors["content"] = refuse("BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    for index, embed in enumerate(body.get("embeds") or []):
        found: dict[str, Any] = {}
        if refuse_embeds:
            found["url"] = refuse("URL_TYPE_INVALID_URL", "Not a well formed URL.")
        if len(embed.get("title") or "") > 256:
            found["title"] = refuse("BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length.")
        if len(embed.get("description") or "") > 4096:
            found["description"] = refuse("BASE_TYPE_MAX_LENGTH", "Must be 4096 or fewer in length.")
        total = sum(len(embed.get(key) or "") for key in ("title", "description"))
        total += len((embed.get("footer") or {}).get("text") or "")
        total += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in embed.get("fields") or [])
        if total > 6000:
            found["_errors"] = [
                {"code": "MAX_EMBED_SIZE_EXCEEDED", "message": "Embed size exceeds maximum size of 6000"}
            ]
        if found:
            errors.setdefault("embeds", {})[str(index)] = found
    return errors


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"message": message, "code": code}, status)
