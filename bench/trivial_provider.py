"""A provider that imports nothing of ours: the start-up baseline for bench/run.py."""

from __future__ import annotations

import functools
from typing import Any

import pulumi
from pulumi import CustomResource
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, Resource, ResourceProvider
from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider


class TrivialProvider(ResourceProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, [])


class NoOpProvider(TrivialProvider):
    """Creates, updates and deletes nothing anywhere: the engine's own cost per resource."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"noop-{props.get('name', '')}", props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = {k for k in set(olds) | set(news) if olds.get(k) != news.get(k)}
        return DiffResult(changes=bool(changed - {"__provider"}))


_NOOP = NoOpProvider()


@functools.cache
def _noop_blob() -> str:
    blob: str = serialize_provider(_NOOP)
    return blob


class NoOp(Resource, module="bench", name="NoOp"):
    """A dynamic resource served by :class:`NoOpProvider` (the baseline of bench/real_cli.py).

    Registered like ``Experiment``: the provider serialized once per process (the SDK's
    serializer fails past about 980 calls in one process), the blob a secret.
    """

    def __init__(self, name: str, props: dict[str, Any], *, untracked: bool = False) -> None:
        inputs = {"name": name, **props, PROVIDER_KEY: pulumi.Output.secret(_noop_blob())}
        CustomResource.__init__(self, f"pulumi-python:{self._resource_type_name}", name, inputs)
        if untracked:  # the attributes left to their registration, as ours are
            for key in inputs:
                self.__dict__[key]._untrack()
