"""Settings: VEILLE_DB names a SQLite file or a PostgreSQL URL, and a password never shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings, shown_db
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
