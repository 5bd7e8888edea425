"""Where settings come from: stack config > environment variable > default.

Stack config is what the Pulumi engine hands to ``ResourceProvider.configure`` (namespaced keys
such as ``launchdarkly:accessToken``, secrets already unwrapped). Settings are read once per
provider host process and kept only in memory: never pickled into ``__provider``, never in state.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

from .errors import ConfigurationError

DEFAULT_API_HOST = "https://app.launchdarkly.com"
_T = TypeVar("_T")


@dataclass(frozen=True)
class Setting:
    """One setting: its stack-config key, its environment variable and its default."""

    name: str
    config_key: str
    env_var: str
    default: str | None
    description: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "access_token",
        "launchdarkly:accessToken",
        "LAUNCHDARKLY_ACCESS_TOKEN",
        None,
        "LaunchDarkly API access token (set it with `pulumi config set --secret`).",
    ),
    Setting(
        "api_host",
        "launchdarkly:apiHost",
        "LAUNCHDARKLY_API_HOST",
        DEFAULT_API_HOST,
        "Base URL: https://app.launchdarkly.com, https://app.launchdarkly.us (federal), "
        "https://app.eu.launchdarkly.com (EU) or an emulator URL.",
    ),
    Setting(
        "project_key",
        "launchdarkly:projectKey",
        "LAUNCHDARKLY_PROJECT_KEY",
        None,
        "Default project key for experiments that do not set project_key.",
    ),
    Setting(
        "environment_key",
        "launchdarkly:environmentKey",
        "LAUNCHDARKLY_ENVIRONMENT_KEY",
        None,
        "Default environment key for experiments that do not set environment_key.",
    ),
    Setting(
        "request_timeout",
        "launchdarkly:requestTimeout",
        "LAUNCHDARKLY_REQUEST_TIMEOUT",
        "30",
        "Seconds to wait for one HTTP answer before treating it as failed.",
    ),
    Setting(
        "retry_deadline",
        "launchdarkly:retryDeadline",
        "LAUNCHDARKLY_RETRY_DEADLINE",
        "120",
        "Seconds one operation may spend retrying 429, 5xx and connection failures.",
    ),
    Setting(
        "max_concurrent_requests",
        "launchdarkly:maxConcurrentRequests",
        "LAUNCHDARKLY_MAX_CONCURRENT_REQUESTS",
        "4",
        "Most HTTP requests in flight at once from one provider host.",
    ),
    Setting(
        "log_level",
        "launchdarkly:logLevel",
        "LAUNCHDARKLY_LOG_LEVEL",
        "warning",
        "Provider log level on stderr (debug, info, warning, error); debug logs every request "
        "with the Authorization header redacted.",
    ),
    Setting(
        "validate_references",
        "launchdarkly:validateReferences",
        "LAUNCHDARKLY_VALIDATE_REFERENCES",
        "auto",
        "Look up referenced flags, variations, rules, metrics, holdouts, ... at check: auto "
        "(when a token is available), always, never.",
    ),
)

VALIDATE_REFERENCES = ("auto", "always", "never")


@dataclass(frozen=True)
class Settings:
    """Resolved settings. ``repr`` never shows the token."""

    access_token: str | None = field(default=None, repr=False)
    api_host: str = DEFAULT_API_HOST
    project_key: str | None = None
    environment_key: str | None = None
    request_timeout: float = 30.0
    retry_deadline: float = 120.0
    max_concurrent_requests: int = 4
    log_level: str = "warning"
    validate_references: str = "auto"

    def references_checked(self) -> bool:
        """Whether check looks references up: always, never, or (auto) when a token is set."""
        if self.validate_references == "always":
            return True
        if self.validate_references == "never":
            return False
        return bool(self.access_token)

    def require_token(self) -> str:
        if not self.access_token:
            raise ConfigurationError(
                "no LaunchDarkly access token: set it with "
                "`pulumi config set --secret launchdarkly:accessToken <token>` "
                "or the LAUNCHDARKLY_ACCESS_TOKEN environment variable"
            )
        return self.access_token


def resolve_settings(
    config: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve every setting: stack config first, then environment variables, then defaults."""
    config = config or {}
    environ = environ if environ is not None else {}
    raw: dict[str, str | None] = {}
    for setting in SETTINGS:
        value = config.get(setting.config_key)
        if value is None or value == "":
            value = environ.get(setting.env_var) or None
        raw[setting.name] = value if value is not None else setting.default

    # Every invalid setting is reported, in one line, not only the first.
    problems: list[str] = []

    def valid(parse: Callable[[], _T], fallback: _T) -> _T:
        try:
            return parse()
        except ConfigurationError as exc:
            problems.append(str(exc))
            return fallback

    settings = Settings(
        access_token=raw["access_token"],
        api_host=valid(lambda: _api_host(raw["api_host"] or DEFAULT_API_HOST), DEFAULT_API_HOST),
        project_key=raw["project_key"],
        environment_key=raw["environment_key"],
        request_timeout=valid(
            lambda: _positive_number("request_timeout", raw["request_timeout"]), 30.0
        ),
        retry_deadline=valid(
            lambda: _positive_number("retry_deadline", raw["retry_deadline"], allow_zero=True),
            120.0,
        ),
        max_concurrent_requests=valid(
            lambda: int(
                _positive_number("max_concurrent_requests", raw["max_concurrent_requests"])
            ),
            4,
        ),
        log_level=valid(lambda: _log_level(raw["log_level"] or "warning"), "warning"),
        validate_references=valid(
            lambda: _validate_references(raw["validate_references"] or "auto"), "auto"
        ),
    )
    if problems:
        raise ConfigurationError("; ".join(problems))
    return settings


def _setting(name: str) -> Setting:
    return next(s for s in SETTINGS if s.name == name)


_LOG_LEVELS = ("debug", "info", "warning", "error")


def _log_level(value: str) -> str:
    level = value.strip().lower()
    if level not in _LOG_LEVELS:
        setting = _setting("log_level")
        raise ConfigurationError(
            f"{setting.config_key} / {setting.env_var} must be one of {', '.join(_LOG_LEVELS)}, "
            f"got {value!r}"
        )
    return level


def _validate_references(value: str) -> str:
    choice = value.strip().lower()
    if choice not in VALIDATE_REFERENCES:
        setting = _setting("validate_references")
        raise ConfigurationError(
            f"{setting.config_key} / {setting.env_var} must be one of "
            f"{', '.join(VALIDATE_REFERENCES)}, got {value!r}"
        )
    return choice


def _api_host(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        setting = _setting("api_host")
        raise ConfigurationError(
            f"{setting.config_key} / {setting.env_var} must be an http(s) URL such as "
            f"{DEFAULT_API_HOST}, got {value!r}"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _positive_number(name: str, value: str | None, *, allow_zero: bool = False) -> float:
    setting = _setting(name)
    try:
        number = float(value if value is not None else "")
    except ValueError:
        number = math.nan
    if math.isnan(number) or math.isinf(number) or number < 0 or (number == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "more than zero"
        raise ConfigurationError(
            f"{setting.config_key} / {setting.env_var} must be a number {bound}, got {value!r}"
        )
    return number
