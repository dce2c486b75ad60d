"""The whole decision: cache, breaker, daily budget, concurrency, deadline, then verification.

A fake OpenAI-compatible server on 127.0.0.1 answers; answers are kept in a real SQLite file.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import structlog

from bot.llm.client import ChatClient
from bot.llm.policy import CircuitBreaker, DailyBudget
from bot.llm.summarizer import ENGLISH_NOTE, SOURCE_KEY, LLMSummarizer
from bot.models import Entry
from bot.store.protocols import FAILED, REJECTED, USED, AnswerCache, CachedAnswer
from bot.store.sqlite import SqliteStore
from digests.model import Digest
from tests.bot.llm.conftest import ARTICLE, DIGEST, FAITHFUL
from tests.support.openai_fake import FakeLLM, down_url


def summarizer(
    url: str,
    *,
    cache: AnswerCache | None = None,
    timeout: float = 2.0,
    concurrency: int = 2,
    limit: int | None = None,
    breaker: CircuitBreaker | None = None,
) -> LLMSummarizer:
    client = ChatClient(url, model="test-model", timeout=timeout)
    return LLMSummarizer(
        client, cache=cache, timeout=timeout, concurrency=concurrency, budget=DailyBudget(limit), breaker=breaker
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[tuple[SqliteStore, list[int]]]:
    """A real SQLite store holding three entries (the cache's rows belong to entries)."""
    async with SqliteStore(tmp_path / "veille.db") as sqlite:
        feed, _ = await sqlite.feeds.add("https://exemple.test/flux.xml")
        entries = [Entry(f"e{i}", f"https://exemple.test/{i}", f"Titre {i}") for i in range(3)]
        await sqlite.entries.add(feed.id, entries)
        yield sqlite, [p.id for p in await sqlite.entries.pending()]


async def test_a_faithful_answer_replaces_the_extractive_summary(fake_llm: FakeLLM) -> None:
    llm = summarizer(fake_llm.url)
    try:
        digest = await llm.improve(ARTICLE, DIGEST)
    finally:
        await llm.close()
    assert digest.summary == FAITHFUL
    assert FAITHFUL in digest.text and len(digest.text) <= 700
    assert digest.extra[SOURCE_KEY] == "llm"
    assert digest.actors == DIGEST.actors and digest.legal == DIGEST.legal  # the engine keeps those
    assert llm.stats["used"] == 1


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("Le parquet de Nantes a mis en examen Marc Delorme, gérant de Brivelle.", "name not in article: Marc Delorme"),
        ("Le parquet de Nantes a mis en examen Paul Lemarchand ; 950 000 clients ont été touchés.", "950000"),
        ("Le parquet de Nantes a mis en examen Paul Lemarchand le 14 novembre.", "date not in article"),
        ("Odile Ferrand a été mise en examen pour escroquerie.", "role 'mise en examen' for Odile Ferrand"),
    ],
)
async def test_an_answer_with_an_invented_fact_is_rejected_logged_and_counted(
    fake_llm: FakeLLM, answer: str, reason: str
) -> None:
    fake_llm.answer(answer)
    llm = summarizer(fake_llm.url)
    with structlog.testing.capture_logs() as logs:
        digest = await llm.improve(ARTICLE, DIGEST)
    await llm.close()
    assert digest.summary == DIGEST.summary  # the extractive one, whole: never a mix
    assert digest.extra[SOURCE_KEY] == "extractive"
    assert llm.stats["rejected"] == 1 and llm.stats["used"] == 0
    rejected = [e for e in logs if e["event"] == "llm.rejected"]
    assert len(rejected) == 1 and any(reason in r for r in rejected[0]["reasons"]), rejected


def english(digest: Digest) -> Digest:
    return Digest(**{**{f: getattr(digest, f) for f in digest.__dataclass_fields__}, "language": "en"})


