"""Schemathesis over every emulated operation, under both profiles: 0 failures.

Runs the ``schemathesis`` CLI (4.x) against a live emulator with LaunchDarkly's spec, all four
phases (examples, coverage, fuzzing, stateful), a fixed seed, a bounded number of examples per
operation and one worker, so the run is repeatable and takes about a minute a profile.

What is checked: no server error, every status code and response body as the spec declares,
content types, schema-invalid requests refused, 401 without a token, 405 with ``Allow`` for
other methods, and in the stateful phase that what a create returns can be read back and what a
delete removed is gone; the stateful phase must follow at least half of the links.

The run is given what a fuzzer cannot guess: the fixtures' keys (as dictionaries, so random
keys are still tried), stored experiments, metrics, a group, a holdout, a layer and a context
kind, OpenAPI links from each create to the operations on what it made (the spec has none),
and hooks (``schemathesis_hooks.py``) that repair positive-mode bodies where the schemas cannot
say what is valid. Deliberate departures from the spec are switched off where they are, each
with its reason next to it.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ld_emulator import Emulator, spec
from ld_emulator.routes import ROUTES
from tests.support.fixture_ids import MEMBER, MEMBER_CI, Q4_HOLDOUT

from .conftest import (
    BETA,
    EXPERIMENTS,
    HEADERS,
    TOKEN,
    Api,
    E,
    experiment,
    group_post,
    metric_post,
)

pytest.importorskip("schemathesis")

ROOT = Path(__file__).resolve().parents[2]
SEED = 20240415
MAX_EXAMPLES = 15
#: Scenarios of the stateful phase: enough to follow the links of every kind's create.
STATEFUL_EXAMPLES = 60


def _operations(served: bool) -> tuple[str, ...]:
    """The spec's operation ids the emulator serves (or, ``served=False``, answers 405)."""
    routes = {r.template: r for r in ROUTES}
    return tuple(
        sorted(
            str(operation["operationId"])
            for path, operations in spec.load_spec()["paths"].items()
            for method, operation in operations.items()
            if isinstance(operation, dict)
            and (method.upper() in routes[path].methods) == served
            and "operationId" in operation
        )
    )


#: Declared by the spec but not emulated (405 "not emulated", see docs/emulator.md).
NOT_EMULATED = _operations(served=False)
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "ensure_resource_availability",
    "use_after_free",
    "ignored_auth",
)
#: Not run: schema-valid input is not always acceptable (flags, metrics, variations must exist;
#: the hooks only repair some of it), and there is one token, so no object-level authorization.
UNCHECKED = ("positive_data_acceptance", "object_level_authorization")
#: Operations the emulator serves: the spec's 39 less NOT_EMULATED.
EMULATED = len(_operations(served=True))
STORED = ("st-not-started", "st-running", "st-stopped", "st-archived")
#: Metrics and a group stored before the run for it to read, patch and delete (the fixtures'
#: are left to the experiment designs of schemathesis_hooks.py).
STORED_METRICS = ("st-metric-a", "st-metric-b", "st-metric-c")
STORED_GROUP = "st-group"
UNAUTHORIZED = {
    "description": "Invalid access token",
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/UnauthorizedErrorRep"}}
    },
}


