"""Kinds whose objects LaunchDarkly changes by JSON Patch (RFC 6902): metrics, metric groups.

Such a kind is CRUD over one collection path (POST) and one object path (GET, PATCH, DELETE):
``Endpoint``. ``JsonPatchKind`` implements the operations of ``ResourceKind`` over it, with the
reliability of ``kinds.operations``; a kind declares its models and fills in four hooks:

* ``endpoint(address)``: where its objects live (and the headers they need: a beta route's);
* ``create_body(spec, desired)``: the POST body (the declared form and what the API needs that a
  declaration may leave out, such as a default maintainer);
* ``live_form(rep, address, hint)``: the declared form of a live object, what a user would write
  to get it, with the fields the user did not declare left out (``hint`` is the last declared
  form; empty for an import);
* ``computed(rep)``: the computed outputs.

An update is one JSON Patch computed from the declared forms (``patch_operations``): what state
says is live against what is declared, one operation per top-level field that differs. When
that PATCH's outcome is unknown, or it conflicts, or LaunchDarkly refuses a patch planned from
state that may be stale, the object is read and the patch planned again from what is live, so
nothing is applied twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import ValidationError

from ...errors import ChangeRefused
from ...http.client import LaunchDarklyClient
from ..kind import Observed, ResourceKind, SpecT, Written
from .operations import (
    Origin,
    converge,
    create_once,
    delete_confirmed,
    exists_error,
    operation_errors,
    read_or_none,
)

logger = logging.getLogger(__name__)

JSON = dict[str, Any]


# -- the patch ---------------------------------------------------------------------------------


def pointer(name: str) -> str:
    """The JSON Pointer (RFC 6901) of a top-level field."""
    return "/" + name.replace("~", "~0").replace("/", "~1")


def patch_operations(
    live: Mapping[str, Any],
    desired: Mapping[str, Any],
    *,
    fields: Collection[str],
    api_defaults: Mapping[str, Any] | None = None,
    kept: Collection[str] = (),
    values: Mapping[str, Any] | None = None,
) -> list[JSON]:
    """The JSON Patch turning ``live``'s ``fields`` into ``desired``'s (both declared forms):
    ``add`` for a field only declared now, ``replace`` for one that changed, ``remove`` for one
    no longer declared; a field LaunchDarkly holds a default for (``api_defaults``) is set back
    to it rather than removed, and a field LaunchDarkly fills in when left out (``kept``: a
    maintainer) is left as it is. ``values``: ``desired`` as the API takes it, where that
    differs (defaults a declaration may leave out filled in)."""
    defaults = api_defaults or {}
    sent = values if values is not None else desired
    operations: list[JSON] = []
    for name in fields:
        if name in desired:
            if name not in live:
                operations.append({"op": "add", "path": pointer(name), "value": sent[name]})
            elif live[name] != desired[name]:
                operations.append({"op": "replace", "path": pointer(name), "value": sent[name]})
        elif name in live and name not in kept:
            if name in defaults:
                operations.append({"op": "replace", "path": pointer(name), "value": defaults[name]})
            else:
                operations.append({"op": "remove", "path": pointer(name)})
    return operations


# -- the endpoints -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One object's routes: ``collection`` (POST) and ``item`` (GET, PATCH, DELETE), with the
    ``headers`` every request needs (``LD-API-Version: beta`` for a beta route)."""

    client: LaunchDarklyClient
    collection: str
    item: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def post(self, body: Mapping[str, Any]) -> JSON:
        return dict(self.client.request("POST", self.collection, json=body, headers=self.headers))

    def get(self) -> JSON:
        return dict(self.client.request("GET", self.item, headers=self.headers))

    def patch(self, operations: list[JSON]) -> JSON:
        answer = self.client.request("PATCH", self.item, json=operations, headers=self.headers)
        return dict(answer)

    def delete(self) -> None:
        self.client.request("DELETE", self.item, headers=self.headers)


