"""Fixtures for the model-summary tests: a fake OpenAI-compatible server, an invented article."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from digests.model import Actor, Article, Digest
from tests.support.openai_fake import FakeLLM

# Invented for these tests; the digest is what the engine would give (roles included).
TEXT = (
    "Le parquet de Nantes a mis en examen mardi Paul Lemarchand, gérant de la société Brivelle, "
    "pour escroquerie en bande organisée. Près de 800 000 clients ont été touchés et le préjudice "
    "atteint 1,5 million d'euros. Une cliente, Odile Ferrand, a porté plainte contre Paul Lemarchand."
)
ARTICLE = Article(
    title="Escroquerie chez Brivelle : le gérant mis en examen", text=TEXT, published=datetime(2026, 12, 2)
)
DIGEST = Digest(
    title=ARTICLE.title,
    url="https://exemple.test/brivelle",
    published=ARTICLE.published,
    source="Journal test",
    summary="Le parquet de Nantes a mis en examen mardi Paul Lemarchand, gérant de la société Brivelle.",
    actors=(
        Actor("parquet de Nantes", "organisation", "parquet/accusation"),
        Actor("Paul Lemarchand", "personne", "mis en cause"),
        Actor("Odile Ferrand", "personne", "plaignant"),
        Actor("Brivelle", "organisation", "entreprise/plateforme"),
    ),
)
FAITHFUL = (
    "Le parquet de Nantes a mis en examen Paul Lemarchand, gérant de Brivelle, pour une escroquerie "
    "ayant touché 800 000 clients."
)


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeLLM]:
    """A started fake chat-completions server answering the faithful summary."""
    async with FakeLLM() as server:
        server.answer(FAITHFUL)
        yield server
