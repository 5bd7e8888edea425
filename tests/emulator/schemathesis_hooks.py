"""Schemathesis hooks for tests/emulator/test_schemathesis.py (loaded by the CLI it runs).

Schema-valid bodies almost never pass the emulator's semantic checks (an experiment's flags,
variations and metrics must exist; a metric needs what its kind requires; a holdout a name and
an amount; a reservation an experiment; a randomization unit a context kind), so without help
the fuzzer would only ever see 400s and the stateful phase would never get an object to follow
links from. For cases generated in *positive* mode only, these hooks repair what the spec's
schemas cannot say (an experiment's design, the fields a metric's kind requires, existing keys
and members, the parameters of each instruction kind, a valid JSON Patch) and keep the rest as
generated. Negative cases are left alone: they must still be refused.
"""

from __future__ import annotations

import itertools
import os
import re
from typing import Any

import httpx
import schemathesis

from ld_emulator import spec
from tests.support.declarations import fifty_fifty
from tests.support.fixture_ids import ANNUAL_FIRST, BOTTOM, CONTROL, MEMBER_CI, Q4_HOLDOUT, TOP

PROJECT = "/api/v2/projects/{projectKey}"
ENVIRONMENT = PROJECT + "/environments/{environmentKey}"
EXPERIMENTS = ENVIRONMENT + "/experiments"
FLAG = "/api/v2/flags/{projectKey}/{featureFlagKey}"
METRICS = "/api/v2/metrics/{projectKey}"
METRIC = METRICS + "/{metricKey}"
GROUPS = PROJECT + "/metric-groups"
GROUP = GROUPS + "/{metricGroupKey}"
HOLDOUTS = ENVIRONMENT + "/holdouts"
HOLDOUT = HOLDOUTS + "/{holdoutKey}"
LAYERS = PROJECT + "/layers"
LAYER = LAYERS + "/{layerKey}"
SETTINGS = PROJECT + "/experimentation-settings"
CONTEXT_KIND = PROJECT + "/context-kinds/{key}"
SEMANTIC_PATCH = "application/json; domain-model=launchdarkly.semanticpatch"
#: The parameters each instruction kind takes, per resource (the emulator refuses any other).
PARAMETERS: dict[str, dict[str, set[str]]] = {
    EXPERIMENTS + "/{experimentKey}": {
        "updateName": {"value"},
        "updateDescription": {"value"},
        "updateExperimentFields": {"value"},
        "startIteration": {"changeJustification"},
        "stopIteration": {"winningTreatmentId", "winningReason"},
        "saveAndStartNewIteration": {"changeJustification", "value"},
        "archiveExperiment": set(),
        "restoreExperiment": set(),
    },
    HOLDOUT: {
        "updateName": {"value"},
        "updateDescription": {"value"},
        "removeExperiment": {"value"},
        "endHoldout": set(),
    },
    LAYER: {
        "updateName": {"name"},
        "updateDescription": {"description"},
        "updateExperimentReservation": {"experimentKey", "reservationPercent"},
        "removeExperiment": {"experimentKey"},
    },
}
#: Metrics of project shop (a run may delete some: then a create that names one is a 400).
SHOP_METRICS = ("checkout-completed", "revenue-per-user", "page-views", "add-to-cart")
#: Experiments the run stores before it starts (test_schemathesis.STORED).
STORED = ("st-not-started", "st-running", "st-stopped", "st-archived")


def _design(seed: int) -> dict[str, Any]:
    """One of a few valid IterationInputs, picked by ``seed``."""
    if seed % 2:
        flag, first, second, version = "pricing-page", CONTROL, ANNUAL_FIRST, 7
        metrics = [{"key": "page-views"}, {"key": "checkout-funnel", "isGroup": True}]
        primary: dict[str, str] = {"primaryFunnelKey": "checkout-funnel"}
    else:
        flag, first, second, version = "checkout-button", TOP, BOTTOM, 3
        metrics = [{"key": "checkout-completed"}, {"key": "revenue-per-user"}]
        primary = {"primarySingleMetricKey": "checkout-completed"}
    return {
        "hypothesis": f"Design {seed % 7}",
        "metrics": metrics,
        **primary,
        "treatments": fifty_fifty(flag, first, second),
        # the flags' fixture versions (map_case puts the live ones in: see _live)
        "flags": {flag: {"ruleId": "fallthrough", "flagConfigVersion": version}},
    }


