"""The chat-completions client against a fake OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import time

import pytest

from bot.llm.client import (
    ChatClient,
    LLMReplyError,
    LLMStatusError,
    LLMTimeoutError,
    LLMUnavailableError,
    completions_url,
)
from bot.llm.prompt import SCHEMA, SCHEMA_NAME, build_messages
from tests.bot.llm.conftest import ARTICLE, DIGEST, FAITHFUL
from tests.support.openai_fake import FakeLLM, down_url


async def ask(url: str, *, timeout: float = 2.0, max_reply_bytes: int = 64 * 1024, api_key: str | None = None) -> dict:
    client = ChatClient(url, model="test-model", api_key=api_key, timeout=timeout, max_reply_bytes=max_reply_bytes)
    try:
        return await client.complete(build_messages(ARTICLE, DIGEST), schema=SCHEMA, name=SCHEMA_NAME)
    finally:
        await client.close()


async def test_a_well_formed_reply_gives_the_summary_object(fake_llm: FakeLLM) -> None:
    assert await ask(fake_llm.url, api_key="sk-test-123456") == {"summary": FAITHFUL}
    request = fake_llm.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.headers["Authorization"] == "Bearer sk-test-123456"
    assert request.body["model"] == "test-model"
    assert request.body["response_format"]["json_schema"]["schema"]["properties"]["summary"]["maxLength"] == 320
    assert "Paul Lemarchand : mis en cause" in request.user_prompt  # the engine's roles go with the article
    assert "Près de 800 000 clients" in request.user_prompt


@pytest.mark.parametrize(
    ("given", "endpoint"),
    [
        ("http://127.0.0.1:11434", "http://127.0.0.1:11434/v1/chat/completions"),
        ("http://127.0.0.1:11434/v1/", "http://127.0.0.1:11434/v1/chat/completions"),
        ("http://127.0.0.1:8080/v1/chat/completions", "http://127.0.0.1:8080/v1/chat/completions"),
    ],
)
def test_a_root_a_v1_base_or_the_endpoint_all_reach_the_endpoint(given: str, endpoint: str) -> None:
    assert completions_url(given) == endpoint


async def test_a_root_url_reaches_the_fake_like_the_v1_base(fake_llm: FakeLLM) -> None:
    assert await ask(fake_llm.base_url) == {"summary": FAITHFUL}


async def test_a_fenced_object_from_an_unconstrained_server_is_read(fake_llm: FakeLLM) -> None:
    fake_llm.content("```json\n" + json.dumps({"summary": FAITHFUL}) + "\n```")
    assert await ask(fake_llm.url) == {"summary": FAITHFUL}


@pytest.mark.parametrize("content", ['{"summary": "Le parquet', "Voici le résumé : le parquet…", '["a", "b"]'])
async def test_malformed_json_raises_a_reply_error(fake_llm: FakeLLM, content: str) -> None:
    fake_llm.content(content)
    with pytest.raises(LLMReplyError):
        await ask(fake_llm.url)


async def test_a_500_raises_a_status_error(fake_llm: FakeLLM) -> None:
    fake_llm.status(500)
    with pytest.raises(LLMStatusError) as caught:
        await ask(fake_llm.url)
    assert caught.value.status == 500


async def test_a_slow_server_is_cut_at_the_deadline(fake_llm: FakeLLM) -> None:
    fake_llm.stall(10)
    started = time.monotonic()
    with pytest.raises(LLMTimeoutError):
        await ask(fake_llm.url, timeout=0.5)
    assert time.monotonic() - started < 1.5


async def test_a_server_that_is_down_raises_unavailable_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(LLMUnavailableError):
        await ask(down_url(), timeout=5)
    assert time.monotonic() - started < 2


async def test_a_reply_over_the_size_cap_is_refused(fake_llm: FakeLLM) -> None:
    fake_llm.huge(200_000)
    with pytest.raises(LLMReplyError, match="larger than"):
        await ask(fake_llm.url, max_reply_bytes=64 * 1024)
