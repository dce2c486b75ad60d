"""Ask the model for a summary, verify it, and use it only if every fact is the article's.

`LLMSummarizer.improve(article, digest)` returns the engine's digest with the model's summary
in place of the extractive one, or the digest unchanged: never a mix, never an exception,
and never later than `timeout` seconds after it was called (waiting for a free slot counts).

Before a call: the cache (one call per entry, ever), the circuit breaker, the daily budget and
the concurrency cap. After it: `digests.verify.verify_summary`. Every outcome is logged
(`llm.used`, `llm.rejected` with its reasons, `llm.failed`, `llm.skipped`) and counted in
`stats`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, time

import structlog

from bot.llm.client import ChatClient, LLMError, LLMReplyError
from bot.llm.policy import CircuitBreaker, DailyBudget
from bot.llm.prompt import SCHEMA, SCHEMA_NAME, build_messages
from bot.store.protocols import FAILED, REJECTED, USED, AnswerCache, CachedAnswer
from digests.model import Article, Digest
from digests.render import render_text
from digests.verify import verify_summary

log = structlog.get_logger(__name__)

# Shown before a model summary of an English article: the reader learns both facts.
ENGLISH_NOTE = "(article en anglais, résumé traduit) "
SOURCE_KEY = "summary_source"  # in Digest.extra: "llm" or "extractive"
MIN_CALL_SECONDS = 0.2  # less time than this left: the call would only fail, so none is made


class LLMSummarizer:
    """Improve digests with verified model summaries, within the budgets that keep it safe."""

    def __init__(
        self,
        client: ChatClient,
        *,
        cache: AnswerCache | None = None,
        timeout: float = 20.0,
        concurrency: int = 2,
        budget: DailyBudget | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.client = client
        self.cache = cache
        self.timeout = timeout
        self.concurrency = concurrency
        self.budget = budget or DailyBudget(None)
        self.breaker = breaker or CircuitBreaker()
        self.stats: Counter[str] = Counter()
        self._slots = asyncio.Semaphore(concurrency)
        self._seeded = False

    async def close(self) -> None:
        """Close the HTTP client."""
        await self.client.close()

    async def improve(self, article: Article, digest: Digest, *, entry_id: int | None = None) -> Digest:
        """Return `digest` with a verified model summary, or unchanged; never raises.

        `entry_id` keys the cache: the entry is asked at most once, whatever happens after.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        try:
            return await self._improve(article, digest, entry_id, deadline)
        except Exception as exc:  # noqa: BLE001  # the model is optional: the digest must go out
            self.stats["error"] += 1
            log.error("llm.error", entry_id=entry_id, error=repr(exc)[:300])
            return extractive(digest)

    async def _improve(self, article: Article, digest: Digest, entry_id: int | None, deadline: float) -> Digest:
        if entry_id is not None and self.cache is not None:
            cached = await self.cache.get(entry_id)
            if cached is not None:
                self.stats["cached"] += 1
                log.info("llm.cached", entry_id=entry_id, status=cached.status)
                if cached.status == USED and verify_summary(cached.summary, article, digest).ok:
                    return with_summary(digest, cached.summary)
                return extractive(digest)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout_at(deadline):
                await self._slots.acquire()
        except TimeoutError:
            return self._skip(digest, entry_id, "busy")
        try:
            await self._seed_budget()
            if not self.budget.available():
                return self._skip(digest, entry_id, "daily_limit")
            if not self.breaker.allow():
                return self._skip(digest, entry_id, "breaker_open")
            remaining = deadline - loop.time()
            if remaining < MIN_CALL_SECONDS:  # a slot freed at the deadline: no time left to ask
                return self._skip(digest, entry_id, "busy")
            self.budget.take()
            return await self._call(article, digest, entry_id, remaining=remaining)
        finally:
            self._slots.release()

    async def _call(self, article: Article, digest: Digest, entry_id: int | None, *, remaining: float) -> Digest:
        called_at = datetime.now(UTC)
        self.stats["calls"] += 1
        try:
            answer = await self.client.complete(
                build_messages(article, digest), schema=SCHEMA, name=SCHEMA_NAME, timeout=remaining
            )
            summary = answer.get("summary")
            if not isinstance(summary, str):
                raise LLMReplyError("reply has no summary string")
        except asyncio.CancelledError:
            self.breaker.abandoned()
            raise
        except LLMError as exc:
            self.stats["failed"] += 1
            opened = self.breaker.failed()
            log.warning("llm.failed", entry_id=entry_id, error=str(exc), kind=type(exc).__name__, breaker_opened=opened)
            await self._remember(entry_id, CachedAnswer(FAILED, "", str(exc), self.client.model, called_at))
            return extractive(digest)
        self.breaker.succeeded()
        summary = " ".join(summary.split())
        verdict = verify_summary(summary, article, digest)
        if not verdict.ok:
            self.stats["rejected"] += 1
            log.warning("llm.rejected", entry_id=entry_id, reasons=list(verdict.reasons), summary=summary[:400])
            detail = "; ".join(verdict.reasons)
            await self._remember(entry_id, CachedAnswer(REJECTED, summary, detail, self.client.model, called_at))
            return extractive(digest)
        self.stats["used"] += 1
        log.info("llm.used", entry_id=entry_id, chars=len(summary))
        await self._remember(entry_id, CachedAnswer(USED, summary, "", self.client.model, called_at))
        return with_summary(digest, summary)

    def _skip(self, digest: Digest, entry_id: int | None, reason: str) -> Digest:
        self.stats[f"skipped_{reason}"] += 1
        log.info("llm.skipped", entry_id=entry_id, reason=reason)
        return extractive(digest)

    async def _remember(self, entry_id: int | None, answer: CachedAnswer) -> None:
        if entry_id is not None and self.cache is not None:
            await self.cache.put(entry_id, answer)

    async def _seed_budget(self) -> None:
        """Count today's calls already stored, once, so that a restart keeps the daily limit."""
        if self._seeded or self.cache is None or self.budget.limit is None:
            return
        self._seeded = True
        today = self.budget.today()
        used = await self.cache.calls_since(datetime.combine(today, time(0), tzinfo=UTC))
        self.budget.seed(today, used)


def with_summary(digest: Digest, summary: str) -> Digest:
    """Return the digest with the model's summary (noted for English articles), re-rendered."""
    text = (ENGLISH_NOTE + summary) if digest.language == "en" else summary
    improved = replace(digest, summary=text, extra={**digest.extra, SOURCE_KEY: "llm"})
    return replace(improved, text=render_text(improved))


def extractive(digest: Digest) -> Digest:
    """Return the engine's digest, marked as carrying its extractive summary."""
    return replace(digest, extra={**digest.extra, SOURCE_KEY: "extractive"})
