"""All configuration, read once from environment variables (and an optional ``.env``).

Every variable is listed in the README. A wrong value stops start-up with a message that
names the variable; nothing else in the code reads the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.store.db import DEFAULT_URL, normalize_url
from bot.store.enums import Role


class SettingsError(Exception):
    """A configuration value is missing or wrong; the message names the variable."""


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    return value


CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(DEFAULT_URL, alias="TIERBOT_DATABASE_URL")
    model: str = Field("default", alias="TIERBOT_MODEL")
    prospect_model: str = Field("prospect", alias="TIERBOT_PROSPECT_MODEL")
    default_role: Role | None = Field(None, alias="TIERBOT_DEFAULT_ROLE")
    reps_update_all: bool = Field(False, alias="TIERBOT_REPS_UPDATE_ALL")
    conversation_timeout_minutes: int = Field(
        30, gt=0, alias="TIERBOT_CONVERSATION_TIMEOUT_MINUTES"
    )
    # "A=slack-channel:C0KEY,telegram-chat:-1001;B=slack-channel:C0B": moves into or out of a tier
    alert_channels: str = Field("", alias="TIERBOT_ALERT_CHANNELS")
    digest_schedule: str = Field("MON 09:00", alias="TIERBOT_DIGEST_SCHEDULE")
    digest_grace_hours: int = Field(12, ge=0, alias="TIERBOT_DIGEST_GRACE_HOURS")
    quiet_hours: str = Field("", alias="TIERBOT_QUIET_HOURS")  # e.g. "22:00-07:00"
    alert_summary_seconds: int = Field(60, ge=0, alias="TIERBOT_ALERT_SUMMARY_SECONDS")

    slack_bot_token: str | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_app_token: str | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_signing_secret: str | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_api_url: str | None = Field(None, alias="SLACK_API_URL")
    slack_allowed_teams: CommaList = Field(default_factory=list, alias="SLACK_ALLOWED_TEAMS")

    telegram_bot_token: str | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: str = Field("https://api.telegram.org", alias="TELEGRAM_API_URL")
    telegram_webhook_secret: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_-]{1,256}$", alias="TELEGRAM_WEBHOOK_SECRET"
    )
    telegram_allowed_chats: CommaList = Field(default_factory=list, alias="TELEGRAM_ALLOWED_CHATS")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        url = normalize_url(value)  # raises ValueError, which names the variable
        file = url.database if url.get_backend_name() == "sqlite" else None
        if file and file != ":memory:" and not Path(file).expanduser().parent.is_dir():
            raise ValueError(f"the folder of the SQLite file {file} does not exist")
        return value

    @field_validator("slack_allowed_teams", "telegram_allowed_chats", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        return _split(value)

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    def alert_routes(self) -> dict[str, list[str]]:
        """Tier -> recipients that hear about every move into or out of it."""
        routes: dict[str, list[str]] = {}
        for entry in filter(None, (part.strip() for part in self.alert_channels.split(";"))):
            tier, _, recipients = entry.partition("=")
            routes[tier.strip()] = [r.strip() for r in recipients.split(",") if r.strip()]
        return routes


def load_settings(**overrides: Any) -> Settings:
    """Read the environment; raise SettingsError naming each wrong variable."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            name = ".".join(_variable(str(part)) for part in problem["loc"])
            # A validator's own message, without pydantic's "Value error, " in front.
            message = problem["msg"].removeprefix("Value error, ")
            lines.append(f"{name}: {message}")
        raise SettingsError("configuration is not valid:\n  " + "\n  ".join(lines)) from None


def _variable(field: str) -> str:
    """The environment variable behind a setting (given by its field name in code)."""
    found = Settings.model_fields.get(field)
    return found.alias if found is not None and found.alias else field
