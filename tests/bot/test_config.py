"""Settings: VEILLE_DB names a SQLite file or a PostgreSQL URL, and a password never shows; /stats operators and the
minimum /intervalle are read, and a bad value stops Veille naming the setting."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import load_settings, parse_admins, shown_db
from bot.errors import ConfigError


def test_a_path_keeps_sqlite_and_a_postgresql_url_is_kept_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VEILLE_DB", raising=False)
    assert load_settings().db == Path("veille.db")
    assert load_settings(VEILLE_DB="data/veille.db").db == Path("data/veille.db")
    url = "postgresql://veille:s3cret@db.internal:5432/veille"
    assert load_settings(VEILLE_DB=url).db == url
    assert load_settings(VEILLE_DB="postgres://veille@127.0.0.1/veille").db == "postgres://veille@127.0.0.1/veille"


@pytest.mark.parametrize(
    "value",
    [
        "mysql://veille:s3cret@db.internal/veille",
        "postgresql://veille:s3cret@db.internal:port/veille",
        "postgresql://veille:s3cret@db.internal:5432/",
        "postgresql:///veille",
    ],
)
def test_a_database_url_veille_cannot_use_is_one_line_without_the_password(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(VEILLE_DB=value)
    message = str(caught.value)
    assert message.startswith("invalid setting VEILLE_DB:") and "\n" not in message
    assert "s3cret" not in message and "s3cret" not in caught.value.french


def test_the_database_is_logged_without_its_password() -> None:
    assert shown_db(Path("veille.db")) == "veille.db"
    hidden = "postgresql://veille:***@db.internal:5432/veille"
    assert shown_db("postgresql://veille:s3cret@db.internal:5432/veille") == hidden
    assert shown_db("postgresql://veille@db.internal/veille") == "postgresql://veille@db.internal/veille"


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
