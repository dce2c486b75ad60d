"""Settings from the environment and `.env`, validated once at start.

A bad value must stop Veille with one line naming the setting (`load_settings` turns
pydantic's report into a `ConfigError`), never a traceback.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import AliasChoices, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.arguments import open_zone, parse_number
from bot.errors import ConfigError

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def shown_db(db: Path | str) -> str:
    """Return VEILLE_DB as it may be logged: a URL loses its password."""
    if isinstance(db, Path):
        return str(db)
    parts = urlsplit(db)
    if parts.password is None:
        return db
    netloc = f"{parts.username}:***@{parts.netloc.rsplit('@', 1)[1]}"
    return urlunsplit(parts._replace(netloc=netloc))


def parse_admins(text: str) -> frozenset[str]:
    """Read "telegram:123, discord:456" into {"telegram:123", "discord:456"}; raise ValueError if malformed."""
    found = set()
    for part in text.replace(";", ",").split(","):
        item = part.strip()
        if not item:
            continue
        platform, _, user = item.partition(":")
        if not platform.strip() or not user.strip() or " " in item:
            raise ValueError(f"{item[:40]!r} is not platform:user_id (e.g. telegram:123456)")
        found.add(f"{platform.strip().lower()}:{user.strip()}")
    return frozenset(found)


class Settings(BaseSettings):
    """Every setting Veille reads; `.env.example` documents each with its default."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # A SQLite file path (the default), or a postgresql:// URL: the backend follows (`bot.app`).
    db: Path | str = Field(Path("./veille.db"), validation_alias="VEILLE_DB")
    poll_interval: timedelta = Field(
        timedelta(minutes=15),
        validation_alias="VEILLE_POLL_INTERVAL",
        description="Seconds, or an ISO 8601 duration such as PT15M.",
    )
    timezone: str = Field("Europe/Paris", validation_alias="VEILLE_TIMEZONE")
    allow_private_urls: bool = Field(False, validation_alias="VEILLE_ALLOW_PRIVATE_URLS")
    max_body_bytes: int = Field(5 * 1024 * 1024, gt=0, validation_alias="VEILLE_MAX_BODY_BYTES")
    fetch_timeout: float = Field(30.0, gt=0, validation_alias="VEILLE_FETCH_TIMEOUT")
    max_new_entries: int = Field(50, gt=0, validation_alias="VEILLE_MAX_NEW_ENTRIES")
    daily_max_items: int = Field(10, gt=0, le=50, validation_alias="VEILLE_DAILY_MAX_ITEMS")
    log_level: str = Field("INFO", validation_alias="VEILLE_LOG_LEVEL")
    min_interval: timedelta = Field(
        timedelta(minutes=5),
        validation_alias="VEILLE_MIN_INTERVAL",
        description="Shortest /intervalle a chat may ask for: seconds, or ISO 8601 (PT5M).",
    )
    admins: str = Field("", validation_alias="VEILLE_ADMINS", description="platform:user_id, comma-separated")
    metrics_port: int | None = Field(None, ge=0, lt=65536, validation_alias="VEILLE_METRICS_PORT")
    metrics_host: str = Field("127.0.0.1", min_length=1, validation_alias="VEILLE_METRICS_HOST")
    # Several processes on one store (`veille run --role`): how long a claimed feed, entry or
    # delivery stays held without renewal (a killed process's work is taken over after that),
    # and this process's name on its leases (default: see bot.store.leases).
    lease_seconds: float = Field(60.0, ge=3, le=3600, validation_alias="VEILLE_LEASE_SECONDS")
    worker_id: str | None = Field(None, min_length=1, max_length=200, validation_alias="VEILLE_WORKER_ID")

    telegram_bot_token: str | None = Field(None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: str = Field("https://api.telegram.org", validation_alias="TELEGRAM_API_URL")
    telegram_webhook_url: str | None = Field(None, validation_alias="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_port: int = Field(8443, gt=0, lt=65536, validation_alias="TELEGRAM_WEBHOOK_PORT")
    telegram_webhook_secret: str | None = Field(None, validation_alias="TELEGRAM_WEBHOOK_SECRET")
    telegram_webhook_listen: str = Field("0.0.0.0", validation_alias="TELEGRAM_WEBHOOK_LISTEN")

    discord_bot_token: str | None = Field(None, validation_alias="DISCORD_BOT_TOKEN")
    discord_api_url: str = Field("https://discord.com/api/v10", validation_alias="DISCORD_API_URL")
    discord_gateway_url: str | None = Field(None, validation_alias="DISCORD_GATEWAY_URL")
    discord_guild_id: int | None = Field(None, validation_alias=AliasChoices("DISCORD_GUILD_ID", "DISCORD_SYNC_GUILD"))

    # Optional model-written summaries (bot.llm); unset URL: everything stays offline.
    llm_url: str | None = Field(None, validation_alias="VEILLE_LLM_URL")
    llm_model: str = Field("", validation_alias="VEILLE_LLM_MODEL", validate_default=True)
    llm_api_key: str | None = Field(None, validation_alias="VEILLE_LLM_API_KEY")
    llm_timeout: float = Field(20.0, gt=0, le=300, validation_alias="VEILLE_LLM_TIMEOUT")
    llm_concurrency: int = Field(2, gt=0, le=32, validation_alias="VEILLE_LLM_CONCURRENCY")
    llm_daily_limit: int | None = Field(None, ge=0, validation_alias="VEILLE_LLM_DAILY_LIMIT")

    @field_validator("db", mode="before")
    @classmethod
    def _path_or_postgres_url(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        if "://" not in value:
            return Path(value)
        if not value.startswith(POSTGRES_SCHEMES):  # the message never repeats a password
            raise ValueError("use a file path or a postgresql://user:password@host:port/database URL")
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  # raises on a port that is not a number
        except ValueError:
            raise ValueError("the postgresql:// URL cannot be read (check its port)") from None
        if not parts.hostname or not parts.path.strip("/"):
            raise ValueError("a postgresql:// URL needs a host and a database: postgresql://user@host:5432/veille")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if open_zone(value) is None:  # "Europe" is a folder: ZoneInfo raises IsADirectoryError
            raise ValueError(f"unknown time zone {value[:64]!r}")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"unknown log level {value!r}: use one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("admins")
    @classmethod
    def _admin_ids(cls, value: str) -> str:
        parse_admins(value)  # raises ValueError naming the bad entry
        return value

    @property
    def admin_ids(self) -> frozenset[str]:
        """Return the operators allowed `/stats`, as "platform:user_id"."""
        return parse_admins(self.admins)

    @field_validator("poll_interval", "min_interval", mode="before")
    @classmethod
    def _seconds_as_number(cls, value: object) -> object:
        seconds = parse_number(value, max_digits=9) if isinstance(value, str) else None
        if seconds is not None:
            return seconds
        return value

    @field_validator("poll_interval")
    @classmethod
    def _sane_interval(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=10):
            raise ValueError("must be at least 10 seconds")
        return value

    @field_validator("min_interval")
    @classmethod
    def _sane_minimum(cls, value: timedelta) -> timedelta:
        if not timedelta(seconds=10) <= value <= timedelta(hours=24):
            raise ValueError("must be between 10 seconds and 24 hours")
        return value

    @field_validator("telegram_api_url", "discord_api_url", "discord_gateway_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://", "ws://", "wss://")):
            raise ValueError("must start with http(s):// or ws(s)://")
        return value.rstrip("/") if value else value

    @field_validator("llm_url")
    @classmethod
    def _llm_http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @field_validator("llm_model")
    @classmethod
    def _llm_model_named(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("llm_url") and not value.strip():
            raise ValueError("required when VEILLE_LLM_URL is set (the model's name on that server)")
        return value.strip()

    @field_validator(
        "telegram_bot_token", "discord_bot_token", "telegram_webhook_url", "metrics_port", "llm_url", "llm_api_key",
        "llm_daily_limit",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


def _setting_name(field_name: str) -> str:
    """Map a pydantic field name back to the environment variable a user sets."""
    if field_name.isupper():  # pydantic already reports the alias
        return field_name
    info = Settings.model_fields.get(field_name)
    alias = info.validation_alias if info else None
    if isinstance(alias, str):
        return alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return field_name.upper()


def load_settings(**overrides: object) -> Settings:
    """Read settings, or raise `ConfigError` with one line naming the bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # overrides are validated by pydantic
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        name = _setting_name(field)
        message = f"invalid setting {name}: {first['msg']}"
        raise ConfigError(message, french=f"Réglage invalide {name} : {first['msg']}") from None
