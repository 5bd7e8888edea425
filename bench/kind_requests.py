"""HTTP requests per operation of each resource kind, against the fewest the API allows.

Run ``python bench/kind_requests.py`` (about 30 s; ``--adapter dynamic`` for the dynamic provider
host). Each kind goes through a real provider host over gRPC, as the engine drives it: the native
plugin by default, since only it serves ``pulumi import`` (the engine reads a dynamic resource
with the provider pickled in its state, which an import has not got). Both adapters share the
domain code; ``--adapter both`` runs each and says where their counts differ. The emulator runs
in this process under each profile, and its request log gives each operation's requests
(method and path).

Operations: check with references (a preview with a token: ``validateReferences: always``, each
kind on a fresh host, so no lookup is cached yet), create, read (refresh), read for an import
(the id only), update (a typical in-place change) and delete. Create follows check in the same
host, as in ``pulumi up``: a lookup check made (the token's member) is not made again.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from bench.run import table  # noqa: E402
from launchdarkly_experiments.core.kind import ResourceKind  # noqa: E402
from launchdarkly_experiments.core.kinds import (  # noqa: E402
    Experiment,
    ExperimentationSettings,
    Holdout,
    Layer,
    Metric,
    MetricGroup,
)
from ld_emulator import Emulator  # noqa: E402
from tests.protocol.conftest import provider_host  # noqa: E402
from tests.protocol.test_holdout_protocol import declared as holdout_declaration  # noqa: E402
from tests.support.declarations import declaration  # noqa: E402
from tests.support.engine import ProviderHost  # noqa: E402
from tests.support.ld_api import Api  # noqa: E402

TOKEN = "bench-token"
PROFILES = ("lenient", "strict")
IMPORT = "read (import)"


@dataclass(frozen=True)
class Operation:
    """An operation measured for a kind: the fewest requests the API allows under each profile
    (lenient, strict), and why."""

    label: str
    lenient: int
    strict: int
    why: str


# The fewest requests each kind's operations can make. Under strict, an experiment write answers
# without expansions, so its outputs (treatment ids) need one GET after the last write; the
# other kinds' writes answer in full under both profiles.
MINIMA: dict[str, tuple[Operation, ...]] = {
    "Metric": (
        Operation("check + references", 1, 1, "1 GET: the project exists"),
        Operation("create", 1, 1, "1 POST, which answers the metric"),
        Operation("read", 1, 1, "1 GET"),
        Operation(IMPORT, 1, 1, "1 GET"),
        Operation("update (rename)", 1, 1, "1 PATCH (JSON Patch), which answers the metric"),
        Operation("delete", 1, 1, "1 DELETE"),
    ),
    "MetricGroup": (
        Operation(
            "check + references",
            4,
            4,
            "1 GET per reference: the project, its 2 metrics, the token's member (maintainer)",
        ),
        Operation("create", 1, 1, "1 POST (the member was looked up at check)"),
        Operation("read", 1, 1, "1 GET"),
        Operation(IMPORT, 1, 1, "1 GET"),
        Operation("update (rename)", 1, 1, "1 PATCH (JSON Patch), which answers the group"),
        Operation("delete", 1, 1, "1 DELETE"),
    ),
    "Holdout": (
        Operation(
            "check + references",
            3,
            3,
            "1 GET per reference: the project, the environment, the primary metric",
        ),
        Operation("create", 1, 1, "1 POST, which answers the holdout"),
        Operation("read", 1, 1, "1 GET"),
        Operation(IMPORT, 1, 1, "1 GET"),
        Operation("update (rename)", 1, 1, "1 PATCH (updateName)"),
        Operation("delete", 1, 1, "1 PATCH (endHoldout): there is no DELETE"),
    ),
    "Layer": (
        Operation(
            "check + references",
            4,
            4,
            "1 GET per reference: the project, the environment, 2 reserved experiments",
        ),
        Operation("create", 2, 2, "1 POST + 1 PATCH per environment with reservations (1)"),
        Operation("read", 1, 1, "1 GET of the list: there is no single GET"),
        Operation(IMPORT, 1, 1, "1 GET of the list"),
        Operation("update (reservation)", 1, 1, "1 PATCH per environment that changes (1)"),
        Operation("delete", 1, 1, "1 PATCH per environment (removeExperiment): no DELETE"),
    ),
    "ExperimentationSettings": (
        Operation("check + references", 1, 1, "1 GET: the project's context kinds"),
        Operation("create", 2, 2, "1 GET (record the previous units) + 1 PUT"),
        Operation("read", 1, 1, "1 GET"),
        Operation(IMPORT, 1, 1, "1 GET"),
        Operation("update (unit added)", 1, 1, "1 PUT, which answers the settings"),
        Operation("delete", 1, 1, "1 PUT of the recorded units"),
    ),
    "Experiment": (
        Operation(
            "check + references",
            6,
            6,
            "1 GET per reference: the project, the environment, the flag, 2 metrics, the "
            "token's member (maintainer)",
        ),
        Operation("create", 1, 2, "1 POST (strict: + 1 GET, the answer has no expansions)"),
        Operation("read", 1, 1, "1 GET with expansions"),
        Operation(IMPORT, 1, 1, "1 GET with expansions"),
        Operation("update (rename)", 1, 2, "1 PATCH (strict: + 1 GET)"),
        Operation("update (start)", 1, 2, "1 PATCH (startIteration; strict: + 1 GET)"),
        Operation(
            "delete",
            1,
            2,
            "1 PATCH archive; strict refuses to archive a running iteration: + 1 PATCH stop",
        ),
    ),
}

#: Why an operation makes more requests than its minimum, where that is kept on purpose:
#: (kind, operation, profile) -> the reason.
JUSTIFIED: dict[tuple[str, str, str], str] = {
    ("Experiment", "delete", "strict"): (
        "the archive is tried first: whether LaunchDarkly archives a running iteration is not "
        "specified, and a stop records a winner, so it is made only once the archive is refused "
        "(the refused PATCH), from a fresh read of the treatment ids (the GET; strict renews "
        "them at each start, so state's may be stale)"
    ),
}

Measure = Callable[[str, Callable[[], Any]], Any]


# -- each kind's lifecycle --------------------------------------------------------------------


def lifecycle(
    host: ProviderHost,
    measure: Measure,
    name: str,
    props: dict[str, Any],
    updates: list[tuple[str, dict[str, Any]]],
    *,
    imported: bool,
) -> None:
    """Check (with references), create, read, import, the updates in turn, delete."""
    inputs, problems = measure("check + references", lambda: host.check(name, {}, props))
    assert problems == [], problems
    id_, outputs = measure("create", lambda: host.create(name, inputs))
    measure("read", lambda: host.read(id_, name, outputs=outputs, inputs=inputs))
    if imported:
        measure(IMPORT, lambda: host.read(id_, name, outputs=None, inputs=None))
    for label, changed in updates:
        news, problems = host.check(name, inputs, changed)
        assert problems == [], problems
        outputs = measure(
            label, partial(host.update, id_, name, olds=outputs, news=news, old_inputs=inputs)
        )
        inputs = news
    measure("delete", lambda: host.delete(id_, name, outputs=outputs, old_inputs=inputs))


def metric(api: Api) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    props = {
        "projectKey": "lab",
        "key": "signed-up",
        "name": "Signed up",
        "kind": "custom",
        "isNumeric": False,
        "eventKey": "signed-up",
    }
    return props, [("update (rename)", {**props, "name": "Signed up (renamed)"})]


def metric_group(api: Api) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    api.metric("visited")
    api.metric("bought")
    props = {
        "projectKey": "lab",
        "key": "signup-funnel",
        "name": "Signup funnel",
        "kind": "funnel",
        "metrics": [
            {"key": "visited", "nameInGroup": "Visit"},
            {"key": "bought", "nameInGroup": "Buy"},
        ],
    }
    return props, [("update (rename)", {**props, "name": "Signup funnel (renamed)"})]


def holdout(api: Api) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    api.metric("signed-up")
    props = holdout_declaration()  # the Holdout protocol tests' own
    return props, [("update (rename)", {**props, "name": "Q1 holdout (renamed)"})]


def layer(api: Api) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    for key in ("exp-a", "exp-b"):
        api.experiment(key)

    def reservations(a: int, b: int) -> list[dict[str, Any]]:
        return [
            {"environmentKey": "dev", "experimentKey": key, "reservationPercent": percent}
            for key, percent in (("exp-a", a), ("exp-b", b))
        ]

    props = {"projectKey": "shop", "key": "checkout", "name": "Checkout"}
    return {**props, "reservations": reservations(30, 20)}, [
        ("update (reservation)", {**props, "reservations": reservations(30, 40)})
    ]


def experimentation_settings(api: Api) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    api.put("/api/v2/projects/lab/context-kinds/device", {"name": "Device"})
    units = [{"randomizationUnit": "user"}, {"randomizationUnit": "organization"}]
    props = {"projectKey": "lab", "randomizationUnits": units}  # lab has user alone
    more = {**props, "randomizationUnits": [*units, {"randomizationUnit": "device"}]}
    return props, [("update (unit added)", more)]


def experiment(api: Api) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    return declaration(), [
        ("update (rename)", declaration(name="Renamed")),
        ("update (start)", declaration(name="Renamed", state="running")),
    ]


SCENARIOS: dict[type[ResourceKind[Any]], Callable[[Api], Any]] = {
    Metric: metric,
    MetricGroup: metric_group,
    Holdout: holdout,
    Layer: layer,
    ExperimentationSettings: experimentation_settings,
    Experiment: experiment,
}


# -- measuring ----------------------------------------------------------------------------------

Calls = dict[str, list[tuple[str, str]]]


@contextmanager
def quiet_host(adapter: str, emulator: Emulator, kind: type[ResourceKind[Any]]) -> Iterator[Any]:
    settings = {"accessToken": TOKEN, "apiHost": emulator.url, "validateReferences": "always"}
    os.environ["LAUNCHDARKLY_LOG_LEVEL"] = "error"
    with provider_host(adapter, settings, kind) as host:
        yield host


def measure_kind(adapter: str, emulator: Emulator, kind: type[ResourceKind[Any]]) -> Calls:
    """Each operation's requests (method, path) for ``kind`` on a fresh emulator and host."""
    emulator.reset()
    props, updates = SCENARIOS[kind](Api(emulator, TOKEN))
    seen: Calls = {}

    def measure(label: str, action: Callable[[], Any]) -> Any:
        emulator.clear_requests()
        result = action()
        seen[label] = [(r["method"], r["path"]) for r in emulator.requests()]
        return result

    with quiet_host(adapter, emulator, kind) as host:
        lifecycle(host, measure, kind.name.lower(), props, updates, imported=adapter == "native")
    return seen


