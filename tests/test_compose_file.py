"""`docker-compose.yml` and `Dockerfile` keep describing processes Veille can actually run.

No Docker engine runs where the tests do, so the files are read, not run: every service but
PostgreSQL starts a `veille run --role …` this CLI accepts, with a `VEILLE_DB` the settings take
as PostgreSQL, and waits for a database that reports itself healthy. A renamed role or setting
breaks this test instead of the first `docker compose up`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from bot.cli import ROLES
from bot.compose import open_store
from bot.config import load_settings
from bot.store.postgres import PostgresStore

ROOT = Path(__file__).resolve().parent.parent
# Compose's `${NAME:?message}` interpolation, with the value a user's .env would give.
_REQUIRED = re.compile(r"\$\{(\w+):\?[^}]*\}")


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _veille_services() -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in _compose()["services"].items() if name != "postgres"}


def test_compose_runs_two_pollers_and_one_chat_process_of_the_same_image() -> None:
    services = _veille_services()
    assert {name: spec["command"] for name, spec in services.items()} == {
        "poller": ["run", "--role", "poller"],
        "chat": ["run", "--role", "chat"],
    }
    assert all(spec["command"][2] in ROLES for spec in services.values())
    assert services["poller"]["deploy"]["replicas"] == 2
    assert "replicas" not in services["chat"].get("deploy", {})  # one chat process per bot token
    assert {spec["image"] for spec in services.values()} == {"veille:local"}
    assert all(spec["build"] == "." for spec in services.values())


def test_every_veille_service_reaches_the_compose_postgresql_as_its_database() -> None:
    compose = _compose()
    postgres = compose["services"]["postgres"]
    environment = postgres["environment"]
    for spec in _veille_services().values():
        url = _REQUIRED.sub("secret", spec["environment"]["VEILLE_DB"])
        assert url == f"postgresql://{environment['POSTGRES_USER']}:secret@postgres:5432/{environment['POSTGRES_DB']}"
        assert isinstance(open_store(load_settings(VEILLE_DB=url)), PostgresStore)  # built, not opened
        assert spec["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert compose["volumes"] == {"pgdata": None}  # the one thing to back up
    assert "pgdata:/var/lib/postgresql/data" in postgres["volumes"]


def test_the_compose_password_is_asked_of_the_env_file_that_env_example_documents() -> None:
    required = set(_REQUIRED.findall((ROOT / "docker-compose.yml").read_text(encoding="utf-8")))
    assert required == {"POSTGRES_PASSWORD"}
    assert re.search(r"^#? ?POSTGRES_PASSWORD=", (ROOT / ".env.example").read_text(encoding="utf-8"), re.M)


def test_the_image_starts_the_veille_command_from_the_runtime_lock() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    entrypoint = re.search(r"^ENTRYPOINT (.+)$", dockerfile, re.M)
    assert entrypoint is not None and json.loads(entrypoint.group(1)) == ["veille"]
    assert "pip install --require-hashes" in dockerfile and "requirements.lock" in dockerfile
    assert 'veille = "bot.cli:main"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
