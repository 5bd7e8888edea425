"""Does a green preview mean `up` will work? A corpus of broken declarations, three verdicts each.

For every declaration of the corpus (one per rule and per kind of reference), this runs:

* **preview without a token**: ``check`` offline (``launchdarkly:validateReferences`` = auto,
  no token), as CI runs ``pulumi preview``;
* **preview with a token**: ``check`` with the reference lookups against LaunchDarkly;
* **up without check**: ``create`` sent straight to LaunchDarkly, to see what it refuses.

LaunchDarkly is the emulator, in-process, on loopback. Run ``python bench/preview_agreement.py``
to print the table quoted in the README; ``tests/test_preview_agreement.py`` asserts its goals.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from pulumi.dynamic import Config, ConfigureRequest  # noqa: E402

from launchdarkly_experiments.provider import ExperimentProvider  # noqa: E402
from ld_emulator import Emulator  # noqa: E402
from tests.support import fixture_ids as ids  # noqa: E402
from tests.support.declarations import declaration  # noqa: E402

TOKEN = "agreement-token"
Mutation = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # "offline": a rule on the declaration alone; "reference": needs LaunchDarkly
    mutate: Mutation


def _it(props: dict[str, Any]) -> dict[str, Any]:
    iteration: dict[str, Any] = props["iteration"]
    return iteration


def _treatment(props: dict[str, Any], index: int) -> dict[str, Any]:
    treatment: dict[str, Any] = _it(props)["treatments"][index]
    return treatment


def _set(**fields: Any) -> Mutation:
    return lambda p: p.update(copy.deepcopy(fields))


def _set_it(**fields: Any) -> Mutation:
    return lambda p: _it(p).update(copy.deepcopy(fields))


def _flag(**fields: Any) -> Mutation:
    return lambda p: _it(p)["flags"]["checkout-button"].update(fields)


def _parameter(index: int, **fields: Any) -> Mutation:
    def mutate(p: dict[str, Any]) -> None:
        parameter = _treatment(p, index)["parameters"][0]
        parameter.update(fields)
        if "variation" in fields:
            parameter.pop("variationId", None)

    return mutate


def _no_primary(p: dict[str, Any]) -> None:
    del _it(p)["primarySingleMetricKey"]


def _no_parameter_variation(p: dict[str, Any]) -> None:
    del _treatment(p, 0)["parameters"][0]["variationId"]


def _two_parameters(p: dict[str, Any]) -> None:
    _treatment(p, 0)["parameters"].append({"flagKey": "checkout-button", "variationId": ids.TOP})


def _no_traffic(p: dict[str, Any]) -> None:
    p["state"] = "running"
    for treatment in _it(p)["treatments"]:
        treatment["allocationPercent"] = "0"


def _dormant_flag_running(p: dict[str, Any]) -> None:
    p["state"] = "running"
    _it(p)["flags"] = {"dormant-flag": {"ruleId": "fallthrough", "flagConfigVersion": 1}}
    for treatment, variation in zip(_it(p)["treatments"], ("On", "Off"), strict=True):
        treatment["parameters"] = [{"flagKey": "dormant-flag", "variation": variation}]


def _unknown_flag(p: dict[str, Any]) -> None:
    _it(p)["flags"] = {"checkout-buton": _it(p)["flags"]["checkout-button"]}
    for treatment in _it(p)["treatments"]:
        treatment["parameters"][0]["flagKey"] = "checkout-buton"


CORPUS: tuple[Case, ...] = (
    # -- offline: fields ----------------------------------------------------------------------
    Case("methodology not an option", "offline", _set(methodology="bayes")),
    Case("dataSource not an option", "offline", _set(dataSource="bigquery")),
    Case("type not an option", "offline", _set(type="ab")),
    Case("state not an option", "offline", _set(state="paused")),
    Case("key with a space", "offline", _set(key="has space")),
    Case("unknown property", "offline", _set(colour="red")),
    Case("name missing", "offline", lambda p: p.pop("name")),
    Case("name blank", "offline", _set(name="  ")),
    Case("hypothesis blank", "offline", _set_it(hypothesis=" ")),
    Case("no metrics", "offline", _set_it(metrics=[])),
    Case(
        "allocation over 100", "offline", lambda p: _treatment(p, 1).update(allocationPercent="150")
    ),
    Case(
        "allocation not a number",
        "offline",
        lambda p: _treatment(p, 1).update(allocationPercent="lots"),
    ),
    Case("negative flag version", "offline", _flag(flagConfigVersion=-1)),
    Case("tags not a list", "offline", _set(tags="web")),
    # -- offline: rules across fields ----------------------------------------------------------
    Case(
        "allocations total 110",
        "offline",
        lambda p: _treatment(p, 1).update(allocationPercent="60"),
    ),
    Case("two baselines", "offline", lambda p: _treatment(p, 1).update(baseline=True)),
    Case("no baseline", "offline", lambda p: _treatment(p, 0).update(baseline=False)),
    Case("treatment names repeated", "offline", lambda p: _treatment(p, 1).update(name="Top")),
    Case("treatment name blank", "offline", lambda p: _treatment(p, 1).update(name=" ")),
    Case("both primary metrics", "offline", _set_it(primaryFunnelKey="checkout-funnel")),
    Case("no primary metric", "offline", _no_primary),
    Case("primary metric not listed", "offline", _set_it(primarySingleMetricKey="page-views")),
    Case(
        "metric listed twice",
        "offline",
        lambda p: _it(p)["metrics"].append({"key": "revenue-per-user"}),
    ),
    Case("reallocation without mab", "offline", _set_it(reallocationFrequencyMillis=60000)),
    Case("mab without reallocation", "offline", _set(type="mab")),
    Case(
        "parameter flag not in flags",
        "offline",
        lambda p: _treatment(p, 0)["parameters"][0].update(flagKey="other"),
    ),
    Case("parameter without variation", "offline", _no_parameter_variation),
    Case("two parameters for one flag", "offline", _two_parameters),
    Case("one variation in two arms", "offline", _parameter(1, variationId=ids.TOP)),
    Case("stopped without a winner", "offline", _set(state="stopped")),
    Case("winner not a treatment", "offline", _set(state="stopped", winningTreatment="Left")),
    Case("running with no traffic", "offline", _no_traffic),
    # -- references -------------------------------------------------------------------------------
    Case("unknown project", "reference", _set(projectKey="shoe")),
    Case("unknown environment", "reference", _set(environmentKey="qa")),
    Case("unknown flag", "reference", _unknown_flag),
    Case("unknown variation id", "reference", _parameter(1, variationId="not-a-variation")),
    Case("unknown variation name", "reference", _parameter(1, variation="Sideways")),
    Case("variation name given as id", "reference", _parameter(1, variationId="Bottom")),
    Case("unknown rule id", "reference", _flag(ruleId=ids.MISSING_RULE_ID)),
    Case("unknown rule description", "reference", _flag(ruleId="Gamma customers")),
    Case(
        "unknown not-in-experiment variation", "reference", _flag(notInExperimentVariationId="nope")
    ),
    Case("flag version ahead of the flag", "reference", _flag(flagConfigVersion=9)),
    Case("unknown metric", "reference", lambda p: _it(p)["metrics"][1].update(key="revenue")),
    Case(
        "metric that is a group",
        "reference",
        lambda p: _it(p)["metrics"].append({"key": "engagement"}),
    ),
    Case(
        "unknown metric group",
        "reference",
        lambda p: _it(p)["metrics"].append({"key": "checkout", "isGroup": True}),
    ),
    Case(
        "funnel that is a standard group",
        "reference",
        lambda p: (
            _it(p)["metrics"].append({"key": "engagement", "isGroup": True}),
            _it(p).pop("primarySingleMetricKey"),
            _it(p).update(primaryFunnelKey="engagement"),
        ),
    ),
    Case("unknown holdout", "reference", _set(holdoutId="no-such-holdout")),
    Case("unknown randomization unit", "reference", _set_it(randomizationUnit="team")),
    Case("flag off, state running", "reference", _dormant_flag_running),
)


@dataclass(frozen=True)
class Verdict:
    case: Case
    preview_offline: bool  # check failed without a token
    preview_online: bool  # check failed with a token
    up_refused: bool  # create, sent without check, failed


def _provider(emulator: Emulator, token: str | None) -> ExperimentProvider:
    provider = ExperimentProvider()
    config = {"launchdarkly:apiHost": emulator.url}
    if token:
        config["launchdarkly:accessToken"] = token
    provider.configure(ConfigureRequest(Config(config, "agreement")))
    return provider


def measure() -> list[Verdict]:
    """The verdicts, with no ``LAUNCHDARKLY_*`` variable of the caller's environment in play
    (the providers read settings from ``os.environ``); the environment is restored after."""
    with mock.patch.dict(os.environ):
        for name in [k for k in os.environ if k.startswith("LAUNCHDARKLY_")]:
            del os.environ[name]
        return _measure()


def _measure() -> list[Verdict]:
    verdicts: list[Verdict] = []
    with Emulator(tokens=(TOKEN,)) as emulator:
        offline = _provider(emulator, None)
        online = _provider(emulator, TOKEN)
        for case in CORPUS:
            props = declaration()
            case.mutate(props)
            emulator.reset()
            offline_failed = bool(offline.check({}, copy.deepcopy(props)).failures)
            online_failed = bool(online.check({}, copy.deepcopy(props)).failures)
            try:
                online.create(copy.deepcopy(props))
                refused = False
            except Exception:
                refused = True
            verdicts.append(Verdict(case, offline_failed, online_failed, refused))
    return verdicts


def table(verdicts: list[Verdict]) -> str:
    def mark(flag: bool) -> str:
        return "refused" if flag else "passes"

    lines = [
        "| Broken declaration | Kind | Preview, no token | Preview, token | Up without check |",
        "| --- | --- | --- | --- | --- |",
    ]
    for v in verdicts:
        lines.append(
            f"| {v.case.name} | {v.case.kind} | {mark(v.preview_offline)} | "
            f"{mark(v.preview_online)} | {mark(v.up_refused)} |"
        )
    offline_cases = [v for v in verdicts if v.case.kind == "offline"]
    refused_by_up = [v for v in verdicts if v.up_refused]
    lines += [
        "",
        f"{len(verdicts)} declarations. Offline rules caught by a preview without a token: "
        f"{sum(v.preview_offline for v in offline_cases)}/{len(offline_cases)}. Declarations "
        f"`up` refuses that a preview with a token catches: "
        f"{sum(v.preview_online for v in refused_by_up)}/{len(refused_by_up)}. Refused at "
        f"preview with a token but accepted by `up`: "
        f"{sum(v.preview_online and not v.up_refused for v in verdicts)}.",
    ]
    return "\n".join(lines)


def main() -> None:
    print(table(measure()))


if __name__ == "__main__":
    main()
