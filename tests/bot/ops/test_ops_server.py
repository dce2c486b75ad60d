"""/metrics and /healthz over real HTTP on 127.0.0.1, with a real core polling loopback feeds."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from io import StringIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.console import ConsoleAdapter
from bot.app import Veille
from bot.compose import build
from bot.config import load_settings
from bot.errors import ConfigError
from tests.support.core import Item, legal_body, make_settings, rss
from tests.support.http import FeedServer
from tests.support.newsroom import add_feed, make_digest, publish, subscribe


@asynccontextmanager
async def serving(tmp_path: Path, **overrides: object) -> AsyncIterator[tuple[Veille, ConsoleAdapter, str]]:
    console = ConsoleAdapter(stream=StringIO(), files_dir=tmp_path)
    settings = make_settings(tmp_path, VEILLE_METRICS_PORT=0, **overrides)
    async with build(settings, [console], tick_seconds=0.2) as app:
        assert app.ops is not None
        yield app, console, f"http://127.0.0.1:{app.ops.port}"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Parse a Prometheus exposition into {(sample name, sorted labels): value}."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=5) as client:
        return await client.get(url)


async def eventually(check: Callable[[], Any], *, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.05)


async def test_a_real_cycle_moves_the_poll_digest_delivery_and_feed_metrics(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    ok = feed_server.set(
        "/ok.xml", rss([Item("m-1", "Fuite chez Metrix", legal_body("la société Metrix"))]),
        content_type="application/rss+xml", etag='"v1"',
    )
    down = feed_server.set("/down.xml", "maintenance", status=503)
    busy = feed_server.set("/busy.xml", "slow down", status=429, headers={"Retry-After": "1"})
    async with serving(tmp_path) as (app, console, base):
        chat = await app.storage.chats.upsert("console", "console", "Console")
        for url in (ok, down, busy, "https://paused.example.test/rss"):
            feed, _ = await app.storage.feeds.add(url, url.rsplit("/", 1)[-1])
            await app.storage.chats.subscribe(chat.id, feed.id)
        await app.storage.feeds.set_status(feed.id, "paused")
        before = samples((await get(f"{base}/metrics")).text)
        await app.poll_once()
        await app.storage.feeds.make_all_due()
        await app.poll_once()
        response = await get(f"{base}/metrics")
        delivered = console.digests_for("console")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    after = samples(response.text)
    assert before[("veille_polls_total", (("outcome", "200"),))] == 0
    assert after[("veille_polls_total", (("outcome", "200"),))] == 1
    assert after[("veille_polls_total", (("outcome", "304"),))] == 1
    assert after[("veille_polls_total", (("outcome", "http_503"),))] == 2
    assert after[("veille_polls_total", (("outcome", "http_429"),))] == 2
    assert after[("veille_rate_limited_total", (("source", "feed"),))] == 2
    assert [d.title for d in delivered] == ["Fuite chez Metrix"]
    assert after[("veille_digests_total", ())] == 1
    assert after[("veille_digest_seconds_count", ())] == 1
    assert 0 < after[("veille_digest_seconds_sum", ())] < 120
    assert after[("veille_deliveries", (("platform", "console"), ("state", "sent")))] == 1
    assert after[("veille_deliveries", (("platform", "console"), ("state", "pending")))] == 0
    assert after[("veille_outbox_depth", ())] == 0
    assert after[("veille_feeds", (("status", "paused"),))] == 1
    assert after[("veille_feeds", (("status", "active"),))] == 3
    assert after[("veille_feeds_backing_off", ())] == 2
    assert after[("veille_poll_cycle_seconds", ())] > 0


async def test_the_outbox_depth_counts_what_waits_to_be_sent(tmp_path: Path) -> None:
    await _three_waiting_digests_are_on_the_metrics(tmp_path, str(tmp_path / "veille.db"))


async def test_the_outbox_depth_counts_what_waits_to_be_sent_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    await _three_waiting_digests_are_on_the_metrics(tmp_path, postgres_url)


async def _three_waiting_digests_are_on_the_metrics(tmp_path: Path, database: str) -> None:
    async with serving(tmp_path, VEILLE_DB=database) as (app, _, base):
        chat = await app.storage.chats.upsert("console", "console", "Console")
        feed = await add_feed(app, "greffe")
        await subscribe(app, chat, feed)
        for n in range(3):
            await publish(app, feed, make_digest(f"Article {n}"))
        waiting = samples((await get(f"{base}/metrics")).text)
    assert waiting[("veille_outbox_depth", ())] == 3
    assert waiting[("veille_deliveries", (("platform", "console"), ("state", "pending")))] == 3


async def test_healthz_is_200_while_the_scheduler_ticks_and_503_once_it_stalls(tmp_path: Path) -> None:
    async with serving(tmp_path) as (app, _, base):
        first = await get(f"{base}/healthz")
        app.start_background()
        healthy = await eventually(lambda: _status(base, 200))
        app.health.stall_after = 0.5
        async with app.cycle._cycle_lock:  # a cycle hung on something: the ticks queue up behind it
            stalled = await eventually(lambda: _status(base, 503))
        again = await eventually(lambda: _status(base, 200))
        app.scheduler.pause()
        paused = await get(f"{base}/healthz")
    assert first.status_code == 503 and first.json()["checks"]["scheduler"] == "not running"
    assert healthy.json() == {"status": "ok", "checks": {"scheduler": "ok", "storage": "ok"}}
    assert stalled.json()["status"] == "unhealthy"
    assert stalled.json()["checks"]["scheduler"].startswith("stalled: no tick for")
    assert again.status_code == 200
    assert paused.status_code == 503 and paused.json()["checks"]["scheduler"] == "not running"


async def test_healthz_is_503_when_storage_no_longer_answers(tmp_path: Path) -> None:
    async with serving(tmp_path) as (app, _, base):
        app.start_background()
        await eventually(lambda: _status(base, 200))
        await app.storage.close()
        response = await get(f"{base}/healthz")
        metrics = await get(f"{base}/metrics")
    assert response.status_code == 503
    assert response.json()["checks"] == {"scheduler": "ok", "storage": "error: RuntimeError"}
    assert metrics.status_code == 200 and "veille_polls_total" in metrics.text  # counters still served


async def _status(base: str, status: int) -> httpx.Response | None:
    response = await get(f"{base}/healthz")
    return response if response.status_code == status else None


async def test_the_server_is_off_by_default_and_binds_loopback_when_on(tmp_path: Path) -> None:
    async with build(make_settings(tmp_path), [ConsoleAdapter(stream=StringIO())]) as app:
        assert app.ops is None
    async with serving(tmp_path) as (app, _, _):
        assert app.ops is not None and app.ops.host == "127.0.0.1"
        runner = app.ops._runner
        assert runner is not None and [address[0] for address in runner.addresses] == ["127.0.0.1"]
    with pytest.raises(httpx.ConnectError):  # stopped with the core
        await get(f"http://127.0.0.1:{app.ops.port}/healthz")


async def test_a_taken_port_stops_the_start_with_the_setting_named(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = make_settings(tmp_path, VEILLE_METRICS_PORT=port)
        with pytest.raises(ConfigError, match="VEILLE_METRICS_PORT"):
            async with build(settings, [ConsoleAdapter(stream=StringIO())]):
                pass


@pytest.mark.parametrize(("value", "port"), [("", None), ("9464", 9464), ("0", 0)])
def test_the_port_setting_reads_blank_as_off(tmp_path: Path, value: str, port: int | None) -> None:
    assert load_settings(VEILLE_DB=tmp_path / "v.db", VEILLE_METRICS_PORT=value).metrics_port == port


def test_a_bad_port_is_one_config_line_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="^invalid setting VEILLE_METRICS_PORT"):
        load_settings(VEILLE_DB=tmp_path / "v.db", VEILLE_METRICS_PORT="70000")
