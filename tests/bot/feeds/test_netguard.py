"""The SSRF guard: what it refuses, that nothing is sent then, and that it dials what it checked."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time

import pytest

from bot.errors import BlockedURLError, FetchTimeoutError
from bot.feeds.fetch import Fetcher
from bot.feeds.netguard import blocked_reason, check_url, parse_numeric_host
from tests.conftest import NetworkAccessError
from tests.support.http import FeedServer
from tests.support.net import LoopbackDialer, StaticResolver

PUBLIC_IP = "93.184.216.34"

REFUSED_ADDRESSES = [
    "127.0.0.1",
    "127.53.1.9",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "100.64.0.1",  # CGNAT
    "169.254.169.254",  # cloud metadata
    "224.0.0.1",
    "240.0.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "::1",
    "::",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "fec0::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",
    "2002:7f00:1::1",  # 6to4 wrapping 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 wrapping 169.254.169.254
]

NUMERIC_TRICKS = {
    "2130706433": "127.0.0.1",
    "127.1": "127.0.0.1",
    "0x7f000001": "127.0.0.1",
    "0177.0.0.1": "127.0.0.1",
    "0x7f.1": "127.0.0.1",
    "10.1": "10.0.0.1",
    "[::ffff:127.0.0.1]": "::ffff:127.0.0.1",
}


def guarded_fetcher(resolver: StaticResolver, dialer: LoopbackDialer) -> Fetcher:
    return Fetcher(resolver=resolver, dialer=dialer, total_timeout=5)


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(("host", "address"), NUMERIC_TRICKS.items())
def test_numeric_host_tricks_are_read_as_the_address_they_reach(host: str, address: str) -> None:
    assert parse_numeric_host(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["example.org", "123.example", "1.2.3.4.5", "256.0.0.1", "0x", ""])
def test_names_are_not_mistaken_for_numeric_hosts(host: str) -> None:
    assert parse_numeric_host(host) is None


@pytest.mark.parametrize(
    "url", ["ftp://example.org/feed", "file:///etc/passwd", "gopher://example.org/", "javascript:alert(1)"]
)
async def test_only_http_and_https_are_accepted_even_with_private_urls_allowed(url: str) -> None:
    with pytest.raises(BlockedURLError) as caught:
        await check_url(url, allow_private=True, resolver=StaticResolver({}))
    assert "http" in str(caught.value)
    assert "http://" in caught.value.french


async def test_refusal_has_an_english_line_and_a_french_message() -> None:
    resolver = StaticResolver({"intranet.test": "10.1.2.3"})
    with pytest.raises(BlockedURLError) as caught:
        await check_url("http://intranet.test/feed", resolver=resolver)
    assert str(caught.value) == "refused intranet.test (10.1.2.3): private address, not fetched"
    assert "\n" not in str(caught.value)
    assert caught.value.french.startswith("Adresse refusée")
    assert "privée" in caught.value.french


async def test_a_name_with_one_private_answer_among_public_ones_is_refused() -> None:
    resolver = StaticResolver({"mixed.test": [PUBLIC_IP, "192.168.0.10"]})
    with pytest.raises(BlockedURLError):
        await check_url("https://mixed.test/", resolver=resolver)


@pytest.mark.parametrize("host", list(NUMERIC_TRICKS))
async def test_numeric_tricks_are_refused_before_any_connection(feed_server: FeedServer, host: str) -> None:
    feed_server.set("/feed", "<rss/>")
    port = feed_server.base_url.rsplit(":", 1)[1]
    resolver, dialer = StaticResolver({}), LoopbackDialer()
    async with guarded_fetcher(resolver, dialer) as fetcher:
        with pytest.raises(BlockedURLError):
            await fetcher.fetch(f"http://{host}:{port}/feed")
    assert dialer.dialled == []
    assert resolver.queries == []  # a numeric host never goes to DNS
    assert feed_server.requests == []


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
async def test_names_resolving_to_non_public_addresses_are_refused_before_any_connection(
    feed_server: FeedServer, address: str
) -> None:
    feed_server.set("/feed", "<rss/>")
    port = feed_server.base_url.rsplit(":", 1)[1]
    resolver, dialer = StaticResolver({"target.test": address}), LoopbackDialer()
    async with guarded_fetcher(resolver, dialer) as fetcher:
        with pytest.raises(BlockedURLError):
            await fetcher.fetch(f"http://target.test:{port}/feed")
    assert dialer.dialled == []
    assert feed_server.requests == []


async def test_a_public_name_is_fetched_from_the_address_that_was_checked(feed_server: FeedServer) -> None:
    feed_server.set("/feed", "<rss/>")
    port = int(feed_server.base_url.rsplit(":", 1)[1])
    resolver, dialer = StaticResolver({"news.test": PUBLIC_IP}), LoopbackDialer()
    async with guarded_fetcher(resolver, dialer) as fetcher:
        result = await fetcher.fetch(f"http://news.test:{port}/feed")
    assert result.body == b"<rss/>"
    assert dialer.dialled == [(PUBLIC_IP, port)]
    assert feed_server.requests[0].headers["Host"] == f"news.test:{port}"


async def test_a_dns_rebind_after_the_early_check_is_caught_at_connect(feed_server: FeedServer) -> None:
    feed_server.set("/feed", "<rss/>")
    port = feed_server.base_url.rsplit(":", 1)[1]
    answers = iter([[PUBLIC_IP], ["127.0.0.1"]])

    async def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    url = f"http://rebind.test:{port}/feed"
    await check_url(url, resolver=rebinding)  # the early check sees the public answer
    dialer = LoopbackDialer()
    async with Fetcher(resolver=rebinding, dialer=dialer) as fetcher:
        with pytest.raises(BlockedURLError):
            await fetcher.fetch(url)
    assert dialer.dialled == []
    assert feed_server.requests == []


@pytest.mark.parametrize(
    "target",
    [
        "http://internal.test:{port}/secret",
        "http://127.1:{port}/secret",
        "http://[::1]:{port}/secret",
        # a canonical literal: aiohttp's own connector would dial it without asking any resolver
        "http://127.0.0.1:{port}/secret",
        "http://[::ffff:127.0.0.1]:{port}/secret",
    ],
)
async def test_a_redirect_to_a_private_host_is_refused_at_that_hop(
    feed_server: FeedServer, target: str
) -> None:
    port = int(feed_server.base_url.rsplit(":", 1)[1])
    feed_server.redirect("/start", target.format(port=port), status=302)
    feed_server.set("/secret", "internal data")
    resolver = StaticResolver({"public.test": PUBLIC_IP, "internal.test": "10.0.0.7"})
    dialer = LoopbackDialer()
    async with guarded_fetcher(resolver, dialer) as fetcher:
        with pytest.raises(BlockedURLError):
            await fetcher.fetch(f"http://public.test:{port}/start")
    assert [r.path for r in feed_server.requests] == ["/start"]
    assert dialer.dialled == [(PUBLIC_IP, port)]


async def test_a_name_is_checked_again_for_every_new_connection_not_cached(feed_server: FeedServer) -> None:
    # the server closes each connection, so the second fetch must open (and resolve) anew
    url_path = feed_server.set("/feed", "<rss/>", headers={"Connection": "close"})
    port = int(url_path.rsplit(":", 1)[1].split("/", 1)[0])
    answers = iter([[PUBLIC_IP], ["10.0.0.9"]])

    async def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    dialer = LoopbackDialer()
    async with Fetcher(resolver=rebinding, dialer=dialer, total_timeout=5) as fetcher:
        assert (await fetcher.fetch(f"http://rebind.test:{port}/feed")).body == b"<rss/>"
        with pytest.raises(BlockedURLError, match="10.0.0.9"):
            await fetcher.fetch(f"http://rebind.test:{port}/feed?again")
    assert dialer.dialled == [(PUBLIC_IP, port)]
    assert feed_server.hits("/feed") == 1


async def test_a_resolver_that_never_answers_is_cut_at_the_connect_timeout() -> None:
    async def silent(host: str, port: int) -> list[str]:
        await asyncio.sleep(30)
        return [PUBLIC_IP]

    async with Fetcher(resolver=silent, dialer=LoopbackDialer(), connect_timeout=0.2, total_timeout=10) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchTimeoutError, match="resolving slow.test"):
            await fetcher.fetch("http://slow.test/feed")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("url", ["http://", "http:///feed", "https://[::1/feed", "http://h:99999/"])
async def test_a_url_without_a_usable_host_is_refused_as_malformed(url: str) -> None:
    async with Fetcher(resolver=StaticResolver({}), dialer=LoopbackDialer()) as fetcher:
        with pytest.raises(BlockedURLError) as caught:
            await fetcher.fetch(url)
    assert caught.value.french.startswith("Adresse mal formée")


async def test_a_redirect_to_another_scheme_is_refused(feed_server: FeedServer) -> None:
    feed_server.redirect("/start", "file:///etc/passwd")
    async with Fetcher(allow_private=True) as fetcher:
        with pytest.raises(BlockedURLError):
            await fetcher.fetch(feed_server.url("/start"))


async def test_allow_private_lifts_the_address_check(feed_server: FeedServer) -> None:
    feed_server.set("/feed", "<rss/>")
    async with Fetcher(allow_private=True) as fetcher:
        result = await fetcher.fetch(feed_server.url("/feed"))
    assert result.status == 200
    async with Fetcher(allow_private=False) as fetcher:
        with pytest.raises(BlockedURLError):
            await fetcher.fetch(feed_server.url("/feed"))
    assert feed_server.hits("/feed") == 1


async def test_allow_private_also_lifts_it_for_names(feed_server: FeedServer) -> None:
    feed_server.set("/feed", "<rss/>")
    port = feed_server.base_url.rsplit(":", 1)[1]
    resolver = StaticResolver({"intranet.test": "127.0.0.1"})
    async with Fetcher(allow_private=True, resolver=resolver) as fetcher:
        result = await fetcher.fetch(f"http://intranet.test:{port}/feed")
    assert result.body == b"<rss/>"


async def test_the_suite_refuses_what_the_fetcher_would_dial_outside_loopback(no_network: list[str]) -> None:
    # allow_private lifts the guard; the suite's own net must still stop the aiohttp client
    async with Fetcher(allow_private=True, total_timeout=5) as fetcher:
        with pytest.raises(NetworkAccessError):
            await fetcher.fetch("http://192.0.2.1/feed")
    assert no_network == ["connect ('192.0.2.1', 80)"]
    no_network.clear()  # the violation was the point of this test


def test_the_suite_refuses_connections_outside_loopback(no_network: list[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(NetworkAccessError):
        sock.connect(("192.0.2.1", 80))
    with pytest.raises(NetworkAccessError):
        socket.getaddrinfo("example.org", 80)
    assert len(no_network) == 2
    no_network.clear()  # the violations were the point of this test
