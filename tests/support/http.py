"""A real HTTP server on 127.0.0.1 for tests: serve routes, record requests, inject faults.

    async with FeedServer() as server:
        server.set("/feed.xml", RSS_BYTES, content_type="application/rss+xml", etag='"v1"')
        url = server.url("/feed.xml")
        ...
        assert server.hits("/feed.xml") == 1
        assert server.requests[0].headers["User-Agent"].startswith("Veille/")

Routes can be changed between polls (`set` again). A route with an `etag` or
`last_modified` answers 304 to a matching conditional request, like a well-behaved server.
For faults (slow drips, endless streams), `set_handler` takes any aiohttp handler.
`serve(app)` runs any aiohttp application (a fake Bot API, a fake Discord REST) the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@contextlib.asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Run `app` on 127.0.0.1 on a free port; yield its base URL ("http://127.0.0.1:PORT")."""
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it (headers keep their original spelling; lookups ignore case)."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]


@dataclass
class Route:
    """What one path answers: a fixed response, or a custom aiohttp handler."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    handler: Handler | None = None


class FeedServer:
    """Serve a dict of path → Route on 127.0.0.1 and record every request it receives."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[RecordedRequest] = []
        self.base_url = ""
        self._stack: contextlib.AsyncExitStack | None = None

    def set(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> str:
        """Serve `body` at `path` (replacing what was there); return the route's URL."""
        all_headers = dict(headers or {})
        if content_type:
            all_headers["Content-Type"] = content_type
        if etag:
            all_headers["ETag"] = etag
        if last_modified:
            all_headers["Last-Modified"] = last_modified
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(status, data, all_headers, etag, last_modified)
        return self.url(path)

    def redirect(self, path: str, location: str, *, status: int = 301) -> str:
        """Answer `path` with a redirect to `location` (absolute or relative)."""
        return self.set(path, status=status, headers={"Location": location})

    def set_handler(self, path: str, handler: Handler) -> str:
        """Answer `path` with a custom aiohttp handler (slow drips, endless bodies, resets)."""
        self.routes[path] = Route(handler=handler)
        return self.url(path)

    def url(self, path: str) -> str:
        """Return the absolute URL of `path` on this server."""
        return self.base_url + path

    def hits(self, path: str) -> int:
        """Count the requests received for `path`."""
        return sum(1 for r in self.requests if r.path == path)

    async def start(self) -> None:
        """Start listening on 127.0.0.1 on a free port."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._stack = contextlib.AsyncExitStack()
        self.base_url = await self._stack.enter_async_context(serve(app))

    async def close(self) -> None:
        """Stop the server."""
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.aclose()

    async def __aenter__(self) -> FeedServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(
            RecordedRequest(request.method, request.path, request.query_string, request.headers.copy())
        )
        route = self.routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="not found")
        if route.handler is not None:
            return await route.handler(request)
        if _not_modified(route, request):
            return web.Response(status=304, headers={k: v for k, v in route.headers.items() if k == "ETag"})
        return web.Response(status=route.status, body=route.body, headers=route.headers)


def _not_modified(route: Route, request: web.Request) -> bool:
    if route.status != 200:
        return False
    if route.etag and request.headers.get("If-None-Match") == route.etag:
        return True
    return bool(route.last_modified and request.headers.get("If-Modified-Since") == route.last_modified)
