"""Refuse to fetch anything but public http(s) addresses (SSRF guard).

A public bot fetches whatever URL a chat member types, so a URL must never reach the
machine's own services, the local network or a cloud metadata endpoint. Checking the URL
text is not enough (DNS can point a public-looking name at 10.0.0.1, or change its answer
between a check and the connect), so the check lives where the socket is opened:
`GuardedNetworkBackend.connect_tcp` resolves the name, refuses every non-public address,
then connects to the very address it checked. TLS still verifies and sends SNI for the
host name, because httpcore starts TLS with the origin's host, not with the dialled IP.
Each redirect hop is a new request, so it goes through the same check.

`GuardedTransport` plugs that backend into httpx. `check_url` runs the same check up
front, for a clear refusal before anything is queued. `allow_private=True` (setting
`VEILLE_ALLOW_PRIVATE_URLS`) lifts the address check for tests and intranets; the scheme
check always stays.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import httpcore
import httpx
import structlog

from bot.errors import BlockedURLError

log = structlog.get_logger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Resolve (host, port) to IP address strings; tests inject a stub mapping names to addresses."""

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPAT = ipaddress.IPv6Network("::/96")

# reason key -> (English, French adjective phrase)
_REASONS = {
    "loopback": ("loopback", "locale (loopback)"),
    "private": ("private", "privée"),
    "shared": ("shared (CGNAT)", "partagée (CGNAT)"),
    "link-local": ("link-local", "lien-local"),
    "multicast": ("multicast", "multicast"),
    "reserved": ("reserved", "réservée"),
    "unspecified": ("unspecified", "non spécifiée"),
    "site-local": ("site-local", "site-local"),
    "non-global": ("non-public", "non publique"),
}


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the event loop's getaddrinfo, the same lookup a plain connect would do."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def parse_numeric_host(host: str) -> IPAddress | None:
    """Read `host` as an IP literal, including inet_aton's forms (2130706433, 127.1, 0x7f000001).

    Those forms would reach 127.0.0.1 through getaddrinfo; reading them here refuses them
    without a DNS query and names the real address in the message.
    """
    text = host.strip().rstrip(".").strip("[]")
    if not text:
        return None
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        pass
    parts = text.split(".")
    if len(parts) > 4:
        return None
    numbers: list[int] = []
    for part in parts:
        try:
            if part.lower().startswith("0x"):
                numbers.append(int(part[2:], 16))
            elif len(part) > 1 and part.startswith("0"):
                numbers.append(int(part, 8))
            else:
                numbers.append(int(part, 10))
        except ValueError:
            return None
    *head, last = numbers
    if any(n > 0xFF for n in head) or last >= 1 << (8 * (4 - len(head))):
        return None
    value = 0
    for n in head:
        value = value << 8 | n
    value = value << (8 * (4 - len(head))) | last
    return ipaddress.IPv4Address(value)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 form carries (mapped, compatible, 6to4, NAT64)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or (ip in _IPV4_COMPAT and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def blocked_reason(ip: IPAddress) -> str | None:
    """Return why `ip` must not be fetched (a key of the reason table), or None if it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return blocked_reason(embedded)
        if ip.is_site_local:
            return "site-local"
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("shared", isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("non-global", not ip.is_global),
    )
    for reason, hit in checks:
        if hit:
            return reason
    return None


def check_scheme(url: str | httpx.URL) -> None:
    """Raise BlockedURLError unless `url` is http or https (never lifted by allow_private)."""
    try:
        scheme = httpx.URL(url).scheme if isinstance(url, str) else url.scheme
    except httpx.InvalidURL as exc:
        raise BlockedURLError(
            f"refused {str(url)[:200]}: invalid URL ({exc})", french="Adresse mal formée."
        ) from None
    if scheme not in ALLOWED_SCHEMES:
        raise BlockedURLError(
            f"refused {str(url)[:200]}: only http and https URLs are fetched",
            french="Adresse refusée : seules les adresses http:// et https:// sont acceptées.",
        )


def _refuse(host: str, ip: IPAddress, reason: str) -> BlockedURLError:
    english, french = _REASONS[reason]
    log.warning("netguard.blocked", host=host, address=str(ip), reason=reason)
    shown = host if host == str(ip) else f"{host} ({ip})"
    return BlockedURLError(
        f"refused {shown}: {english} address, not fetched",
        french=f"Adresse refusée : {shown} est une adresse {french}, interdite pour un robot public.",
    )


async def resolve_checked(
    host: str, port: int, *, resolver: Resolver | None = None, allow_private: bool = False
) -> list[IPAddress]:
    """Resolve `host` and return its addresses, refusing the host if ANY address is not public.

    Refusing on any bad address (not just skipping it) keeps a name that mixes a public and
    a private answer from being used to probe the inside.
    """
    numeric = parse_numeric_host(host)
    if numeric is not None:
        addresses: list[IPAddress] = [numeric]
    else:
        answers = await (resolver or system_resolver)(host, port)
        addresses = []
        for answer in answers:
            parsed = parse_numeric_host(answer)
            if parsed is None:
                raise BlockedURLError(f"refused {host}: resolver answered {answer!r}, not an IP")
            addresses.append(parsed)
        if not addresses:
            raise BlockedURLError(f"refused {host}: no address", french="Nom de domaine introuvable.")
    if not allow_private:
        for ip in addresses:
            reason = blocked_reason(ip)
            if reason is not None:
                raise _refuse(host, ip, reason)
    return addresses


async def check_url(url: str, *, resolver: Resolver | None = None, allow_private: bool = False) -> None:
    """Refuse `url` up front (scheme, then resolved addresses) with a message a user can act on.

    Fetching re-checks at connect time; this early check only gives commands a clear answer.
    """
    check_scheme(url)
    parsed = httpx.URL(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        await resolve_checked(parsed.host, port, resolver=resolver, allow_private=allow_private)
    except OSError as exc:
        raise BlockedURLError(
            f"cannot resolve {parsed.host}: {exc}", french="Nom de domaine introuvable."
        ) from exc


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Dial only addresses the guard has just checked, so a DNS rebind cannot slip through.

    `inner` does the actual dialling (httpcore's default backend; tests pass a loopback
    redirector so that "public" stub addresses land on a local server).
    """

    def __init__(
        self,
        *,
        resolver: Resolver | None = None,
        allow_private: bool = False,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._resolver = resolver
        self._allow_private = allow_private
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve, check every address, then connect to the first checked one that answers."""
        try:
            async with asyncio.timeout(timeout):
                addresses = await resolve_checked(
                    host, port, resolver=self._resolver, allow_private=self._allow_private
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        error: Exception | None = None
        for ip in addresses:
            try:
                return await self._inner.connect_tcp(str(ip), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None  # resolve_checked never returns an empty list
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        """Refuse: a URL never names a local socket."""
        raise BlockedURLError(f"refused unix socket {path}")

    async def sleep(self, seconds: float) -> None:
        """Sleep through the inner backend (httpcore uses it between retries)."""
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An httpx transport whose every connection goes through `GuardedNetworkBackend`.

    Proxies are not supported: through a proxy the guard would only see the proxy's address.
    """

    def __init__(
        self,
        *,
        resolver: Resolver | None = None,
        allow_private: bool = False,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits = DEFAULT_LIMITS,
    ) -> None:
        ssl_context = httpx.create_ssl_context(verify=verify, trust_env=False)
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        # httpx has no public hook for the network backend; replace the (never opened) pool
        # it built with one that dials through the guard.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedNetworkBackend(
                resolver=resolver, allow_private=allow_private, inner=network_backend
            ),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Refuse non-http(s) schemes before the pool sees the request."""
        check_scheme(request.url)
        return await super().handle_async_request(request)
