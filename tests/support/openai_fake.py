"""A fake OpenAI-compatible chat-completions server on 127.0.0.1, with faults on demand.

    async with FakeLLM() as llm:
        llm.answer("Le parquet de Nantes a ouvert une enquête.")
        settings = make_settings(tmp_path, VEILLE_LLM_URL=llm.base_url + "/v1", VEILLE_LLM_MODEL="test")
        ...
        assert llm.calls == 1
        assert llm.requests[0].body["response_format"]["type"] == "json_schema"

Behaviours: `answer(summary)` (a well-formed reply holding `{"summary": …}`), `content(text)`
(any message content, e.g. broken JSON), `status(500)`, `stall(seconds)` (answers only after
a delay), `huge(n)` (a reply of n bytes). A request that is not a proper chat completion with a
JSON-schema `response_format` gets a 400, like a strict server, so the client's request shape
is tested too. `down_url()` returns an address where nothing listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.support.http import serve

PATH = "/v1/chat/completions"


@dataclass(frozen=True)
class LLMRequest:
    """One chat completion as the fake received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def user_prompt(self) -> str:
        """Return the text of the user message (the article and its facts)."""
        return next(m["content"] for m in self.body["messages"] if m["role"] == "user")


class FakeLLM:
    """Serve `/v1/chat/completions` on 127.0.0.1 and record every request."""

    def __init__(self) -> None:
        self.requests: list[LLMRequest] = []
        self.base_url = ""
        self._content: str = json.dumps({"summary": "Résumé par défaut du faux serveur."})
        self._status = 200
        self._delay = 0.0
        self._huge = 0
        self.in_flight = 0
        self.peak_in_flight = 0  # most chat completions answered at once
        self._stack: contextlib.AsyncExitStack | None = None

    # -- behaviours ------------------------------------------------------------------------

    def answer(self, summary: str) -> None:
        """Answer every call with a well-formed reply holding `{"summary": summary}`."""
        self.content(json.dumps({"summary": summary}, ensure_ascii=False))

    def content(self, text: str) -> None:
        """Answer every call with this message content (200), whatever it is."""
        self._content, self._status, self._huge = text, 200, 0

    def status(self, code: int) -> None:
        """Answer every call with this HTTP status and an OpenAI-style error body."""
        self._status = code

    def stall(self, seconds: float) -> None:
        """Wait this long before answering each call."""
        self._delay = seconds

    def huge(self, size: int) -> None:
        """Answer with a well-formed reply padded to `size` bytes."""
        self._huge = size

    # -- inspection ------------------------------------------------------------------------

    @property
    def calls(self) -> int:
        """Count the chat completions received (POSTs to the endpoint)."""
        return sum(1 for r in self.requests if r.path == PATH and r.method == "POST")

    @property
    def url(self) -> str:
        """Return the `/v1` base to put in VEILLE_LLM_URL."""
        return self.base_url + "/v1"

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> FakeLLM:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._stack = contextlib.AsyncExitStack()
        self.base_url = await self._stack.enter_async_context(serve(app))
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.aclose()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            body = {}
        self.requests.append(
            LLMRequest(request.method, request.path, dict(request.headers), body if isinstance(body, dict) else {})
        )
        if request.path != PATH or request.method != "POST":
            return web.json_response({"error": {"message": "not found"}}, status=404)
        problem = _shape_problem(body)
        if problem:
            return web.json_response({"error": {"message": problem, "type": "invalid_request_error"}}, status=400)
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self._delay:
                await asyncio.sleep(self._delay)
        finally:
            self.in_flight -= 1
        if self._status != 200:
            return web.json_response({"error": {"message": "fake failure"}}, status=self._status)
        reply: dict[str, Any] = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "model": body["model"],
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": self._content}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
        }
        if self._huge:
            reply["padding"] = "x" * self._huge
        return web.json_response(reply)


def _shape_problem(body: Any) -> str:
    """Say what a strict OpenAI-compatible server would refuse in this request, or ""."""
    if not isinstance(body, dict) or not isinstance(body.get("model"), str) or not body["model"]:
        return "model is required"
    messages = body.get("messages")
    if (
        not isinstance(messages, list)
        or not messages
        or not all(
            isinstance(m, dict)
            and m.get("role") in ("system", "user", "assistant")
            and isinstance(m.get("content"), str)
            for m in messages
        )
    ):
        return "messages must be a list of {role, content}"
    fmt = body.get("response_format")
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        return "response_format must be json_schema"
    schema = fmt.get("json_schema", {})
    if not isinstance(schema, dict) or not isinstance(schema.get("name"), str) or "schema" not in schema:
        return "json_schema needs a name and a schema"
    return ""


def down_url() -> str:
    """Return a `/v1` URL on 127.0.0.1 where nothing listens (a server that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
