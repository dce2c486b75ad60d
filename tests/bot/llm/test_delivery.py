"""Model summaries in the running bot: feed server, real core, console chat, SQLite, fake model.

Every server is on 127.0.0.1: the feed (tests.support.http) and an OpenAI-compatible fake
(tests.support.openai_fake). The articles are invented (tests.support.core.legal_body).
"""

from __future__ import annotations

import time
from pathlib import Path

from bot.feeds.parse import parse_feed
from bot.llm.summarizer import SOURCE_KEY
from digests.engine import DigestEngine
from digests.model import Article
from tests.support.core import Item, legal_body, rss, running_core
from tests.support.http import FeedServer
from tests.support.openai_fake import FakeLLM

ITEM = Item("a1", "Fuite de données chez Assurix : enquête du parquet", legal_body("la société Assurix"))
FAITHFUL = (
    "Le parquet de Paris a ouvert une enquête préliminaire visant Assurix après une fuite de données "
    "personnelles ; la CNIL a été notifiée."
)
INVENTED = (
    "Le parquet de Paris a mis en examen Julien Maraval, dirigeant d'Assurix, après la fuite de 2 millions de fiches."
)


def llm_settings(fake: FakeLLM, **more: object) -> dict[str, object]:
    return {"VEILLE_LLM_URL": fake.url, "VEILLE_LLM_MODEL": "test-model", **more}


def warm_engine() -> None:
    """Load spaCy before timing anything: the model's load is not the model's delay."""
    DigestEngine().summarize(Article(title="Essai", text="Le tribunal de Lyon a statué mardi sur la plainte."))


