"""Declaring a file's metrics, metric groups and experiments under Pulumi's mock runtime: each
reference to an entry of the same file is taken from that resource's output, so the engine sees
the dependency (and orders creation and deletion by it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.mocks import MockMonitor

from launchdarkly_experiments.catalog_resources import Declared, declare, declare_experiments
from tests.support.catalog_files import FUNNEL_ENTRY, METRICS

# The shared file, with a metric of another project that the experiment names by its key.
FILE = (
    METRICS.replace(
        "metric_groups:\n",
        """\
  - key: elsewhere
    name: In another project
    kind: custom
    event_key: e
    is_numeric: false
    project_key: other
metric_groups:
""",
    )
    + "experiments:\n"
    + FUNNEL_ENTRY.replace("{key: bought}]", "{key: bought}, {key: elsewhere}]")
)

TYPE = "pulumi-python:dynamic/launchdarkly:"


class Mocks(pulumi.runtime.Mocks):
    """Outputs are the inputs, but a metric's or group's ``key`` output is marked, so a value
    taken from that output can be told from the literal key."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        if args.typ in (TYPE + "Metric", TYPE + "MetricGroup"):
            outputs["key"] = f"output:{args.inputs['key']}"
        return f"shop/{args.name}", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


class Monitor(MockMonitor):
    """Records each registration's inputs and the resources it depends on (``Kind/name``)."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registered: dict[str, tuple[dict[str, Any], set[str]]] = {}
        self.protected: set[str] = set()

    def RegisterResource(self, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            inputs = pulumi.runtime.rpc.deserialize_properties(request.object)
            kind = request.type.removeprefix(TYPE)
            depends_on = {_short(urn) for urn in request.dependencies}
            self.registered[f"{kind}/{request.name}"] = (inputs, depends_on)
            if request.protect:
                self.protected.add(f"{kind}/{request.name}")
        return super().RegisterResource(request)


@pytest.fixture
def monitor() -> Iterator[Monitor]:
    mocks = Mocks()
    recorder = Monitor(mocks)
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project="catalog", stack="dev", monitor=recorder)
    yield recorder
    pulumi_settings.ROOT.set(None)


def run(body: Any) -> Any:
    result: list[Any] = []
    pulumi.runtime.test(lambda: result.append(body()))()
    return result[0]


def _short(urn: str) -> str:
    """``urn:pulumi:dev::catalog::<parent type>$<type>::<name>`` -> ``Kind/name``."""
    _, _, types, name = urn.split("::", 3)
    return f"{types.split('$')[-1].removeprefix(TYPE)}/{name}"


def test_references_to_the_files_entries_are_taken_by_output(
    tmp_path: Path, monitor: Monitor
) -> None:
    path = tmp_path / "experiments.yaml"
    path.write_text(FILE)
    protect = pulumi.ResourceOptions(protect=True)
    declared: Declared = run(lambda: declare(path, opts=protect))
    assert sorted(declared.metrics) == ["bought", "elsewhere", "visited"]
    assert list(declared.metric_groups) == ["checkout-funnel", "bought"]
    assert list(declared.experiments) == ["exp"]

    group, group_deps = monitor.registered["MetricGroup/checkout-funnel"]
    # The file's metrics by output; a metric made outside the program stays a literal key.
    assert [m["key"] for m in group["metrics"]] == [
        "output:visited",
        "output:bought",
        "made-by-hand",
    ]
    assert group_deps == {"Metric/visited", "Metric/bought"}

    experiment, experiment_deps = monitor.registered["Experiment/exp"]
    iteration = experiment["iteration"]
    assert iteration["metrics"] == [
        {"key": "output:checkout-funnel", "isGroup": True},
        {"key": "output:bought"},
        # Declared in the file, but in another project: not this experiment's metric.
        {"key": "elsewhere"},
    ]
    assert iteration["primaryFunnelKey"] == "output:checkout-funnel"
    # "bought" is a metric and a standard group of the file: is_group picks which.
    assert experiment_deps == {"MetricGroup/checkout-funnel", "Metric/bought"}
    assert monitor.registered["MetricGroup/bought"][1] == {"Metric/bought"}

    # The options apply to every resource of the file.
    assert monitor.protected == set(monitor.registered)
    metric, metric_deps = monitor.registered["Metric/visited"]
    assert metric["urls"] == [{"kind": "exact", "url": "https://shop.example/"}]
    assert metric_deps == set()


def test_a_file_of_experiments_only_declares_them_as_before(
    tmp_path: Path, monitor: Monitor
) -> None:
    path = tmp_path / "experiments.yaml"
    path.write_text(FILE[FILE.index("experiments:") :])
    experiments = run(lambda: declare_experiments(path))
    assert list(experiments) == ["exp"]
    assert list(monitor.registered) == ["Experiment/exp"]
    ((inputs, dependencies),) = monitor.registered.values()
    assert inputs["iteration"]["primaryFunnelKey"] == "checkout-funnel"
    assert dependencies == set()
