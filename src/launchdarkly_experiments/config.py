"""Where settings come from: stack config > environment variable > default.

Stack config is what the Pulumi engine hands to a provider (namespaced keys such as
``launchdarkly:accessToken`` for the dynamic provider, ``launchdarkly-experiments:accessToken``
for the native one; secrets already unwrapped). Settings are read once per provider host process
and kept only in memory: never pickled into ``__provider``, never in state. They remember the
namespace they were read under, so that every message names the key the user would set.

``SETTINGS`` is the one table of settings: each row's default and parser are the only ones (the
``Settings`` defaults, the native schema and the README's table are read from it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigurationError, Problem

DEFAULT_API_HOST = "https://app.launchdarkly.com"
#: The stack-config namespace of the dynamic provider (``launchdarkly:accessToken``).
DYNAMIC_NAMESPACE = "launchdarkly"
VALIDATE_REFERENCES = ("auto", "always", "never")
LOG_LEVELS = ("debug", "info", "warning", "error")


def _text(value: str) -> str:
    return value


def _api_host(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an http(s) URL such as {DEFAULT_API_HOST}")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _number(*, allow_zero: bool) -> Callable[[str], float]:
    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if (
            math.isnan(number)
            or math.isinf(number)
            or number < 0
            or (number == 0 and not allow_zero)
        ):
            raise ValueError(
                f"must be a number {'zero or more' if allow_zero else 'more than zero'}"
            )
        return number

    return parse


def _count(value: str) -> int:
    return int(_number(allow_zero=False)(value))


def _one_of(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        choice = value.strip().lower()
        if choice not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return choice

    return parse


@dataclass(frozen=True)
class Setting:
    """One setting: its names, its default (as text) and how its text is read."""

    name: str  # the ``Settings`` attribute
    config_name: str  # camelCase, after the namespace: launchdarkly:<config_name>
    env_var: str
    default: str | None
    description: str
    parse: Callable[[str], Any] = _text
    schema_type: str = "string"  # its type in the native provider's schema
    secret: bool = False

    @property
    def config_key(self) -> str:
        """The dynamic provider's stack-config key (``launchdarkly:accessToken``)."""
        return self.key_in(DYNAMIC_NAMESPACE)

    def key_in(self, namespace: str) -> str:
        return f"{namespace}:{self.config_name}"

    def default_value(self) -> Any:
        return None if self.default is None else self.parse(self.default)


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "access_token",
        "accessToken",
        "LAUNCHDARKLY_ACCESS_TOKEN",
        None,
        "LaunchDarkly API access token (set it with `pulumi config set --secret`).",
        secret=True,
    ),
    Setting(
        "api_host",
        "apiHost",
        "LAUNCHDARKLY_API_HOST",
        DEFAULT_API_HOST,
        "Base URL: https://app.launchdarkly.com, https://app.launchdarkly.us (federal), "
        "https://app.eu.launchdarkly.com (EU) or an emulator URL.",
        parse=_api_host,
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
        parse=_number(allow_zero=False),
        schema_type="number",
    ),
    Setting(
        "retry_deadline",
        "retryDeadline",
        "LAUNCHDARKLY_RETRY_DEADLINE",
        "120",
        "Seconds one operation may spend retrying 429, 5xx and connection failures.",
        parse=_number(allow_zero=True),
        schema_type="number",
    ),
    Setting(
        "max_concurrent_requests",
        "maxConcurrentRequests",
        "LAUNCHDARKLY_MAX_CONCURRENT_REQUESTS",
        "4",
        "Most HTTP requests in flight at once from one provider host.",
        parse=_count,
        schema_type="integer",
    ),
    Setting(
        "log_level",
        "logLevel",
        "LAUNCHDARKLY_LOG_LEVEL",
        "warning",
        "Provider log level on stderr (debug, info, warning, error); debug logs every request "
        "with the Authorization header redacted.",
        parse=_one_of(LOG_LEVELS),
    ),
    Setting(
        "validate_references",
        "validateReferences",
        "LAUNCHDARKLY_VALIDATE_REFERENCES",
        "auto",
        "Look up referenced flags, variations, rules, metrics, holdouts, ... at check: auto "
        "(when a token is available), always, never.",
        parse=_one_of(VALIDATE_REFERENCES),
    ),
    Setting(
        "maintainer_id",
        "maintainerId",
        "LAUNCHDARKLY_MAINTAINER_ID",
        None,
        "Member id recorded as maintainer when an experiment, metric or metric group that does "
        "not set maintainerId is created. Needed with a service token (LaunchDarkly has no "
        "member behind one).",
    ),
)
_BY_NAME = {setting.name: setting for setting in SETTINGS}


def _default(name: str) -> Any:
    return field(default_factory=_BY_NAME[name].default_value)


@dataclass(frozen=True)
class Settings:
    """Resolved settings; ``Settings()`` holds the defaults. ``repr`` never shows the token."""

    access_token: str | None = field(default=None, repr=False)
    api_host: str = _default("api_host")
    project_key: str | None = None
    environment_key: str | None = None
    request_timeout: float = _default("request_timeout")
    retry_deadline: float = _default("retry_deadline")
    max_concurrent_requests: int = _default("max_concurrent_requests")
    log_level: str = _default("log_level")
    validate_references: str = _default("validate_references")
    maintainer_id: str | None = None
    #: The stack-config namespace these settings were read under, for messages.
    namespace: str = DYNAMIC_NAMESPACE

    def key(self, name: str) -> str:
        """The stack-config key of setting ``name`` under this provider's namespace."""
        return _BY_NAME[name].key_in(self.namespace)

    def where_to_set(self, name: str) -> str:
        """Both places a setting can be given: its stack-config key and its variable."""
        return _names(_BY_NAME[name], self.namespace)

    def references_checked(self) -> bool:
        """Whether check looks references up: always, never, or (auto) when a token is set."""
        if self.validate_references == "always":
            return True
        if self.validate_references == "never":
            return False
        return bool(self.access_token)

    def require_token(self) -> str:
        if not self.access_token:
            setting = _BY_NAME["access_token"]
            raise ConfigurationError(
                [
                    Problem(
                        setting.config_name,
                        "no LaunchDarkly access token: set it with "
                        f"`pulumi config set --secret {self.key('access_token')} <token>` "
                        f"or the {setting.env_var} environment variable",
                    )
                ]
            )
        return self.access_token


def _names(setting: Setting, namespace: str) -> str:
    return f"{setting.key_in(namespace)} / {setting.env_var}"


def resolve_settings(
    config: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    namespace: str = DYNAMIC_NAMESPACE,
) -> Settings:
    """Resolve every setting: stack config first, then environment variables, then defaults.

    ``config`` keys are ``<namespace>:<config_name>``. Every invalid setting is reported at
    once: ``ConfigurationError.problems`` has one ``Problem`` per setting, at its
    ``config_name``, with a message naming its key and variable.
    """
    config = config or {}
    environ = environ if environ is not None else {}
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for setting in SETTINGS:
        raw = config.get(setting.key_in(namespace))
        if raw is None or raw == "":
            raw = environ.get(setting.env_var) or None
        if raw is None:
            values[setting.name] = setting.default_value()
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:  # the parsers say what is allowed; the setting is named here
            problems.append(
                Problem(setting.config_name, f"{_names(setting, namespace)} {exc}, got {raw!r}")
            )
    if problems:
        raise ConfigurationError(problems)
    return Settings(**values, namespace=namespace)
