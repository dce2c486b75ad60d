"""Settings of the subscription options and of /stats: read, and refused with one line naming them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import load_settings, parse_admins
from bot.errors import ConfigError


def test_admins_are_platform_user_pairs() -> None:
    assert parse_admins(" telegram:123, Discord:456 ;console:console-user,") == {
        "telegram:123",
        "discord:456",
        "console:console-user",
    }
    assert parse_admins("") == frozenset()
    assert load_settings(VEILLE_ADMINS="telegram:1").admin_ids == {"telegram:1"}


@pytest.mark.parametrize("value", ["123456", "telegram:", ":123", "telegram:1 2"])
def test_a_malformed_admin_list_stops_veille_naming_the_setting(value: str) -> None:
    with pytest.raises(ConfigError, match="invalid setting VEILLE_ADMINS: .*platform:user_id"):
        load_settings(VEILLE_ADMINS=value)


def test_the_minimum_interval_reads_seconds_or_iso_8601_within_bounds() -> None:
    assert load_settings().min_interval == timedelta(minutes=5)
    assert load_settings(VEILLE_MIN_INTERVAL="60").min_interval == timedelta(minutes=1)
    assert load_settings(VEILLE_MIN_INTERVAL="PT10M").min_interval == timedelta(minutes=10)
    for bad in ("5", "PT25H", "soon"):
        with pytest.raises(ConfigError, match="invalid setting VEILLE_MIN_INTERVAL"):
            load_settings(VEILLE_MIN_INTERVAL=bad)