def _live(case: schemathesis.Case, design: dict[str, Any]) -> dict[str, Any]:
    """``design`` at the flags' current targeting versions, read from the emulator under test
    (``LD_EMULATOR_URL``): the strict profile checks them, and counts experiment starts as
    targeting changes. Left as it is when the flag cannot be read (a random project, say)."""
    url = os.environ.get("LD_EMULATOR_URL")
    params = case.path_parameters or {}
    if not url:
        return design
    for flag_key, flag_input in design["flags"].items():
        env = str(params.get("environmentKey", ""))
        try:
            response = httpx.get(
                f"{url}/api/v2/flags/{params.get('projectKey', '')}/{flag_key}",
                params={"env": env},
                headers={"Authorization": os.environ.get("LD_EMULATOR_TOKEN", "")},
                timeout=5,
            )
            flag_input["flagConfigVersion"] = response.json()["environments"][env]["_version"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            continue
    return design


def _positive(case: schemathesis.Case) -> bool:
    meta = case.meta
    return meta is None or not meta.generation.mode.is_negative


def _seed(value: Any) -> int:
    return sum(map(ord, repr(value))) if value is not None else 0


_CREATED = itertools.count(1)


def _key(value: Any, prefix: str, seed: int) -> str:
    """A key the emulator takes, new for every create (a generated body keeps the spec's
    example key, so the same key over and over would make every create after the first a
    conflict, and leave the stateful phase nothing to follow links from)."""
    key = re.sub(r"[^A-Za-z0-9._-]", "", str(value or ""))[:30]
    return f"{prefix}{key or seed}-{next(_CREATED)}"


def _name(value: Any, default: str) -> str:
    return value if isinstance(value, str) and value.strip() else default


def _metric(body: dict[str, Any], seed: int) -> None:
    """A MetricPost with what its kind requires (MetricPost's field descriptions)."""
    body["key"] = _key(body.get("key"), "st-m-", seed)
    kind = body.get("kind")
    if "name" in body:
        body["name"] = _name(body["name"], "Metric")
    if kind == "custom":
        body.setdefault("isNumeric", False)
        body.setdefault("eventKey", "event")
        if body["isNumeric"]:
            body.setdefault("successCriteria", "HigherThanBaseline")
    else:
        if not body.get("urls"):
            body["urls"] = [{"kind": "substring", "substring": "/"}]
        if kind == "click" and not body.get("selector"):
            body["selector"] = "#buy"
    if "analysisType" in body or "percentileValue" in body:
        body["analysisType"] = "percentile"
        body["percentileValue"] = 95
    if "eventDefault" in body:
        body["eventDefault"] = {"disabled": False, "value": 0}
    if "filters" in body:
        body["filters"] = {"type": "eventProperty", "op": "in", "values": ["a"], "negate": False}
    if "randomizationUnits" in body:
        body["randomizationUnits"] = ["user"]
    if "maintainerId" in body:
        body["maintainerId"] = MEMBER_CI


def _group(body: dict[str, Any], seed: int) -> None:
    body["key"] = _key(body.get("key"), "st-g-", seed)
    body["name"] = _name(body.get("name"), "Group")
    body["maintainerId"] = MEMBER_CI
    picked = [SHOP_METRICS[seed % 4], SHOP_METRICS[(seed + 1) % 4]]
    body["metrics"] = [{"key": k, "nameInGroup": f"Step {i + 1}"} for i, k in enumerate(picked)]


def _holdout(body: dict[str, Any], seed: int) -> None:
    body["name"] = _name(body.get("name"), "Holdout")
    body["key"] = _key(body.get("key"), "st-h-", seed)
    body["holdoutamount"] = str(seed % 20 + 1)
    body["randomizationunit"] = "user"
    body.pop("metrics", None)
    body["primarymetrickey"] = SHOP_METRICS[seed % 4]
    if "prerequisiteflagkey" in body:
        body["prerequisiteflagkey"] = "checkout-button"
    if "maintainerId" in body:
        body["maintainerId"] = MEMBER_CI


def _instructions(body: dict[str, Any], path: str, seed: int) -> None:
    """Experiments: each instruction keeps only the parameters of its kind. Holdouts and
    layers: one valid instruction (a random one is almost never valid: a reservation of an
    experiment that another layer has, a holdout ended twice over, ...)."""
    if path == HOLDOUT:
        body["instructions"] = [
            [
                {"kind": "updateName", "value": f"Holdout {seed % 10}"},
                {"kind": "updateDescription", "value": "Changed by the run"},
                {"kind": "removeExperiment", "value": STORED[seed % len(STORED)]},
            ][seed % 3]
        ]
        return
    if path == LAYER:
        body["environmentKey"] = "dev"
        body["instructions"] = [
            [
                {"kind": "updateName", "name": f"Layer {seed % 10}"},
                {"kind": "updateDescription", "description": "Changed by the run"},
                {"kind": "removeExperiment", "experimentKey": STORED[seed % len(STORED)]},
            ][seed % 3]
        ]
        return
    for instruction in body.get("instructions", []):
        if isinstance(instruction, dict) and instruction.get("kind") in PARAMETERS[path]:
            allowed = PARAMETERS[path][str(instruction["kind"])] | {"kind"}
            for extra in set(instruction) - allowed:
                del instruction[extra]


def _json_patch(case: schemathesis.Case, seed: int) -> None:
    """A valid JSON Patch of a metric's or group's name or tags."""
    case.body = [
        [{"op": "replace", "path": "/name", "value": f"Renamed {seed % 10}"}],
        [{"op": "add", "path": "/tags/-", "value": f"t{seed % 5}"}],
    ][seed % 2]


def _prune(schema: dict[str, Any], value: Any, depth: int = 0) -> Any:
    """``value`` without the properties its schema does not list where the schema says nothing
    about ``additionalProperties``: the emulator refuses those (to catch misspellings, see
    docs/emulator.md), while the spec allows them and the fuzzer adds them to valid bodies."""
    components = spec.load_spec()["components"]["schemas"]
    while "$ref" in schema and depth < 20:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
        depth += 1
    if isinstance(value, dict) and "properties" in schema:
        if "additionalProperties" not in schema:
            for extra in set(value) - set(schema["properties"]):
                del value[extra]
        for name, item in value.items():
            if name in schema["properties"]:
                value[name] = _prune(schema["properties"][name], item, depth + 1)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_prune(schema["items"], item, depth + 1) for item in value]
    return value


