"""Where settings come from: stack config > environment variable > default.

Stack config is what the Pulumi engine hands to a provider (namespaced keys such as
``launchdarkly:accessToken`` for the dynamic provider, ``launchdarkly-experiments:accessToken``
for the native one; secrets already unwrapped). Settings are read once per provider host process
and kept only in memory: never pickled into ``__provider``, never in state. They remember the
namespace they were read under, so that every message names the key the user would set.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

from .errors import ConfigurationError

DEFAULT_API_HOST = "https://app.launchdarkly.com"
#: The stack-config namespace of the dynamic provider (``launchdarkly:accessToken``).
DYNAMIC_NAMESPACE = "launchdarkly"
_T = TypeVar("_T")


@dataclass(frozen=True)
class Setting:
    """One setting: its property name, its environment variable and its default."""

    name: str
    config_name: str  # camelCase, after the namespace: launchdarkly:<config_name>
    env_var: str
    default: str | None
    description: str

    @property
    def config_key(self) -> str:
        """The dynamic provider's stack-config key (``launchdarkly:accessToken``)."""
        return self.key_in(DYNAMIC_NAMESPACE)

    def key_in(self, namespace: str) -> str:
        return f"{namespace}:{self.config_name}"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "access_token",
        "accessToken",
        "LAUNCHDARKLY_ACCESS_TOKEN",
        None,
        "LaunchDarkly API access token (set it with `pulumi config set --secret`).",
    ),
    Setting(
        "api_host",
        "apiHost",
        "LAUNCHDARKLY_API_HOST",
        DEFAULT_API_HOST,
        "Base URL: https://app.launchdarkly.com, https://app.launchdarkly.us (federal), "
        "https://app.eu.launchdarkly.com (EU) or an emulator URL.",
    ),
    Setting(
        "project_key",
        "projectKey",
        "LAUNCHDARKLY_PROJECT_KEY",
        None,
        "Default project key for experiments that do not set project_key.",
    ),
    Setting(
        "environment_key",
        "environmentKey",
        "LAUNCHDARKLY_ENVIRONMENT_KEY",
        None,
        "Default environment key for experiments that do not set environment_key.",
    ),
    Setting(
        "request_timeout",
        "requestTimeout",
        "LAUNCHDARKLY_REQUEST_TIMEOUT",
        "30",
        "Seconds to wait for one HTTP answer before treating it as failed.",
    ),
    Setting(
        "retry_deadline",
        "retryDeadline",
        "LAUNCHDARKLY_RETRY_DEADLINE",
        "120",
        "Seconds one operation may spend retrying 429, 5xx and connection failures.",
    ),
    Setting(
        "max_concurrent_requests",
        "maxConcurrentRequests",
        "LAUNCHDARKLY_MAX_CONCURRENT_REQUESTS",
        "4",
        "Most HTTP requests in flight at once from one provider host.",
    ),
    Setting(
        "log_level",
        "logLevel",
        "LAUNCHDARKLY_LOG_LEVEL",
        "warning",
        "Provider log level on stderr (debug, info, warning, error); debug logs every request "
        "with the Authorization header redacted.",
    ),
    Setting(
        "validate_references",
        "validateReferences",
        "LAUNCHDARKLY_VALIDATE_REFERENCES",
        "auto",
        "Look up referenced flags, variations, rules, metrics, holdouts, ... at check: auto "
        "(when a token is available), always, never.",
    ),
    Setting(
        "maintainer_id",
        "maintainerId",
        "LAUNCHDARKLY_MAINTAINER_ID",
        None,
        "Member id recorded as maintainer when an experiment that does not set maintainerId "
        "is created. Needed with a service token (LaunchDarkly has no member behind one).",
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
    maintainer_id: str | None = None
    #: The stack-config namespace these settings were read under, for messages.
    namespace: str = DYNAMIC_NAMESPACE

    def key(self, name: str) -> str:
        """The stack-config key of setting ``name`` under this provider's namespace."""
        return _setting(name).key_in(self.namespace)

    def where_to_set(self, name: str) -> str:
        """Both places a setting can be given: its stack-config key and its variable."""
        setting = _setting(name)
        return f"{setting.key_in(self.namespace)} / {setting.env_var}"

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
                f"`pulumi config set --secret {self.key('access_token')} <token>` "
                "or the LAUNCHDARKLY_ACCESS_TOKEN environment variable",
                settings=("access_token",),
            )
        return self.access_token


def resolve_settings(
    config: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    namespace: str = DYNAMIC_NAMESPACE,
) -> Settings:
    """Resolve every setting: stack config first, then environment variables, then defaults.

    ``config`` keys are ``<namespace>:<property>``; messages name settings the same way.
    """
    config = config or {}
    environ = environ if environ is not None else {}
    raw: dict[str, str | None] = {}
    for setting in SETTINGS:
        value = config.get(setting.key_in(namespace))
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
        api_host=valid(
            lambda: _api_host(raw["api_host"] or DEFAULT_API_HOST, namespace), DEFAULT_API_HOST
        ),
        project_key=raw["project_key"],
        environment_key=raw["environment_key"],
        request_timeout=valid(
            lambda: _positive_number("request_timeout", raw["request_timeout"], namespace), 30.0
        ),
        retry_deadline=valid(
            lambda: _positive_number(
                "retry_deadline", raw["retry_deadline"], namespace, allow_zero=True
            ),
            120.0,
        ),
        max_concurrent_requests=valid(
            lambda: int(
                _positive_number(
                    "max_concurrent_requests", raw["max_concurrent_requests"], namespace
                )
            ),
            4,
        ),
        log_level=valid(lambda: _log_level(raw["log_level"] or "warning", namespace), "warning"),
        validate_references=valid(
            lambda: _validate_references(raw["validate_references"] or "auto", namespace), "auto"
        ),
        maintainer_id=raw["maintainer_id"],
        namespace=namespace,
    )
    if problems:
        raise ConfigurationError("; ".join(problems))
    return settings


def _setting(name: str) -> Setting:
    return next(s for s in SETTINGS if s.name == name)


_LOG_LEVELS = ("debug", "info", "warning", "error")


def _names(name: str, namespace: str) -> str:
    setting = _setting(name)
    return f"{setting.key_in(namespace)} / {setting.env_var}"


def _log_level(value: str, namespace: str) -> str:
    level = value.strip().lower()
    if level not in _LOG_LEVELS:
        raise ConfigurationError(
            f"{_names('log_level', namespace)} must be one of {', '.join(_LOG_LEVELS)}, "
            f"got {value!r}"
        )
    return level


def _validate_references(value: str, namespace: str) -> str:
    choice = value.strip().lower()
    if choice not in VALIDATE_REFERENCES:
        raise ConfigurationError(
            f"{_names('validate_references', namespace)} must be one of "
            f"{', '.join(VALIDATE_REFERENCES)}, got {value!r}"
        )
    return choice


def _api_host(value: str, namespace: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"{_names('api_host', namespace)} must be an http(s) URL such as "
            f"{DEFAULT_API_HOST}, got {value!r}"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _positive_number(
    name: str, value: str | None, namespace: str, *, allow_zero: bool = False
) -> float:
    try:
        number = float(value if value is not None else "")
    except ValueError:
        number = math.nan
    if math.isnan(number) or math.isinf(number) or number < 0 or (number == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "more than zero"
        raise ConfigurationError(
            f"{_names(name, namespace)} must be a number {bound}, got {value!r}"
        )
    return number
