"""Per-feed polling intervals: what users type, what feeds hint, and which interval wins."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.errors import InputError
from bot.feeds.intervals import feed_hint, format_interval, is_off, parse_interval, poll_interval

MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [("30min", 30), ("30 min", 30), ("2h", 120), ("2 H", 120), ("1h30", 90), ("1 h 30", 90),
     ("1h30min", 90), ("90 minutes", 90), ("5m", 5), ("1j", 1440), ("1d", 1440), ("24h", 1440),
     ("3 heures", 180), ("600s", 10)],
)  # fmt: skip
def test_intervals_are_read_in_french_units(typed: str, minutes: int) -> None:
    assert parse_interval(typed) == timedelta(minutes=minutes)


@pytest.mark.parametrize("typed", ["", "abc", "30", "1h30x", "2 semaines", "-5min", "1.5h", "999999h"])
def test_an_unreadable_interval_gets_examples(typed: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_interval(typed)
    assert "Intervalle non compris" in caught.value.french
    assert "30min, 2h, 1h30, 1j" in caught.value.french


@pytest.mark.parametrize("typed", ["4min", "299s", "25h", "2j"])
def test_an_interval_out_of_range_says_the_bounds(typed: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_interval(typed)
    assert caught.value.french.startswith("Intervalle hors limites : entre 5 min et 24 h")


def test_the_minimum_is_configurable() -> None:
    assert parse_interval("1min", minimum=MIN) == MIN
    with pytest.raises(InputError, match="out of range"):
        parse_interval("4min", minimum=timedelta(minutes=10))


def test_off_and_default_go_back_to_the_default() -> None:
    assert is_off("off") and is_off("Défaut") and is_off("auto")
    assert not is_off("30min")


def test_intervals_are_written_the_french_way() -> None:
    assert [format_interval(timedelta(minutes=m)) for m in (5, 30, 60, 90, 1440)] == [
        "5 min", "30 min", "1 h", "1 h 30", "24 h",
    ]  # fmt: skip


def test_feed_hints_ttl_syndication_and_max_age() -> None:
    assert feed_hint(ttl="60") == HOUR
    assert feed_hint(update_period="daily", update_frequency="2") == timedelta(hours=12)
    assert feed_hint(update_period="hourly") == HOUR
    assert feed_hint(cache_control="public, max-age=7200") == 2 * HOUR
    assert feed_hint(ttl="30", cache_control="max-age=7200") == 2 * HOUR  # the longest wins
    assert feed_hint(update_period="weekly") == timedelta(hours=24)  # capped at a day


def test_unreadable_or_absent_hints_are_ignored() -> None:
    assert feed_hint() is None
    assert feed_hint(ttl="soon", update_period="sometimes", cache_control="max-age=abc") is None
    assert feed_hint(ttl="0", cache_control="max-age=0") is None
    assert feed_hint(cache_control="no-cache, max-age=600") is None
    assert feed_hint(update_period="daily", update_frequency="zero") == timedelta(hours=24)


def test_a_hint_counts_only_when_longer_than_the_global_interval() -> None:
    quarter = timedelta(minutes=15)
    assert poll_interval(quarter, hint=HOUR) == HOUR
    assert poll_interval(quarter, hint=timedelta(minutes=5)) == quarter
    assert poll_interval(quarter) == quarter


def test_a_shared_feed_is_polled_at_the_shortest_interval_wanted() -> None:
    quarter = timedelta(minutes=15)
    assert poll_interval(quarter, asked=[2 * HOUR, timedelta(minutes=30)]) == timedelta(minutes=30)
    # a chat that asked nothing wants the default: another chat's 2 h cannot slow it down
    assert poll_interval(quarter, asked=[2 * HOUR, None]) == quarter
    assert poll_interval(quarter, hint=HOUR, asked=[2 * HOUR, None]) == HOUR
    # a chat's own interval wins over the feed's hint
    assert poll_interval(quarter, hint=HOUR, asked=[timedelta(minutes=5)]) == timedelta(minutes=5)