def _request_schema(method: str, path: str) -> dict[str, Any] | None:
    operation = spec.load_spec()["paths"].get(path, {}).get(method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return schema if isinstance(schema, dict) else None


@schemathesis.hook
def map_case(context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    operation = context.operation
    if operation is None or not _positive(case):
        return case
    method, path = operation.method.upper(), operation.path
    seed = _seed(case.body)
    if method == "PATCH" and path in (METRIC, GROUP):
        _json_patch(case, seed)
        return case
    if not isinstance(case.body, dict):
        return case
    schema = _request_schema(method, path)
    if schema is not None:
        _prune(schema, case.body)
    body: dict[str, Any] = case.body
    if method == "POST" and path == EXPERIMENTS:
        body["key"] = _key(body.get("key"), "st-", seed)
        body["iteration"] = _live(case, _design(_seed(body.get("name"))))
        if body.get("holdoutId") is not None:
            body["holdoutId"] = Q4_HOLDOUT
        if body.get("maintainerId") is not None:
            body["maintainerId"] = MEMBER_CI  # strict: a maintainer must be a member
        if body.get("type") == "mab":
            body["iteration"]["reallocationFrequencyMillis"] = 3_600_000
    elif method == "POST" and path.endswith("/iterations"):
        design = _live(case, _design(_seed(body.get("hypothesis"))))
        body.clear()
        body.update(design)
    elif method == "POST" and path == METRICS:
        _metric(body, seed)
    elif method == "POST" and path == GROUPS:
        _group(body, seed)
    elif method == "POST" and path == HOLDOUTS:
        _holdout(body, seed)
    elif method == "POST" and path == LAYERS:
        body["key"] = _key(body.get("key"), "st-l-", seed)
        body["name"] = _name(body.get("name"), "Layer")
    elif method == "PUT" and path == SETTINGS:
        units = ["user", "organization"][:: 1 if seed % 2 else -1]
        body.clear()
        body["randomizationUnits"] = [
            {"randomizationUnit": units[0], "default": True},
            {"randomizationUnit": units[1]},
        ]
    elif method == "PUT" and path == CONTEXT_KIND:
        body["name"] = _name(body.get("name"), "Kind")
        body.pop("hideInTargeting", None)
        if "version" in body:
            body["version"] = seed % 9 + 1
    elif method == "PATCH" and path == FLAG:
        # The spec declares a JSON Patch body; the emulator emulates the semantic patch only
        # (a JSON Patch is a 400). Positive cases get a valid semantic patch instead.
        case.headers = {**(case.headers or {}), "Content-Type": SEMANTIC_PATCH}
        body.clear()
        body["environmentKey"] = ("dev", "staging", "production")[seed % 3]
        body["instructions"] = [{"kind": ("turnFlagOn", "turnFlagOff")[seed % 2]}]
    elif method == "PATCH" and path in PARAMETERS:
        # The spec declares plain application/json; LaunchDarkly's docs (and the emulator)
        # want the semantic-patch media type, without which every PATCH is a 400.
        case.headers = {**(case.headers or {}), "Content-Type": SEMANTIC_PATCH}
        _instructions(body, path, seed)
    return case