def _linked_spec() -> dict[str, Any]:
    """The shipped spec plus OpenAPI links from createExperiment to what acts on its result,
    and between reading and patching a flag."""
    document = copy.deepcopy(spec.load_spec())
    params = {
        "projectKey": "$request.path.projectKey",
        "environmentKey": "$request.path.environmentKey",
        "experimentKey": "$response.body#/key",
    }
    created = document["paths"][
        "/api/v2/projects/{projectKey}/environments/{environmentKey}/experiments"
    ]["post"]["responses"]["201"]
    created["links"] = {
        name: {"operationId": operation, "parameters": params}
        for name, operation in (
            ("GetExperiment", "getExperiment"),
            ("PatchExperiment", "patchExperiment"),
            ("CreateIteration", "createIteration"),
        )
    }
    patched = document["paths"][
        "/api/v2/projects/{projectKey}/environments/{environmentKey}/experiments/{experimentKey}"
    ]["patch"]["responses"]["200"]
    patched["links"] = {
        "GetPatchedExperiment": {"operationId": "getExperiment", "parameters": params},
        "PatchAgain": {"operationId": "patchExperiment", "parameters": params},
    }
    flag = document["paths"]["/api/v2/flags/{projectKey}/{featureFlagKey}"]
    flag_params = {
        "projectKey": "$request.path.projectKey",
        "featureFlagKey": "$response.body#/key",
    }
    flag["get"]["responses"]["200"]["links"] = {
        "PatchFlag": {"operationId": "patchFeatureFlag", "parameters": flag_params}
    }
    flag["patch"]["responses"]["200"]["links"] = {
        "GetPatchedFlag": {"operationId": "getFeatureFlag", "parameters": flag_params}
    }
    # what a create of every other kind makes, to what reads, changes or deletes it. Not from
    # createLayer: schemathesis would take it for the one "reliable" root (its body names no
    # other resource) and then start every stateful scenario there, never from the others
    project = {"projectKey": "$request.path.projectKey"}
    environment = {**project, "environmentKey": "$request.path.environmentKey"}
    made = {
        ("/api/v2/metrics/{projectKey}", "post", "201"): [
            (name, {**project, "metricKey": "$response.body#/key"})
            for name in ("getMetric", "patchMetric", "deleteMetric")
        ],
        ("/api/v2/projects/{projectKey}/metric-groups", "post", "201"): [
            (name, {**project, "metricGroupKey": "$response.body#/key"})
            for name in ("getMetricGroup", "patchMetricGroup", "deleteMetricGroup")
        ],
        ("/api/v2/projects/{projectKey}/environments/{environmentKey}/holdouts", "post", "201"): [
            ("getHoldout", {**environment, "holdoutKey": "$response.body#/baseExperiment/key"}),
            ("patchHoldout", {**environment, "holdoutKey": "$response.body#/baseExperiment/key"}),
            ("getHoldoutById", {**environment, "holdoutId": "$response.body#/_id"}),
        ],
    }
    # every LaunchDarkly operation answers 401 without a token; a few entries leave it out
    for operations in document["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("401", UNAUTHORIZED)
    for (path, method, status), targets in made.items():
        document["paths"][path][method]["responses"][status]["links"] = {
            f"To{operation[0].upper()}{operation[1:]}": {
                "operationId": operation,
                "parameters": parameters,
            }
            for operation, parameters in targets
        }
    return document


def _no_400_declared() -> list[str]:
    """Emulated operations with an integer or boolean query parameter that declare no 400."""
    found = []
    for path, operations in spec.load_spec()["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or operation.get("operationId") in NOT_EMULATED:
                continue
            typed = any(
                p.get("in") == "query" and p.get("schema", {}).get("type") in ("integer", "boolean")
                for p in operation.get("parameters", [])
            )
            if typed and 400 not in spec.declared_statuses(path, method):
                found.append(str(operation["operationId"]))
    return sorted(found)


def _partly_emulated() -> str:
    """A regular expression matching the path templates that have a not-emulated method."""
    templates = [r.template for r in ROUTES if r.methods and r.not_emulated]
    alternatives = "|".join(re.escape(t).replace("\\", "\\\\") for t in templates)
    return f"^({alternatives})$"


def _config(profile: str) -> str:
    def values(items: tuple[str, ...]) -> str:
        return json.dumps(list(items))

    lines = [
        f"seed = {SEED}",
        "suppress-health-check = ['all']",
        "[checks]",
        *(f"{name}.enabled = true" for name in CHECKS),
        *(f"{name}.enabled = false" for name in UNCHECKED),
        "[generation]",
        "database = 'none'",
        f"max-examples = {MAX_EXAMPLES}",
        "[phases.stateful]",
        "max-steps = 6",
        "[phases.stateful.generation]",
        f"max-examples = {STATEFUL_EXAMPLES}",
        "# only the links below: with 39 operations, links inferred from the spec crowd out the",
        "# experiment scenarios within the step budget",
        "[phases.stateful.inference]",
        "algorithms = []",
        "[parameters]",
        '"path.projectKey" = "shop"',
        '"path.environmentKey" = "dev"',
    ]
    bound = {
        "path.experimentKey": ("experiments", STORED),
        "path.featureFlagKey": ("flags", ("checkout-button", "pricing-page", "dormant-flag")),
        "path.metricKey": ("metrics", STORED_METRICS),
        "path.metricGroupKey": ("groups", ("engagement", STORED_GROUP)),
        "path.holdoutKey": ("holdouts", ("q4-holdout", "st-holdout")),
        "path.layerKey": ("layers", ("st-layer",)),
        "path.key": ("context_kinds", ("user", "organization", "st-kind")),
        "path.holdoutId": ("holdout_ids", (Q4_HOLDOUT,)),
        "path.id": ("members", ("me", MEMBER, MEMBER_CI)),
        "query.expand": (
            "expands",
            ("treatments", "draftIteration,previousIterations", "analysisConfig,treatments"),
        ),
        "query.filter": ("filters", ("status:running", "metricKey:page-views", "flagKey:x")),
        "query.lifecycleState": ("states", ("active", "archived", "active,archived")),
        "body.instructions[*].kind": (
            "kinds",
            (
                "startIteration",
                "stopIteration",
                "archiveExperiment",
                "restoreExperiment",
                "updateName",
                "updateExperimentFields",
                "saveAndStartNewIteration",
                "updateDescription",
                "removeExperiment",
                "endHoldout",
                "updateExperimentReservation",
            ),
        ),
    }
    for key, (dictionary, _) in bound.items():
        lines.append(f'"{key}" = {{ dictionary = "{dictionary}", probability = 0.8 }}')
    for dictionary, items in bound.values():
        lines += [f"[dictionaries.{dictionary}]", f"values = {values(items)}"]
    lines += [
        "[[operations]]",
        'include-path-regex = "/metric-groups"',
        "# a beta resource: without this header every call is the documented 403",
        'headers = { "LD-API-Version" = "beta" }',
        "[[operations]]",
        "# paths that declare methods the emulator does not emulate: its Allow header lists",
        "# what it serves, not what the spec declares",
        f'include-path-regex = "{_partly_emulated()}"',
        "checks.allow_header_conformance.enabled = false",
    ]
    for operation in _no_400_declared():
        lines += [
            "[[operations]]",
            "# a listing whose spec declares no 400: a malformed limit/offset is still a 400,",
            "# as LaunchDarkly's error table has it for a request it cannot understand",
            f'include-operation-id = "{operation}"',
            "checks.status_code_conformance.enabled = false",
        ]
    if profile == "lenient":
        lines += [
            "[[operations]]",
            "# lenient answers a duplicate key with 409, which createExperiment does not",
            "# declare: the spec-silent point the strict profile reads as 400",
            'include-operation-id = "createExperiment"',
            "checks.status_code_conformance.enabled = false",
        ]
    else:
        lines += [
            "[[operations]]",
            "# strict (in-use-refused) answers 400 to deleting a metric in use, which",
            "# deleteMetric does not declare (deleteMetricGroup does)",
            'include-operation-id = "deleteMetric"',
            "checks.status_code_conformance.enabled = false",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture(params=["lenient", "strict"])
def live(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    with (
        Emulator(tokens=(TOKEN,), profile=request.param, validate_responses=True) as emulator,
        httpx.Client(base_url=emulator.url, headers=HEADERS, timeout=10) as client,
    ):
        api = Api(client)
        for key in STORED:
            api.created(key)
        # one running experiment per rule: st-stopped runs (and ships its winner) first
        api.start("st-stopped")
        api.stop("st-stopped")
        api.start("st-running")
        api.patch({"kind": "archiveExperiment"}, key="st-archived")
        assert client.get(EXPERIMENTS).status_code == 200
        for key in STORED_METRICS:
            made = client.post("/api/v2/metrics/shop", json=metric_post(key))
            assert made.status_code == 201
        group = group_post(STORED_GROUP, *STORED_METRICS[:2])
        made = client.post("/api/v2/projects/shop/metric-groups", json=group, headers=BETA)
        assert made.status_code == 201
        # one object of each kind the run did not find in the fixtures
        layer = {"key": "st-layer", "name": "Layer", "description": "Stored before the run"}
        assert client.post("/api/v2/projects/shop/layers", json=layer).status_code == 201
        holdout = {"key": "st-holdout", "name": "Holdout", "holdoutamount": "5"}
        assert client.post(f"{E}/holdouts", json=holdout).status_code == 201
        kind = {"name": "Stored kind"}
        assert client.put("/api/v2/projects/shop/context-kinds/st-kind", json=kind).is_success
        probe = experiment("st-probe", iteration=api.fresh())
        assert client.post(EXPERIMENTS, json=probe).status_code == 201
        yield emulator


@pytest.mark.timeout(400)
def test_schemathesis_finds_nothing(live: Emulator, tmp_path: Path) -> None:
    profile = live.profile.name
    (tmp_path / "openapi.json").write_text(json.dumps(_linked_spec()))
    (tmp_path / "schemathesis.toml").write_text(_config(profile))
    report = tmp_path / "report.json"
    command = [
        sys.executable,
        *("-m", "schemathesis.cli"),
        *("--config-file", str(tmp_path / "schemathesis.toml")),
        "run",
        str(tmp_path / "openapi.json"),
        *("--url", live.url),
        *("--header", f"Authorization: {TOKEN}"),
        *("--workers", "1"),
        *("--request-timeout", "20"),
        *("--report", "json", "--report-json-path", str(report)),
        "--no-color",
    ]
    for operation in NOT_EMULATED:
        command += ["--exclude-operation-id", operation]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        "SCHEMATHESIS_HOOKS": "tests.emulator.schemathesis_hooks",
        "LD_EMULATOR_URL": live.url,
        "LD_EMULATOR_TOKEN": TOKEN,
    }
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    summary = done.stdout[-6000:]
    assert done.returncode == 0, f"schemathesis ({profile}):\n{summary}\n{done.stderr[-3000:]}"
    result = json.loads(report.read_text())
    assert result["operations"]["tested"] == result["operations"]["selected"] == EMULATED
    assert result["failures"] == [] and result["errors"] == []
    assert {phase["status"] for phase in result["phases"].values()} == {"success"}
    assert result["test_cases"]["generated"] > 1000
    assert result["test_cases"]["with_failures"] == 0
    stateful = done.stdout[done.stdout.index("Stateful") :].split("\n\n")[1]
    links = re.search(r"API Links:\s+(\d+) covered / (\d+) selected", stateful)
    assert links is not None, stateful
    covered, selected = int(links.group(1)), int(links.group(2))
    assert covered * 2 >= selected, f"the stateful phase followed {covered} of {selected} links"
    print(
        f"schemathesis ({profile}): {result['operations']['tested']} operations, "
        f"{result['test_cases']['generated']} test cases, 0 failures; stateful: "
        + " ".join(stateful.split())
    )