async def test_a_summary_of_an_english_article_says_it_is_translated(fake_llm: FakeLLM) -> None:
    llm = summarizer(fake_llm.url)
    digest = await llm.improve(ARTICLE, english(DIGEST))
    await llm.close()
    assert digest.summary == ENGLISH_NOTE + FAITHFUL
    assert "(article en anglais, résumé traduit)" in digest.text
    assert "Langue de l'article : anglais" in fake_llm.requests[0].user_prompt


@pytest.mark.parametrize("fault", ["malformed", "slow", "500", "down", "no summary"])
async def test_every_failure_falls_back_to_the_extractive_summary_within_the_timeout(
    fake_llm: FakeLLM, fault: str
) -> None:
    url = fake_llm.url
    if fault == "malformed":
        fake_llm.content('{"summary": "Le parquet de Nan')
    elif fault == "slow":
        fake_llm.stall(30)
    elif fault == "500":
        fake_llm.status(500)
    elif fault == "down":
        url = down_url()
    else:
        fake_llm.content('{"resume": "ailleurs"}')
    llm = summarizer(url, timeout=1.0)
    started = time.monotonic()
    with structlog.testing.capture_logs() as logs:
        digest = await llm.improve(ARTICLE, DIGEST)
    elapsed = time.monotonic() - started
    await llm.close()
    assert digest.summary == DIGEST.summary and digest.extra[SOURCE_KEY] == "extractive"
    assert elapsed < 1.5
    assert llm.stats["failed"] == 1
    assert [e["event"] for e in logs if e["event"].startswith("llm.")] == ["llm.failed"]


async def test_waiting_for_a_free_slot_counts_against_the_timeout(fake_llm: FakeLLM) -> None:
    fake_llm.stall(30)
    llm = summarizer(fake_llm.url, timeout=0.6, concurrency=1)
    started = time.monotonic()
    results = await asyncio.gather(*(llm.improve(ARTICLE, DIGEST) for _ in range(3)))
    elapsed = time.monotonic() - started
    await llm.close()
    assert all(r.summary == DIGEST.summary for r in results)
    assert elapsed < 1.2  # all three within one timeout, not three in a row
    assert fake_llm.calls == 1 and llm.stats["skipped_busy"] == 2


async def test_the_concurrency_cap_holds(fake_llm: FakeLLM) -> None:
    fake_llm.stall(0.3)
    llm = summarizer(fake_llm.url, timeout=5, concurrency=2)
    await asyncio.gather(*(llm.improve(ARTICLE, DIGEST) for _ in range(5)))
    await llm.close()
    assert fake_llm.calls == 5 and llm.stats["used"] == 5
    assert fake_llm.peak_in_flight == 2


async def test_the_breaker_opens_after_repeated_failures_and_stops_calling(fake_llm: FakeLLM) -> None:
    fake_llm.status(500)
    now = [0.0]
    breaker = CircuitBreaker(threshold=3, cooldown=60, clock=lambda: now[0])
    llm = summarizer(fake_llm.url, breaker=breaker)
    for _ in range(6):
        await llm.improve(ARTICLE, DIGEST)
    assert fake_llm.calls == 3 and breaker.state == "open"
    assert llm.stats["skipped_breaker_open"] == 3
    now[0] = 61.0  # cool-down over: one trial call goes out
    fake_llm.answer(FAITHFUL)
    first, second = await asyncio.gather(llm.improve(ARTICLE, DIGEST), llm.improve(ARTICLE, DIGEST))
    await llm.close()
    assert fake_llm.calls == 4  # only the trial went out; its success closed the breaker
    assert breaker.state == "closed"
    assert {first.extra[SOURCE_KEY], second.extra[SOURCE_KEY]} == {"llm", "extractive"}


