"""A tiny dynamic provider used only to test :mod:`tests.support.engine`.

It lives in an importable module so dill pickles it by reference (module + class name), and the
host process imports this module to unpickle it. It keeps no client or lock on the instance.

Behaviour is driven by the inputs:

* ``configure`` prints one line (without the token) to stderr;
* ``check`` reports a failure for a ``fail`` input, adds ``greeting="hello"`` when missing, and
  records the Python type the host handed it for each input under ``seenTypes``;
* ``diff`` compares old outputs with new inputs (ignoring ``__provider`` and keys the provider
  adds); keys listed in ``replaceOn`` become ``replaces``; ``deleteBeforeReplace`` is forwarded;
  a truthy ``diffUnknown`` input returns ``DiffResult()`` (changes unknown);
* ``create``/``update`` raise ``RuntimeError(raise)`` when a ``raise`` input is set, and echo
  the inputs plus what ``configure`` saw (never the token itself: only its length);
* ``read`` reports the resource gone when the id starts with ``gone-``;
* ``delete`` appends the id to the file named by the ``deleteMarker`` output, if any.
"""

from __future__ import annotations

import sys
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

PROVIDER_KEY = "__provider"
# Outputs added by the provider, not inputs; diff ignores them.
ADDED_OUTPUTS = frozenset({"configured", "tokenLength", "apiHost", "operation", "readCount"})


def _type_name(value: Any) -> str:
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}"


def _type_tree(value: Any) -> Any:
    """The value's shape with every leaf replaced by its type name."""
    if isinstance(value, dict):
        return {k: _type_tree(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_type_tree(v) for v in value]
    return _type_name(value)


def _user_props(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != PROVIDER_KEY}


class EchoProvider(ResourceProvider):
    """Echoes inputs to outputs; see the module docstring."""

    def __init__(self, label: str = "echo") -> None:
        super().__init__()
        self.label = label

    def configure(self, req: ConfigureRequest) -> None:
        token = req.config.get("launchdarkly:accessToken")
        self._configured = token is not None
        self._token_length = len(token) if isinstance(token, str) else -1
        self._token_type = _type_name(token)
        self._api_host = req.config.get("launchdarkly:apiHost")
        print(f"echo provider configured (token present: {self._configured})", file=sys.stderr)

    def _config_outputs(self) -> dict[str, Any]:
        return {
            "configured": getattr(self, "_configured", False),
            "tokenLength": getattr(self, "_token_length", -1),
            "tokenType": getattr(self, "_token_type", ""),
            "apiHost": getattr(self, "_api_host", None),
        }

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        if "fail" in news:
            failures.append(CheckFailure("fail", f"refusing {news['fail']!r}"))
        inputs = dict(news)
        inputs.setdefault("greeting", "hello")
        inputs["seenTypes"] = _type_tree(_user_props(news))
        inputs["hadOlds"] = bool(_olds)
        return CheckResult(inputs, failures)

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        if _news.get("diffUnknown"):
            return DiffResult()
        ignored = ADDED_OUTPUTS | {PROVIDER_KEY, "tokenType"}
        keys = (set(_olds) | set(_news)) - ignored
        changed = sorted(k for k in keys if _olds.get(k) != _news.get(k))
        replace_on = set(_news.get("replaceOn") or [])
        replaces = [k for k in changed if k in replace_on]
        dbr = _news.get("deleteBeforeReplace")
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            delete_before_replace=bool(dbr) if dbr is not None else None,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        if props.get("raise"):
            raise RuntimeError(f"create exploded: {props['raise']}")
        outs = {**_user_props(props), **self._config_outputs(), "operation": "create"}
        return CreateResult(f"echo-{props.get('name', self.label)}", outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if id_.startswith("gone-"):
            return ReadResult(None, {})
        outs = {**_user_props(props), "readCount": int(props.get("readCount") or 0) + 1}
        inputs = {k: v for k, v in outs.items() if k not in ADDED_OUTPUTS and k != "tokenType"}
        return ReadResult(id_, outs, inputs)

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        if _news.get("raise"):
            raise RuntimeError(f"update exploded: {_news['raise']}")
        outs = {
            **_user_props(_news),
            **self._config_outputs(),
            "operation": "update",
            "previousGreeting": _olds.get("greeting"),
        }
        return UpdateResult(outs)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        marker = _props.get("deleteMarker")
        if marker:
            with open(marker, "a", encoding="utf-8") as fh:
                fh.write(f"{_id} operation={_props.get('operation')}\n")
