"""The ids of the emulator's default fixtures, read from ``ld_emulator/fixtures.json``.

Tests and benchmarks name a variation, rule, holdout or member by these constants instead of
writing its id: the fixtures file stays the one place the ids are written, and a name that is
not in it fails at import.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

FIXTURES: dict[str, Any] = json.loads(
    resources.files("ld_emulator").joinpath("fixtures.json").read_text(encoding="utf-8")
)
PROJECT: dict[str, Any] = FIXTURES["projects"]["shop"]
#: Project lab: flags, context kinds and settings only (programs build the rest).
LAB: dict[str, Any] = FIXTURES["projects"]["lab"]


def variation_id(flag: str, name: str, project: dict[str, Any] = PROJECT) -> str:
    """The id of the variation called ``name`` of ``flag`` (in project shop by default)."""
    (found,) = [v["_id"] for v in project["flags"][flag]["variations"] if v["name"] == name]
    return str(found)


def _rule(flag: str, description: str, project: dict[str, Any] = PROJECT) -> dict[str, Any]:
    rules = project["flags"][flag]["config"]["rules"]
    (found,) = [r for r in rules if r["description"] == description]
    return dict(found)


def rule_id(flag: str, description: str, project: dict[str, Any] = PROJECT) -> str:
    """The id of ``flag``'s targeting rule described as ``description``."""
    return str(_rule(flag, description, project)["_id"])


def holdout_id(key: str) -> str:
    return str(PROJECT["holdouts"][key]["_id"])


def member_id(email: str) -> str:
    """The ``_id`` of the account member with ``email`` (the fixtures' ``members``)."""
    (found,) = [m["_id"] for m in FIXTURES["members"] if m["email"] == email]
    return str(found)


# checkout-button (multivariate, version 3): the suite's declaration uses Top and Bottom.
TOP = variation_id("checkout-button", "Top")
BOTTOM = variation_id("checkout-button", "Bottom")
RULE_BETA = rule_id("checkout-button", "Beta customers")
CLAUSE_BETA = str(_rule("checkout-button", "Beta customers")["clauses"][0]["_id"])  # plan in beta
# pricing-page (multivariate, version 7): the multi-armed bandit's three arms.
CONTROL = variation_id("pricing-page", "Control")
ANNUAL_FIRST = variation_id("pricing-page", "Annual first")
MONTHLY_FIRST = variation_id("pricing-page", "Monthly first")
# dormant-flag (boolean, off in every environment).
DORMANT_OFF = variation_id("dormant-flag", "Off")
DORMANT_ON = variation_id("dormant-flag", "On")

# project lab: the same flag keys as shop, their own ids, every flag at targeting version 1.
LAB_TOP = variation_id("checkout-button", "Top", LAB)
LAB_BOTTOM = variation_id("checkout-button", "Bottom", LAB)
LAB_RULE_BETA = rule_id("checkout-button", "Beta customers", LAB)
LAB_CONTROL = variation_id("pricing-page", "Control", LAB)
LAB_ANNUAL_FIRST = variation_id("pricing-page", "Annual first", LAB)
LAB_RULE_RETURNING = rule_id("pricing-page", "Returning customers", LAB)

Q4_HOLDOUT = holdout_id("q4-holdout")
MEMBER = str(FIXTURES["member"]["_id"])  # the member behind every member token
MEMBER_CI = member_id("ci-maintainer@example.com")  # a writer: a maintainer for service tokens
MEMBER_READER = member_id("analyst@example.com")  # a reader

# Shaped like a rule id of checkout-button, but no rule has it.
MISSING_RULE_ID = RULE_BETA[: -len("a001")] + "ffff"
if any(r["_id"] == MISSING_RULE_ID for r in PROJECT["flags"]["checkout-button"]["config"]["rules"]):
    raise AssertionError(f"{MISSING_RULE_ID} is a rule of checkout-button: pick another")
