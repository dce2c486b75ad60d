"""Talk to an OpenAI-compatible chat-completions endpoint (Ollama, llama.cpp, vLLM, hosted APIs).

One POST per summary, with `response_format` set to a JSON schema so that servers that
constrain decoding (Ollama ≥ 0.5, llama.cpp's server, vLLM, OpenAI) can only produce
`{"summary": "…"}`. Every call has a total deadline, the reply is read as a stream and cut at
`max_reply_bytes`, and anything but a well-formed answer raises an `LLMError`:

LLMError (bot.errors.VeilleError)
├── LLMTimeoutError      the total deadline passed (slow server, dripping reply)
├── LLMUnavailableError  connection refused, reset, DNS: the server is down
├── LLMStatusError       an HTTP error status (keeps `status`)
└── LLMReplyError        the reply is too large, not JSON, or not the schema

The URL comes from the operator's settings only (`VEILLE_LLM_URL`), never from a chat or a
feed, so the feeds' SSRF guard does not apply to it: a local Ollama on 127.0.0.1 is the
normal case.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.errors import VeilleError

DEFAULT_MAX_REPLY_BYTES = 64 * 1024


class LLMError(VeilleError):
    """The model gave no usable answer; the extractive summary is used instead."""

    default_french = "Le modèle de langue n'a pas répondu correctement."


class LLMTimeoutError(LLMError):
    """The call took longer than its deadline."""


class LLMUnavailableError(LLMError):
    """The endpoint could not be reached at all."""


class LLMStatusError(LLMError):
    """The endpoint answered with an HTTP error status."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class LLMReplyError(LLMError):
    """The reply was too large, not JSON, or not shaped as the schema asks."""


def completions_url(url: str) -> str:
    """Accept a server root, a `/v1` base or the full endpoint; return the endpoint.

    "http://127.0.0.1:11434" and "http://127.0.0.1:11434/v1" both become
    "http://127.0.0.1:11434/v1/chat/completions", so the operator may paste either form.
    """
    url = url.strip().rstrip("/")
    path = urlsplit(url).path
    if path.endswith("/chat/completions"):
        return url
    if path.endswith("/v1"):
        return url + "/chat/completions"
    return url + "/v1/chat/completions"


class ChatClient:
    """One endpoint, one model: `complete(messages, schema)` returns the parsed JSON object."""

    def __init__(
        self,
        url: str,
        *,
        model: str,
        api_key: str | None = None,
        timeout: float = 20.0,
        max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES,
        max_tokens: int = 400,
    ) -> None:
        self.url = completions_url(url)
        self.model = model
        self.timeout = timeout
        self.max_reply_bytes = max_reply_bytes
        self.max_tokens = max_tokens
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        # trust_env=False: a proxy from the environment must not see the article or the key.
        self._http = httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(timeout), trust_env=False)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def complete(
        self, messages: list[dict[str, str]], *, schema: Mapping[str, Any], name: str, timeout: float | None = None
    ) -> dict[str, Any]:
        """Send one chat completion constrained by `schema`; return the JSON object it holds.

        `timeout` shortens the deadline for this call (what is left of the caller's budget).
        """
        limit = min(self.timeout, timeout) if timeout is not None else self.timeout
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": self.max_tokens,
            "stream": False,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": name, "strict": True, "schema": dict(schema)},
            },
        }
        try:
            async with asyncio.timeout(limit):
                raw = await self._post(body)
        except TimeoutError:
            raise LLMTimeoutError(f"no answer within {limit:g} s") from None
        return parse_reply(raw)

    async def _post(self, body: dict[str, Any]) -> bytes:
        try:
            async with self._http.stream("POST", self.url, json=body) as response:
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_reply_bytes:
                        raise LLMReplyError(f"reply larger than {self.max_reply_bytes} bytes")
                    chunks.append(chunk)
                if response.status_code >= 400:
                    raise LLMStatusError(
                        f"HTTP {response.status_code} from the model server", status=response.status_code
                    )
                return b"".join(chunks)
        except httpx.TimeoutException:
            raise LLMTimeoutError(f"no answer within {self.timeout:g} s") from None
        except httpx.TransportError as exc:
            raise LLMUnavailableError(f"model server unreachable: {type(exc).__name__}") from None


def parse_reply(raw: bytes) -> dict[str, Any]:
    """Read an OpenAI-style reply and the JSON object in its first choice's message content."""
    try:
        data = json.loads(raw)
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise LLMReplyError("reply is not an OpenAI chat completion") from None
    if not isinstance(content, str):
        raise LLMReplyError("reply content is not text")
    try:
        answer = json.loads(_strip_fence(content))
    except ValueError:
        raise LLMReplyError("reply content is not JSON") from None
    if not isinstance(answer, dict):
        raise LLMReplyError("reply content is not a JSON object")
    return answer


def _strip_fence(content: str) -> str:
    """Drop a ```json fence some servers wrap around the object when they do not constrain it."""
    text = content.strip()
    if text.startswith("```"):
        text = text.strip("`")
        text = text[4:] if text.lower().startswith("json") else text
    return text.strip()