async def test_a_failed_trial_call_opens_the_breaker_again(fake_llm: FakeLLM) -> None:
    fake_llm.status(503)
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, cooldown=60, clock=lambda: now[0])
    llm = summarizer(fake_llm.url, breaker=breaker)
    for _ in range(2):
        await llm.improve(ARTICLE, DIGEST)
    now[0] = 61.0
    await llm.improve(ARTICLE, DIGEST)
    await llm.improve(ARTICLE, DIGEST)
    await llm.close()
    assert fake_llm.calls == 3 and breaker.state == "open"


async def test_the_daily_limit_holds_and_resets_the_next_day(fake_llm: FakeLLM) -> None:
    day = [date(2026, 12, 2)]
    llm = summarizer(fake_llm.url)
    llm.budget = DailyBudget(2, today=lambda: day[0])
    for _ in range(4):
        await llm.improve(ARTICLE, DIGEST)
    assert fake_llm.calls == 2 and llm.stats["skipped_daily_limit"] == 2
    day[0] = date(2026, 12, 3)
    await llm.improve(ARTICLE, DIGEST)
    await llm.close()
    assert fake_llm.calls == 3


async def test_the_daily_limit_survives_a_restart(fake_llm: FakeLLM, store: tuple[SqliteStore, list[int]]) -> None:
    storage, ids = store
    first = summarizer(fake_llm.url, cache=storage.answers, limit=2)
    await first.improve(ARTICLE, DIGEST, entry_id=ids[0])
    await first.improve(ARTICLE, DIGEST, entry_id=ids[1])
    await first.close()
    again = summarizer(fake_llm.url, cache=storage.answers, limit=2)  # after a restart: fresh budget, same store
    digest = await again.improve(ARTICLE, DIGEST, entry_id=ids[2])
    await again.close()
    assert fake_llm.calls == 2
    assert digest.extra[SOURCE_KEY] == "extractive" and again.stats["skipped_daily_limit"] == 1


async def test_the_cache_prevents_a_second_call_after_the_store_is_reopened(
    fake_llm: FakeLLM, tmp_path: Path, store: tuple[SqliteStore, list[int]]
) -> None:
    storage, ids = store
    llm = summarizer(fake_llm.url, cache=storage.answers)
    await llm.improve(ARTICLE, DIGEST, entry_id=ids[0])
    fake_llm.answer("Le parquet de Nantes a mis en examen Marc Delorme.")  # would be rejected
    await llm.improve(ARTICLE, DIGEST, entry_id=ids[1])
    fake_llm.status(500)
    await llm.improve(ARTICLE, DIGEST, entry_id=ids[2])
    await llm.close()
    await storage.close()
    assert fake_llm.calls == 3
    fake_llm.answer(FAITHFUL)
    async with SqliteStore(tmp_path / "veille.db") as reopened:
        cache = reopened.answers
        assert [(await cache.get(i)).status for i in ids] == [USED, REJECTED, FAILED]  # type: ignore[union-attr]
        again = summarizer(fake_llm.url, cache=cache)
        results = [await again.improve(ARTICLE, DIGEST, entry_id=i) for i in ids]
        await again.close()
    assert fake_llm.calls == 3  # not one more: each entry is asked once, ever
    assert [r.extra[SOURCE_KEY] for r in results] == ["llm", "extractive", "extractive"]
    assert results[0].summary == FAITHFUL
    assert again.stats["cached"] == 3


async def test_the_cache_keeps_the_first_answer_of_an_entry(store: tuple[SqliteStore, list[int]]) -> None:
    storage, ids = store
    cache = storage.answers
    moment = datetime(2026, 12, 2, 9, tzinfo=UTC)
    await cache.put(ids[0], CachedAnswer(USED, "premier", "", "m", moment))
    await cache.put(ids[0], CachedAnswer(FAILED, "", "second", "m", moment))
    assert (await cache.get(ids[0])) == CachedAnswer(USED, "premier", "", "m", moment)
    assert await cache.calls_since(datetime(2026, 12, 2, tzinfo=UTC)) == 1
    assert await cache.calls_since(datetime(2026, 12, 3, tzinfo=UTC)) == 0
