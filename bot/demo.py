"""`veille demo`: the real core, offline, with a console chat and sample feeds on 127.0.0.1.

The sample feeds and pages in `bot/demo_data/` are invented articles written for the demo.
The demo subscribes the console chat to a feed URL and to a site URL (feed discovery), shows
the newest digest of each (no backlog flood), then publishes new items and runs one polling
cycle, so every stage — conditional GET, parse, page extraction, digest, outbox — is exercised.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from aiohttp import web

from bot.compose import build, console_platform
from bot.config import load_settings

CONTENT_TYPES = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}


class DemoSite:
    """Serve the demo files; `publish()` swaps each feed for its updated version."""

    def __init__(self) -> None:
        self.files = {p.name: p.read_text("utf-8") for p in _data_dir().iterdir() if p.is_file()}
        self.routes = {
            "/": "index.html",
            "/feeds/justice.xml": "justice.xml",
            "/feeds/regulation.atom": "regulation.atom",
        }
        for name in self.files:
            if name.endswith(".html") and name != "index.html":
                self.routes[f"/articles/{name}"] = name
        self.base = ""
        self.requests: list[str] = []

    def publish(self) -> None:
        """Make the next polling cycle find new items."""
        self.routes["/feeds/justice.xml"] = "justice-update.xml"
        self.routes["/feeds/regulation.atom"] = "regulation-update.atom"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve one file, honouring If-None-Match like a real feed server."""
        self.requests.append(request.path)
        name = self.routes.get(request.path)
        if name is None:
            raise web.HTTPNotFound()
        body = self.files[name].replace("{base}", self.base).encode("utf-8")
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        content_type = CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")
        return web.Response(body=body, headers={"Content-Type": content_type, "ETag": etag})

    @asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        """Run the site on 127.0.0.1 (random port) and yield its base URL."""
        app = web.Application()
        app.router.add_get("/{tail:.*}", self.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"
        try:
            yield self.base
        finally:
            await runner.cleanup()


def _data_dir() -> Path:
    return Path(str(resources.files("bot") / "demo_data"))


def _say(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


async def run_demo(*, interactive: bool = False) -> int:
    """Run the demo and return the exit status."""
    site = DemoSite()
    with tempfile.TemporaryDirectory(prefix="veille-demo-") as tmp:
        settings = load_settings(VEILLE_DB=Path(tmp) / "demo.db", VEILLE_ALLOW_PRIVATE_URLS=True)
        console = console_platform()
        async with site.serve() as base, build(settings, [console]) as app:
            _say("Veille — démonstration hors ligne (articles fictifs servis sur 127.0.0.1)")
            await console.command("/aide")
            _say("Abonnement à un flux RSS, puis à un site (flux découvert dans la page)")
            await console.command(f"/abonner {base}/feeds/justice.xml")
            await console.command(f"/abonner {base}/")
            await console.command("/abonnements")
            await app.settle()
            _say("De nouveaux articles sont publiés ; un cycle de relève commence")
            site.publish()
            await app.storage.feeds.make_all_due()
            outcomes = await app.poll_once()
            new = sum(o.new_entries for o in outcomes)
            _say(f"Cycle terminé : {len(outcomes)} flux relevés, {new} nouveaux articles résumés")
            digests = [m for m in console.messages if m.digest is not None]
            if interactive:
                app.start_background()
                console.start_reading()  # only now: the prompt comes after the demo's output
                await console.closed.wait()
        if len(digests) < 4:
            print(f"veille demo: expected 4 digests, got {len(digests)}", file=sys.stderr)
            return 1
    return 0


def main() -> None:
    """Run the demo from `python -m bot.demo`."""
    raise SystemExit(asyncio.run(run_demo()))


if __name__ == "__main__":
    main()