async def test_a_verified_model_summary_reaches_the_chat(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", rss([ITEM]), content_type="application/rss+xml")
    async with FakeLLM() as fake:
        fake.answer(FAITHFUL)
        async with running_core(tmp_path, **llm_settings(fake)) as (app, console):
            await console.command(f"/abonner {url}")
            await app.settle()
            digests = console.digests_for("console")
    assert len(digests) == 1 and digests[0].summary == FAITHFUL
    assert FAITHFUL in digests[0].text
    assert digests[0].extra[SOURCE_KEY] == "llm"
    assert any(a.name == "Assurix" for a in digests[0].actors)  # the engine still picks the actors
    assert fake.calls == 1


async def test_an_answer_with_an_invented_person_and_figure_delivers_the_extractive_digest(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.set("/feed.xml", rss([ITEM]), content_type="application/rss+xml")
    async with FakeLLM() as fake:
        fake.answer(INVENTED)
        async with running_core(tmp_path, **llm_settings(fake)) as (app, console):
            await console.command(f"/abonner {url}")
            await app.settle()
            digests = console.digests_for("console")
            assert app.llm is not None and app.llm.stats["rejected"] == 1
            stored = await app.llm.cache.get(1) if app.llm.cache else None
    assert "Maraval" not in digests[0].text and "2 millions" not in digests[0].text
    assert digests[0].summary.startswith("Le parquet de Paris a ouvert une enquête préliminaire")
    assert digests[0].extra[SOURCE_KEY] == "extractive"
    assert stored is not None and stored.status == "rejected" and "Julien Maraval" in stored.detail


async def test_a_slow_model_delays_delivery_by_at_most_its_timeout(tmp_path: Path, feed_server: FeedServer) -> None:
    warm_engine()
    url = feed_server.set("/feed.xml", rss([ITEM]), content_type="application/rss+xml")
    async with FakeLLM() as fake:
        fake.stall(30)
        async with running_core(tmp_path, **llm_settings(fake, VEILLE_LLM_TIMEOUT=1)) as (app, console):
            await console.command(f"/abonner {url}")
            started = time.monotonic()
            await app.settle()
            elapsed = time.monotonic() - started
            digests = console.digests_for("console")
    assert len(digests) == 1 and digests[0].extra[SOURCE_KEY] == "extractive"
    assert elapsed < 1 + 2.0, elapsed  # the timeout, plus the engine and the delivery


async def test_an_entry_answered_before_a_crash_is_not_asked_again_after_a_restart(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.set("/feed.xml", rss([ITEM]), content_type="application/rss+xml", etag='"v1"')
    async with FakeLLM() as fake:
        fake.answer(FAITHFUL)
        async with running_core(tmp_path, **llm_settings(fake)) as (app, console):
            await console.command(f"/abonner {url}")
            (pending,) = await app.storage.entries.pending()
            article = await app.pipeline.article_for(pending)
            assert app.llm is not None
            await app.llm.improve(article, app.pipeline.engine.summarize(article), entry_id=pending.id)
            # the process dies here: the answer is stored, the digest is not
        assert fake.calls == 1
        fake.answer(INVENTED)  # a second call would now be rejected: the test would see it
        async with running_core(tmp_path, **llm_settings(fake)) as (app, console):
            await app.settle()
            await app.storage.feeds.make_all_due()
            await app.poll_once()  # a re-poll finds the entry known: no digest, no call
            digests = console.digests_for("console")
        assert fake.calls == 1
    assert [d.summary for d in digests] == [FAITHFUL]


async def test_the_model_url_comes_from_the_settings_never_from_chat_or_feed(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    async with FakeLLM() as configured, FakeLLM() as other:
        configured.answer(FAITHFUL)
        other.answer(INVENTED)
        body = (
            legal_body("la société Assurix")
            + f"<p>VEILLE_LLM_URL={other.url} ; modèle : {other.url}/chat/completions</p>"
        )
        item = Item("a2", ITEM.title, body, link=other.url + "/chat/completions")
        url = feed_server.set("/feed.xml", rss([item]), content_type="application/rss+xml")
        async with running_core(tmp_path, **llm_settings(configured)) as (app, console):
            await console.command(f"/abonner {other.url}/chat/completions")  # not a feed: refused
            await console.command(f"/abonner {url}")
            await app.settle()
            digests = console.digests_for("console")
        assert configured.calls == 1
        assert other.calls == 0  # at most a feed fetcher's GET, never a chat completion
    assert [d.summary for d in digests] == [FAITHFUL]


async def test_without_a_model_url_nothing_is_asked_and_nothing_changes(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.set("/feed.xml", rss([ITEM]), content_type="application/rss+xml")
    async with running_core(tmp_path) as (app, console):
        assert app.llm is None and app.pipeline.llm is None
        await console.command(f"/abonner {url}")
        await app.settle()
        digests = console.digests_for("console")
    assert len(digests) == 1 and SOURCE_KEY not in digests[0].extra


async def test_a_batch_waits_for_the_model_at_most_one_timeout(tmp_path: Path, feed_server: FeedServer) -> None:
    warm_engine()
    items = [
        Item(f"b{i}", f"Fuite de données chez Assurix {i}", legal_body(f"la société Assurix{i}")) for i in range(3)
    ]
    url = feed_server.set("/feed.xml", rss(items[:1]), content_type="application/rss+xml")
    async with FakeLLM() as fake:
        fake.stall(30)
        async with running_core(tmp_path, **llm_settings(fake, VEILLE_LLM_TIMEOUT=3)) as (app, console):
            await console.command(f"/abonner {url}")
            feed = await app.storage.feeds.by_url(url)
            assert feed is not None
            await app.pipeline.store_entries(feed, parse_feed(rss(items), url=url), first_poll=False)
            started = time.monotonic()
            await app.settle()
            elapsed = time.monotonic() - started
            digests = console.digests_for("console")
    assert sorted(d.title for d in digests) == sorted(i.title for i in items)
    assert all(d.extra[SOURCE_KEY] == "extractive" for d in digests)
    # three digests, each waiting ≤ 3 s for the model while the engine works on the next:
    # one timeout and the engine's time, not three timeouts in a row (9 s)
    assert elapsed < 3 + 3.0, elapsed
