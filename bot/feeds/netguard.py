"""Refuse to fetch anything but public http(s) addresses (SSRF guard).

A public bot fetches whatever URL a chat member types, so a URL must never reach the
machine's own services, the local network or a cloud metadata endpoint. Checking the URL
text is not enough (DNS can point a public-looking name at 10.0.0.1, or change its answer
between a check and the connect), so the check lives where the socket's address is chosen:
`GuardedConnector` (the aiohttp connector under `bot.fetch.Fetcher`) resolves each new
connection's host itself, IP literals and inet_aton forms included, refuses the host if any
address is not public, and hands aiohttp only the addresses it checked to dial. TLS still
verifies and sends SNI for the host name, because aiohttp starts TLS with the request's
host, not with the dialled IP. Each redirect hop is a new request, so it goes through the
same check whenever it opens a connection (a pooled one was checked when it was opened).

`check_url` runs the same check up front, for a clear refusal before anything is queued.
`allow_private=True` (setting `VEILLE_ALLOW_PRIVATE_URLS`) lifts the address check for tests
and intranets; the scheme check always stays.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
import structlog
from aiohttp.abc import ResolveResult
from yarl import URL

from bot.errors import BlockedURLError, FetchTimeoutError

log = structlog.get_logger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Resolve (host, port) to IP address strings; tests inject a stub mapping names to addresses."""
Dialer = Callable[[str, int], str]
"""Map an address the guard has checked (and its port) to the address to connect to.

Production dials what was checked (no dialer); tests pass one that records the checked
address and connects to 127.0.0.1, so a "public" stub address lands on a local server.
"""

ALLOWED_SCHEMES = frozenset({"http", "https"})

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


def check_scheme(url: str | URL) -> URL:
    """Return `url` parsed, raising BlockedURLError unless it is http(s) with a host.

    The scheme check is never lifted by allow_private. The URL is parsed with yarl, the
    parser aiohttp itself uses, so what is checked is what is requested.
    """
    try:
        parsed = URL(url) if isinstance(url, str) else url
        scheme, host = parsed.scheme, parsed.raw_host
    except (ValueError, TypeError) as exc:
        raise BlockedURLError(
            f"refused {str(url)[:200]}: invalid URL ({exc})", french="Adresse mal formée."
        ) from None
    if scheme not in ALLOWED_SCHEMES:
        raise BlockedURLError(
            f"refused {str(url)[:200]}: only http and https URLs are fetched",
            french="Adresse refusée : seules les adresses http:// et https:// sont acceptées.",
        )
    if not host:
        raise BlockedURLError(
            f"refused {str(url)[:200]}: URL without host", french="Adresse mal formée : il manque le nom du site."
        )
    return parsed


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
    parsed = check_scheme(url)
    host = parsed.raw_host
    assert host is not None  # check_scheme refuses a URL without host
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        await resolve_checked(host, port, resolver=resolver, allow_private=allow_private)
    except OSError as exc:
        raise BlockedURLError(
            f"cannot resolve {host}: {exc}", french="Nom de domaine introuvable."
        ) from exc


class GuardedConnector(aiohttp.TCPConnector):
    """An aiohttp connector that dials only addresses the guard has just checked.

    aiohttp asks `_resolve_host` for the addresses of every connection it opens, and dials
    exactly what it returns; for an IP literal its own version returns the literal without
    asking the resolver, and its DNS cache would serve old answers. Overriding it is the one
    place where every address aiohttp will dial passes through `resolve_checked` (names,
    literals and inet_aton forms alike), with no cache, so a DNS rebind cannot slip through.
    The suite's SSRF tests fail if aiohttp ever stops calling it (a stub name would reach the
    real resolver, a private literal would be dialled).

    Proxies are not supported: through a proxy the guard would only see the proxy's address.
    """

    def __init__(
        self,
        *,
        resolver: Resolver | None = None,
        allow_private: bool = False,
        dialer: Dialer | None = None,
        resolve_timeout: float | None = None,
        **options: Any,
    ) -> None:
        super().__init__(use_dns_cache=False, **options)
        self._guard_resolver = resolver
        self._allow_private = allow_private
        self._dialer = dialer
        self._resolve_timeout = resolve_timeout

    async def _resolve_host(self, host: str, port: int, traces: Sequence[Any] | None = None) -> list[ResolveResult]:
        """Resolve and check `host`; return the checked addresses as the ones to dial."""
        try:
            async with asyncio.timeout(self._resolve_timeout):
                addresses = await resolve_checked(
                    host, port, resolver=self._guard_resolver, allow_private=self._allow_private
                )
        except TimeoutError as exc:
            raise FetchTimeoutError(f"resolving {host} timed out") from exc
        results: list[ResolveResult] = []
        for ip in addresses:
            address = str(ip) if self._dialer is None else self._dialer(str(ip), port)
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            results.append(
                {"hostname": host, "host": address, "port": port, "family": family, "proto": 0, "flags": 0}
            )
        return results
