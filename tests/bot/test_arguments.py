"""Command arguments: numbers in ASCII digits only, time zones by any spelling of their name."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.arguments import MAX_NUMBER_DIGITS, load_zone, looks_like_number, open_zone, parse_number, zone_name
from bot.config import load_settings
from bot.errors import ConfigError, InputError


def test_parse_number_reads_ascii_digits() -> None:
    assert parse_number("3") == 3
    assert parse_number(" 12 ") == 12
    assert parse_number("007") == 7


@pytest.mark.parametrize("text", ["²", "³", "١", "٣", "１", "Ⅻ", "½", "", " ", "-1", "+2", "1.5", "2e3", "1_000"])
def test_parse_number_refuses_digits_int_would_refuse_or_misread(text: str) -> None:
    assert parse_number(text) is None


def test_parse_number_refuses_more_digits_than_any_list_holds() -> None:
    assert parse_number("9" * MAX_NUMBER_DIGITS) == int("9" * MAX_NUMBER_DIGITS)
    assert parse_number("9" * (MAX_NUMBER_DIGITS + 1)) is None
    assert parse_number("1" * 5000) is None  # int() of this raises past Python's digit limit


@given(st.text(max_size=30))
@settings(max_examples=200, deadline=None)
def test_parse_number_never_raises_and_only_returns_what_was_typed(text: str) -> None:
    number = parse_number(text)
    assert number is None or str(number) == text.strip().lstrip("0") or number == 0


def test_looks_like_number_spots_what_a_user_meant_as_a_number() -> None:
    assert looks_like_number("²") and looks_like_number("١٢") and looks_like_number("9" * 40)
    assert not looks_like_number("https://exemple.fr/2") and not looks_like_number("")


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Europe/Paris", "Europe/Paris"),
        ("europe/paris", "Europe/Paris"),
        ("EUROPE/PARIS", "Europe/Paris"),
        ("  america/martinique ", "America/Martinique"),
        ("america/new york", "America/New_York"),
        ("indian/reunion", "Indian/Reunion"),
        ("utc", "UTC"),
    ],
)
def test_zone_name_canonicalises_any_case(typed: str, canonical: str) -> None:
    assert zone_name(typed) == canonical


@pytest.mark.parametrize(
    "typed",
    ["Europe", "europe", "America", "Paris", "x" * 300, "Europe/" + "x" * 300, "../../etc/passwd",
     "/etc/localtime", "Europe/Paris\x00", "\ud83d", "", "posix/Europe/Paris", "Europe//Paris"],
)
def test_zone_name_refuses_non_zones_with_a_french_message(typed: str) -> None:
    with pytest.raises(InputError) as raised:
        zone_name(typed)
    assert "Fuseau inconnu" in raised.value.french


@given(st.text(max_size=80))
@settings(max_examples=200, deadline=None)
def test_zone_name_raises_nothing_but_input_error(typed: str) -> None:
    try:
        name = zone_name(typed)
    except InputError:
        return
    assert open_zone(name) is not None


@pytest.mark.parametrize("stored", ["Europe", "x" * 300, "", "Europe/Paris\x00", "../x"])
def test_a_stored_zone_that_does_not_load_falls_back_to_paris(stored: str) -> None:
    assert open_zone(stored) is None
    assert load_zone(stored).key == "Europe/Paris"
    assert load_zone("America/Martinique").key == "America/Martinique"


@pytest.mark.parametrize("zone", ["Europe", "x" * 300])
def test_a_folder_or_overlong_zone_setting_is_refused_as_a_setting(zone: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(VEILLE_TIMEZONE=zone)
    assert "VEILLE_TIMEZONE" in str(raised.value)
