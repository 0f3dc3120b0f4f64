"""Settings from the environment (and an optional .env file), validated once at start-up."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError
from bot.policy.durations import Duration
from bot.targets import TargetRules

ADMIN_TOKEN_MIN = 32
PLACEHOLDERS = {"changeme", "change-me", "xoxb-your-token", "your-signing-secret", "todo"}


class Settings(BaseSettings):
    """Every setting Countersign reads. Field names map to upper-case env vars (see README)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = "sqlite:///./countersign.db"
    policies_dir: Path = Field(
        Path("./policies"), validation_alias=AliasChoices("COUNTERSIGN_POLICIES", "policies_dir")
    )
    timezone: str = Field("UTC", validation_alias=AliasChoices("COUNTERSIGN_TIMEZONE", "timezone"))
    public_url: str = Field(
        "http://127.0.0.1:8000", validation_alias=AliasChoices("COUNTERSIGN_PUBLIC_URL", "public_url")
    )
    sweep_seconds: float = Field(2.0, gt=0, validation_alias=AliasChoices("COUNTERSIGN_SWEEP_SECONDS", "sweep_seconds"))
    lease_seconds: float = Field(
        300.0, gt=0, validation_alias=AliasChoices("COUNTERSIGN_LEASE_SECONDS", "lease_seconds")
    )
    max_body_bytes: int = Field(
        262_144, gt=0, validation_alias=AliasChoices("COUNTERSIGN_MAX_BODY_BYTES", "max_body_bytes")
    )
    log_level: str = Field("INFO", validation_alias=AliasChoices("COUNTERSIGN_LOG_LEVEL", "log_level"))
    log_format: str = Field("console", validation_alias=AliasChoices("COUNTERSIGN_LOG_FORMAT", "log_format"))
    scheduler_enabled: bool = Field(True, validation_alias=AliasChoices("COUNTERSIGN_SCHEDULER", "scheduler_enabled"))
    # Outbound HTTP reaches public addresses only, plus these CIDRs and host names (see bot/targets.py).
    allowed_targets: str = Field("", validation_alias=AliasChoices("COUNTERSIGN_ALLOWED_TARGETS", "allowed_targets"))
    # A request's headers, and then its body, must arrive within this many seconds (slow clients cannot pin
    # connections); see bot/serving.py.
    read_timeout_seconds: float = Field(
        10.0, gt=0, validation_alias=AliasChoices("COUNTERSIGN_READ_TIMEOUT", "read_timeout_seconds")
    )
    # Long-polls (GET /proposals/{id}/wait) one agent may hold open at once in each process; beyond: 429.
    max_waits_per_agent: int = Field(
        100, gt=0, validation_alias=AliasChoices("COUNTERSIGN_MAX_WAITS_PER_AGENT", "max_waits_per_agent")
    )
    # A PEM file holding the receipt signing key (created on first start if missing); unset: kept in the database.
    signing_key: Path | None = Field(None, validation_alias=AliasChoices("COUNTERSIGN_SIGNING_KEY", "signing_key"))
    # The bearer token for admin endpoints (audit export); unset: those endpoints are off.
    admin_token: str | None = Field(None, validation_alias=AliasChoices("COUNTERSIGN_ADMIN_TOKEN", "admin_token"))

    # The one Slack installation requests may come from: every interaction's team, enterprise and app id must
    # match. Unset ones are learnt from auth.test on the first request.
    slack_team_id: str | None = None
    slack_enterprise_id: str | None = None
    slack_app_id: str | None = None
    # How long a user-group list Slack cannot refresh may still be used; after that, decisions through the group
    # are refused (fail closed) until Slack answers again.
    group_cache_max_stale: Duration = Field(
        timedelta(hours=1),
        validation_alias=AliasChoices("COUNTERSIGN_GROUP_CACHE_MAX_STALE", "group_cache_max_stale"),
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Paris)") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if value.startswith("postgresql://"):  # psycopg 3 is the driver we ship; say so explicitly
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        if not value.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        return value

    @field_validator("allowed_targets")
    @classmethod
    def _allowed_targets(cls, value: str) -> str:
        TargetRules.parse(value)  # raises ValueError naming the bad entry
        return value

    @field_validator("admin_token")
    @classmethod
    def _long_admin_token(cls, value: str | None) -> str | None:
        if value is not None and len(value.strip()) < ADMIN_TOKEN_MIN:
            raise ValueError(
                f"must be at least {ADMIN_TOKEN_MIN} characters (for example: python3 -c "
                "'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value not in {"console", "json"}:
            raise ValueError("must be 'console' or 'json'")
        return value

    @model_validator(mode="after")
    def _slack_pair(self) -> Settings:
        for name in ("slack_bot_token", "slack_signing_secret", "slack_app_token"):
            if (getattr(self, name) or "").lower() in PLACEHOLDERS:
                raise ValueError(f"{name.upper()} is still a placeholder value")
        if bool(self.slack_bot_token) != bool(self.slack_signing_secret):
            missing = "SLACK_SIGNING_SECRET" if self.slack_bot_token else "SLACK_BOT_TOKEN"
            raise ValueError(f"{missing} is required when the other Slack credential is set")
        if self.slack_bot_token and not self.slack_bot_token.startswith("xoxb-"):
            raise ValueError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        if self.slack_app_token and not self.slack_app_token.startswith("xapp-"):
            raise ValueError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
        return self

    @property
    def slack_enabled(self) -> bool:
        """True when Slack credentials are configured."""
        return bool(self.slack_bot_token)

    @property
    def targets(self) -> TargetRules:
        """COUNTERSIGN_ALLOWED_TARGETS as rules for outbound HTTP."""
        return TargetRules.parse(self.allowed_targets)

    @property
    def zone(self) -> ZoneInfo:
        """COUNTERSIGN_TIMEZONE as a tzinfo."""
        return ZoneInfo(self.timezone)


ENV_NAMES = {
    "policies_dir": "COUNTERSIGN_POLICIES",
    "timezone": "COUNTERSIGN_TIMEZONE",
    "public_url": "COUNTERSIGN_PUBLIC_URL",
    "sweep_seconds": "COUNTERSIGN_SWEEP_SECONDS",
    "lease_seconds": "COUNTERSIGN_LEASE_SECONDS",
    "max_body_bytes": "COUNTERSIGN_MAX_BODY_BYTES",
    "log_level": "COUNTERSIGN_LOG_LEVEL",
    "log_format": "COUNTERSIGN_LOG_FORMAT",
    "scheduler_enabled": "COUNTERSIGN_SCHEDULER",
    "allowed_targets": "COUNTERSIGN_ALLOWED_TARGETS",
    "read_timeout_seconds": "COUNTERSIGN_READ_TIMEOUT",
    "signing_key": "COUNTERSIGN_SIGNING_KEY",
    "admin_token": "COUNTERSIGN_ADMIN_TOKEN",
    "max_waits_per_agent": "COUNTERSIGN_MAX_WAITS_PER_AGENT",
    "group_cache_max_stale": "COUNTERSIGN_GROUP_CACHE_MAX_STALE",
}


def load_settings(**overrides: Any) -> Settings:
    """Build Settings or raise ConfigError with one line naming the variable and the problem."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else ""
        name = ENV_NAMES.get(field, field.upper()) or "configuration"
        message = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name}: {message}" if field else message) from None
