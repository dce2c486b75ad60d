"""The operator's HTTP endpoints: /metrics (Prometheus text format) and /healthz.

Off unless `VEILLE_METRICS_PORT` is set; bound to 127.0.0.1 unless `VEILLE_METRICS_HOST`
says otherwise, since the figures are for a local Prometheus or a reverse proxy, not the
world. Built in the core's `__init__`, listening only from `start()` (nothing async before).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler

from bot.errors import ConfigError
from bot.ops.health import Health
from bot.ops.metrics import Metrics
from bot.store.protocols import StoreGauges

log = structlog.get_logger(__name__)

REFRESH_TIMEOUT = 5.0  # a scrape waits this long for storage, then shows the counters anyway


class OpsServer:
    """Serve /metrics and /healthz on `host:port` (port 0: any free port, see `port`)."""

    def __init__(
        self,
        metrics: Metrics,
        health: Health,
        read_gauges: Callable[[], Awaitable[StoreGauges]],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.metrics = metrics
        self.health = health
        self.read_gauges = read_gauges
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._exposition = make_aiohttp_handler(metrics.registry, disable_compression=True)

    async def start(self) -> None:
        """Listen; a taken port is a `ConfigError` naming the setting."""
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise ConfigError(
                f"VEILLE_METRICS_PORT: cannot listen on {self.host}:{self.port}: {exc.strerror or exc}"
            ) from None
        self._runner = runner
        if runner.addresses:  # the real port when 0 (any) was asked
            self.port = int(runner.addresses[0][1])
        log.info("ops.listening", host=self.host, port=self.port)

    async def stop(self) -> None:
        """Stop listening (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _metrics(self, request: web.Request) -> web.StreamResponse:
        try:
            async with asyncio.timeout(REFRESH_TIMEOUT):
                self.metrics.show(await self.read_gauges())
        except Exception as exc:  # noqa: BLE001  # the counters are still worth serving
            log.warning("ops.gauges_unavailable", error=repr(exc)[:200])
        return await self._exposition(request)

    async def _healthz(self, request: web.Request) -> web.Response:
        report = await self.health.check()
        body = {"status": "ok" if report.ok else "unhealthy", "checks": report.checks}
        return web.Response(
            status=200 if report.ok else 503,
            text=json.dumps(body, ensure_ascii=False),
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )
