"""Schemathesis hooks for tests/emulator/test_schemathesis.py (loaded by the CLI it runs).

Schema-valid bodies for createExperiment and createIteration almost never pass the emulator's
semantic checks (flags, variations and metrics must exist in the fixtures), so without help the
fuzzer would only ever see 400s and the stateful phase would never get an experiment to follow
links from. For cases generated in *positive* mode only, these hooks swap the random design for a
valid one and keep the rest (name, description, tags, methodology, analysis config, ...) as
generated. Negative cases are left alone: they must still be refused.
"""

from __future__ import annotations

import os
import re
from typing import Any

import httpx
import schemathesis

from tests.support.fixture_ids import ANNUAL_FIRST, BOTTOM, CONTROL, MEMBER_CI, Q4_HOLDOUT, TOP

EXPERIMENTS = "/api/v2/projects/{projectKey}/environments/{environmentKey}/experiments"
FLAG = "/api/v2/flags/{projectKey}/{featureFlagKey}"
SEMANTIC_PATCH = "application/json; domain-model=launchdarkly.semanticpatch"
#: The parameters each instruction kind takes (the emulator refuses any other).
PARAMETERS = {
    "updateName": {"value"},
    "updateDescription": {"value"},
    "updateExperimentFields": {"value"},
    "startIteration": {"changeJustification"},
    "stopIteration": {"winningTreatmentId", "winningReason"},
    "saveAndStartNewIteration": {"changeJustification", "value"},
    "archiveExperiment": set(),
    "restoreExperiment": set(),
}


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
        "treatments": [
            {
                "name": "A",
                "baseline": True,
                "allocationPercent": "50",
                "parameters": [{"flagKey": flag, "variationId": first}],
            },
            {
                "name": "B",
                "baseline": False,
                "allocationPercent": "50",
                "parameters": [{"flagKey": flag, "variationId": second}],
            },
        ],
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


@schemathesis.hook
def map_case(context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    operation = context.operation
    if operation is None or not _positive(case) or not isinstance(case.body, dict):
        return case
    body: dict[str, Any] = case.body
    if operation.method.upper() == "POST" and operation.path == EXPERIMENTS:
        key = re.sub(r"[^A-Za-z0-9._-]", "", str(body.get("key", "")))[:40]
        body["key"] = f"st-{key}" if key else f"st-{_seed(body)}"
        body["iteration"] = _live(case, _design(_seed(body.get("name"))))
        if body.get("holdoutId") is not None:
            body["holdoutId"] = Q4_HOLDOUT
        if body.get("maintainerId") is not None:
            body["maintainerId"] = MEMBER_CI  # strict: a maintainer must be a member
        if body.get("type") == "mab":
            body["iteration"]["reallocationFrequencyMillis"] = 3_600_000
    elif operation.method.upper() == "POST" and operation.path.endswith("/iterations"):
        design = _live(case, _design(_seed(body.get("hypothesis"))))
        body.clear()
        body.update(design)
    elif operation.method.upper() == "PATCH" and operation.path == FLAG:
        # The spec declares a JSON Patch body; the emulator emulates the semantic patch only
        # (a JSON Patch is a 400). Positive cases get a valid semantic patch instead.
        seed = _seed(body)
        case.headers = {**(case.headers or {}), "Content-Type": SEMANTIC_PATCH}
        body.clear()
        body["environmentKey"] = ("dev", "staging", "production")[seed % 3]
        body["instructions"] = [{"kind": ("turnFlagOn", "turnFlagOff")[seed % 2]}]
    elif operation.method.upper() == "PATCH":
        # The spec declares plain application/json; LaunchDarkly's docs (and the emulator)
        # want the semantic-patch media type, without which every PATCH is a 400.
        case.headers = {**(case.headers or {}), "Content-Type": SEMANTIC_PATCH}
        for instruction in body.get("instructions", []):
            if isinstance(instruction, dict) and instruction.get("kind") in PARAMETERS:
                allowed = PARAMETERS[str(instruction["kind"])] | {"kind"}
                for extra in set(instruction) - allowed:
                    del instruction[extra]
    return case