def patch_to_match(
    endpoint: Endpoint,
    live: Mapping[str, Any],
    desired: Mapping[str, Any],
    *,
    plan: Callable[[Mapping[str, Any], Mapping[str, Any]], list[JSON]],
    live_form: Callable[[JSON], JSON],
    fresh: JSON | None = None,
) -> JSON:
    """PATCH until the object matches ``desired``; its last answer (or read).

    ``live`` is the declared form of what is live: read just now (``fresh``, its answer) or
    recorded in state (perhaps stale). ``operations.converge`` holds the control flow: nothing
    to change is the answer read (or one GET, so that state matches the server); an unknown
    outcome or a conflict reads and plans again; a refusal of a patch planned from state is
    planned again from what is live, and stands if the same patch is planned.
    """

    def observed(rep: JSON) -> tuple[JSON, Mapping[str, Any]]:
        return rep, live_form(rep)

    rep, _ = converge(
        endpoint.client,
        live=(fresh or {}, live),
        fresh=fresh is not None,
        plan=lambda current: plan(current[1], desired) or None,
        send=lambda operations: observed(endpoint.patch(operations)),
        read=lambda: observed(endpoint.get()),
    )
    return rep


# -- the kind ----------------------------------------------------------------------------------


class JsonPatchKind(ResourceKind[SpecT]):
    """A kind changed by JSON Patch: create, read, update, delete over ``endpoint``.

    Its address is its id's parts (``id_format``); ``noun`` names it in messages ("metric").
    """

    noun: ClassVar[str]
    steering = ("adopt",)
    #: Fields LaunchDarkly fills in when a declaration leaves them out (a maintainer, the
    #: project's default unit): never removed by an update, and read back only when declared.
    kept: ClassVar[frozenset[str]] = frozenset()
    #: What LaunchDarkly holds for a field left out (``tags``: ``[]``): dropped from the
    #: declared form, and what a field no longer declared is set back to.
    api_defaults: ClassVar[Mapping[str, Any]] = {}

    # -- hooks -------------------------------------------------------------------------------

    def endpoint(self, address: Mapping[str, str]) -> Endpoint:
        raise NotImplementedError

    def create_body(self, spec: SpecT, desired: Mapping[str, Any]) -> JSON:
        """The POST body: the declaration as the API takes it (``wire``), without the project
        (part of the path) and the steering inputs."""
        return {k: v for k, v in self.wire(desired).items() if k not in self.not_sent()}

    def wire(self, desired: Mapping[str, Any]) -> JSON:
        """A declared form as the API takes it (a kind fills in defaults a declaration may
        leave out and the API needs)."""
        return dict(desired)

    def live_form(self, rep: Mapping[str, Any], address: Mapping[str, str], hint: JSON) -> JSON:
        raise NotImplementedError

    def computed(self, rep: Mapping[str, Any]) -> JSON:
        raise NotImplementedError

    # -- what the hooks share ----------------------------------------------------------------

    def declared(self, spec: SpecT) -> JSON:
        return drop_defaults(super().declared(spec), self.api_defaults)

    def canonical(self, data: JSON) -> JSON:
        """A live object's declared form as ``check`` would store it (tags sorted, defaults
        dropped); as it is when it does not fit the input model, so that a diff shows it."""
        try:
            return self.declared(self.spec(data))
        except ValidationError:
            return drop_defaults(data, self.api_defaults)

    def writable(self) -> tuple[str, ...]:
        """The fields a JSON Patch changes: the declaration's, but those whose change replaces
        the object (its address, a metric's kind) and the steering inputs."""
        fixed = {*self.id_format.parts, *self.replace_on, *self.not_sent()}
        return tuple(name for name in self.declared_fields() if name not in fixed)

    def declared_fields(self) -> tuple[str, ...]:
        return tuple(info.alias or name for name, info in self.inputs.model_fields.items())

    def plan(self, live: Mapping[str, Any], desired: Mapping[str, Any]) -> list[JSON]:
        return patch_operations(
            live,
            desired,
            fields=self.writable(),
            api_defaults=self.api_defaults,
            kept=self.kept,
            values=self.wire(desired),
        )

    def not_sent(self) -> set[str]:
        """Inputs no request body carries: the project (in the path) and steering inputs."""
        return {"projectKey", *self.steering}

    def resource(self, address: Mapping[str, str]) -> str:
        """The resource as errors name it: ``metric shop/checkout-completed``."""
        return f"{self.noun} {self.id_format.format(address)}"

    def address_of(self, desired: Mapping[str, Any]) -> dict[str, str]:
        return {part: str(desired[part]) for part in self.id_format.parts}

    def live_with_steering(
        self, rep: Mapping[str, Any], address: Mapping[str, str], hint: JSON
    ) -> JSON:
        """``live_form`` with the steering inputs carried over from ``hint`` (never live)."""
        live = self.live_form(rep, address, hint)
        live.update({k: hint[k] for k in self.steering if k in hint})
        return live

    def state(self, rep: Mapping[str, Any], address: Mapping[str, str], hint: JSON) -> JSON:
        """The outputs: the live declared form and what LaunchDarkly computed."""
        return {**self.live_with_steering(rep, address, hint), **self.computed(rep)}

    def without_steering(self, form: Mapping[str, Any]) -> JSON:
        return {k: v for k, v in form.items() if k not in self.steering}

    # -- create, read, update, delete ----------------------------------------------------------

    def create(self, spec: SpecT) -> Written:
        """POST the declaration (or continue with, or adopt, the object of its key), then make
        an adopted one match it with one PATCH."""
        desired = self.declared(spec)
        address = self.address_of(desired)
        with operation_errors("create", self.resource(address)):
            endpoint = self.endpoint(address)
            body = self.create_body(spec, desired)
            compared = self.without_steering(desired)
            rep, origin = create_once(
                endpoint.client,
                self.resource(address),
                post=lambda: endpoint.post(body),
                find=lambda: read_or_none(endpoint.get),
                is_ours=lambda existing: (
                    self.without_steering(self.live_form(existing, address, desired)) == compared
                ),
                take_over=lambda _existing: bool(desired.get("adopt")),
                exists=lambda: exists_error(
                    self.noun, address["key"], self.where(address), endpoint.collection
                ),
            )
            adopted = origin is Origin.TAKEN_OVER
            if adopted:
                logger.warning("adopting the existing %s", self.resource(address))
                self.refuse_unchangeable(self.live_form(rep, address, desired), desired)
                rep = patch_to_match(
                    endpoint,
                    self.live_form(rep, address, desired),
                    desired,
                    plan=self.plan,
                    live_form=lambda fresh: self.live_form(fresh, address, desired),
                    fresh=rep,
                )
            return Written(self.id_format.format(address), self.state(rep, address, desired))

    def refuse_unchangeable(self, live: Mapping[str, Any], desired: Mapping[str, Any]) -> None:
        """An object to adopt whose field that no patch changes (``replace_on``) differs from
        the declaration cannot be taken over: say which, and what to do."""
        for name in self.replace_on:
            if live.get(name) != desired.get(name):
                raise ChangeRefused(
                    name,
                    f"the existing {self.noun} has {name} {live.get(name)!r}, which LaunchDarkly "
                    f"cannot change to {desired.get(name)!r}: declare {name} "
                    f"{live.get(name)!r} to adopt it, or choose another key",
                )

    def where(self, address: Mapping[str, str]) -> str:
        """Where an object lives, for messages: ``project 'shop'``."""
        return f"project {address['projectKey']!r}"

    def read(self, id_: str, stored: Mapping[str, Any]) -> Observed | None:
        """The live object as state, or None when it is gone; with only the id (an import),
        the declaration is rebuilt from it."""
        address = self.id_format.address(id_, stored)
        hint = self.declared_part(stored)
        with operation_errors("read", self.resource(address)):
            rep = read_or_none(self.endpoint(address).get)
            if rep is None:
                return None
            inputs = self.live_with_steering(rep, address, hint)
            return Observed(
                self.id_format.format(address), {**inputs, **self.computed(rep)}, inputs
            )

    def update(self, spec: SpecT, stored: Mapping[str, Any]) -> JSON:
        """One JSON Patch from what state says is live to the declaration."""
        desired = self.declared(spec)
        address = self.address_of(desired)
        with operation_errors("update", self.resource(address)):
            endpoint = self.endpoint(address)
            rep = patch_to_match(
                endpoint,
                self.declared_part(stored),
                desired,
                plan=self.plan,
                live_form=lambda fresh: self.live_form(fresh, address, desired),
            )
            return self.state(rep, address, desired)

    def delete(self, id_: str, stored: Mapping[str, Any]) -> None:
        """DELETE; done once the object is gone (a refusal, such as an object in use, is
        LaunchDarkly's message naming what uses it)."""
        address = self.id_format.address(id_, stored)
        with operation_errors("delete", self.resource(address)):
            endpoint = self.endpoint(address)
            delete_confirmed(endpoint.client, delete=endpoint.delete, get=endpoint.get)


def drop_defaults(form: JSON, api_defaults: Mapping[str, Any]) -> JSON:
    """``form`` without the fields that hold LaunchDarkly's default for them."""
    return {k: v for k, v in form.items() if k not in api_defaults or api_defaults[k] != v}


__all__ = [
    "Endpoint",
    "JsonPatchKind",
    "drop_defaults",
    "patch_operations",
    "patch_to_match",
    "pointer",
]