def measure_all(adapter: str) -> dict[str, dict[str, Calls]]:
    """profile -> kind -> operation -> requests."""
    found: dict[str, dict[str, Calls]] = {}
    for profile in PROFILES:
        with Emulator(tokens=(TOKEN,), profile=profile) as emulator:
            found[profile] = {k.name: measure_kind(adapter, emulator, k) for k in SCENARIOS}
    return found


def shown(calls: list[tuple[str, str]]) -> str:
    """``GET settings, PUT settings``: each request's method and the last segment of its path."""
    return ", ".join(f"{method} {path.rsplit('/', 1)[-1]}" for method, path in calls) or "-"


def requests_table(found: dict[str, dict[str, Calls]]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for kind, operations in MINIMA.items():
        for op in operations:
            row: list[Any] = [kind, op.label]
            for profile, minimum in (("lenient", op.lenient), ("strict", op.strict)):
                calls = found[profile][kind].get(op.label)
                if calls is None:
                    row += ["n/a", minimum, ""]
                    continue
                excess = len(calls) - minimum
                row += [len(calls), minimum, f"+{excess}" if excess else "0"]
            strict_calls = found["strict"][kind].get(op.label)
            lenient_calls = found["lenient"][kind].get(op.label)
            row.append(shown(lenient_calls or []))
            if strict_calls != lenient_calls:
                row[-1] += f" (strict: {shown(strict_calls or [])})"
            row.append(op.why)
            rows.append(row)
    return rows


Runs = dict[str, dict[str, Calls]]


def differences(first: Runs, second: Runs) -> list[str]:
    """Operations whose requests differ between two runs (an import only one adapter makes is
    none)."""
    found = []
    for profile, kinds in first.items():
        for kind, calls in kinds.items():
            for label, made in calls.items():
                other = second[profile][kind].get(label)
                if other is not None and other != made:
                    found.append(f"{profile} {kind} {label}: {shown(made)} vs {shown(other)}")
    return found


# -- the whole YAML programme through the real CLI --------------------------------------------

PROGRAMME = ROOT / "examples" / "programme_yaml" / "Pulumi.yaml"
STEPS = (
    ("preview (new stack)", ("preview",)),
    ("up (its preview, then the update)", ("up", "--yes")),
    ("preview (no changes)", ("preview", "--expect-no-changes")),
    # Without --skip-preview the CLI reads every resource twice (its preview, then the refresh).
    ("refresh", ("refresh", "--yes", "--skip-preview")),
    ("destroy", ("destroy", "--yes", "--skip-preview")),
)


def programme(profile: str) -> list[list[Any]]:
    """Each step's requests for ``examples/programme_yaml`` in project lab (flags only) with the
    real CLI, the YAML language host and the native plugin: [step, requests, by method]."""
    from tests.e2e.native import support

    rows: list[list[Any]] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        Emulator(tokens=(support.TOKEN,), profile=profile) as emulator,
    ):
        work = Path(tmp) / "programme"
        work.mkdir()
        shutil.copy(PROGRAMME, work / "Pulumi.yaml")
        env = support.sandbox_env(Path(tmp), emulator.url)
        cli = str(support.pulumi_cli())

        def run(*args: str) -> None:
            done = subprocess.run(
                [cli, *args, "--non-interactive", "--stack", "dev", "--color", "never"],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            if done.returncode != 0:
                raise SystemExit(f"pulumi {' '.join(args)} failed:\n{done.stdout}{done.stderr}")

        subprocess.run(
            [cli, "stack", "init", "dev", "--non-interactive"],
            cwd=work,
            env=env,
            check=True,
            capture_output=True,
        )
        run("config", "set", "launchdarkly-experiments:projectKey", "lab")
        run("config", "set", "launchdarkly-experiments:environmentKey", "dev")
        for label, args in STEPS:
            emulator.clear_requests()
            run(*args)
            seen = [r["method"] for r in emulator.requests()]
            methods = sorted(set(seen), key=seen.index)
            rows.append(
                [profile, label, len(seen), ", ".join(f"{seen.count(m)} {m}" for m in methods)]
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--adapter", choices=("native", "dynamic", "both"), default="native")
    parser.add_argument(
        "--programme",
        action="store_true",
        help="also run examples/programme_yaml through the real CLI (about a minute per profile)",
    )
    args = parser.parse_args()
    print("# HTTP requests per operation of each kind")
    print(
        f"\n{time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
        f"{platform.machine()}; adapter: {args.adapter}"
    )
    adapters = ("native", "dynamic") if args.adapter == "both" else (args.adapter,)
    runs = {adapter: measure_all(adapter) for adapter in adapters}
    table(
        "Requests per operation (provider host over gRPC; emulator profiles lenient, strict)",
        [
            "kind",
            "operation",
            "lenient",
            "minimum",
            "excess",
            "strict",
            "minimum",
            "excess",
            "requests",
            "minimum because",
        ],
        requests_table(runs[adapters[0]]),
    )
    for (kind, label, profile), reason in JUSTIFIED.items():
        print(f"\n{kind} {label} under {profile}, above the minimum: {reason}.")
    if args.programme:
        table(
            "examples/programme_yaml through the real CLI (native plugin), project lab",
            ["profile", "step", "requests", "by method"],
            [row for profile in PROFILES for row in programme(profile)],
        )
    if len(adapters) == 2:
        apart = differences(runs["native"], runs["dynamic"])
        print("\nnative and dynamic adapters: " + ("; ".join(apart) or "the same requests"))


if __name__ == "__main__":
    main()
