"""Optional model-written summaries, verified against the article before use.

`build_summarizer(settings, cache=…)` returns an `LLMSummarizer` when `VEILLE_LLM_URL` is set,
else None: without it Veille stays fully offline and nothing changes. The pieces:
`client` (HTTP to an OpenAI-compatible endpoint), `prompt` (what is asked), `policy` (daily
budget, circuit breaker), `summarizer` (the whole decision); the answers are kept by the
store (`bot.store.protocols.AnswerCache`, one per entry).
The verification itself is pure text logic in `digests.verify`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import structlog

from bot.config import Settings
from bot.llm.client import ChatClient
from bot.llm.policy import CircuitBreaker, DailyBudget
from bot.llm.summarizer import SOURCE_KEY, LLMSummarizer
from bot.store.protocols import AnswerCache

__all__ = ["SOURCE_KEY", "LLMSummarizer", "build_summarizer"]

log = structlog.get_logger(__name__)


def build_summarizer(settings: Settings, *, cache: AnswerCache | None = None) -> LLMSummarizer | None:
    """Build the summarizer from the operator's settings (the only source of its URL)."""
    if not settings.llm_url:
        return None
    log.info("llm.enabled", host=urlsplit(settings.llm_url).hostname, model=settings.llm_model)
    client = ChatClient(
        settings.llm_url, model=settings.llm_model, api_key=settings.llm_api_key, timeout=settings.llm_timeout
    )
    return LLMSummarizer(
        client,
        cache=cache,
        timeout=settings.llm_timeout,
        concurrency=settings.llm_concurrency,
        budget=DailyBudget(settings.llm_daily_limit),
        breaker=CircuitBreaker(),
    )
