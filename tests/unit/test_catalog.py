"""The experiments-file catalog: positions, every problem at once, duplicates, hints, schema."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from launchdarkly_experiments import catalog
from launchdarkly_experiments.catalog import CatalogError, Problem
from launchdarkly_experiments.dynamic.resources import ExperimentArgs
from launchdarkly_experiments.provider import ExperimentProvider
from tests.support.catalog_files import FUNNEL_ENTRY, METRICS, VALID_ENTRY

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schemas" / "experiments.schema.json"


def write(tmp_path: Path, text: str, name: str = "experiments.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems_of(path: Path, **kwargs: Any) -> list[Problem]:
    with pytest.raises(CatalogError) as info:
        catalog.load(path, **kwargs)
    assert str(info.value).startswith(f"{path}: "), str(info.value)
    return info.value.problems


def by_line(problems: list[Problem]) -> dict[int | None, list[str]]:
    result: dict[int | None, list[str]] = {}
    for problem in problems:
        result.setdefault(problem.location.line, []).append(
            f"{problem.property}: {problem.message}"
        )
    return result


# -- valid files -------------------------------------------------------------------------------


def test_a_valid_file_loads_into_entries_in_the_providers_wire_form(tmp_path: Path) -> None:
    path = write(tmp_path, "experiments:\n" + VALID_ENTRY)
    loaded = catalog.load(path, defaults={"environment_key": "staging"})
    (entry,) = loaded.entries
    assert loaded.keys() == ["exp"] and entry.line == 2
    wire = entry.wire()
    assert wire["environmentKey"] == "staging"
    assert wire["iteration"]["treatments"][0] == {
        "name": "A",
        "baseline": True,
        "allocationPercent": 50,
        "parameters": [{"flagKey": "checkout-button", "variationId": "v1"}],
    }
    # Flag keys are user data: never renamed.
    assert wire["iteration"]["flags"] == {
        "checkout-button": {"ruleId": "fallthrough", "flagConfigVersion": 3}
    }
    assert set(entry.resource_args()) <= {f for f in ExperimentArgs.__dataclass_fields__}


def test_json_files_load_too(tmp_path: Path) -> None:
    entry = yaml.safe_load(VALID_ENTRY)[0]
    path = write(tmp_path, json.dumps({"experiments": [entry]}, indent=2), name="exp.json")
    assert catalog.load(path).keys() == ["exp"]


def test_the_repositorys_files_load() -> None:
    assert catalog.load(ROOT / "experiments.yaml").keys() == [
        "checkout-button-placement",
        "pricing-plan-order",
    ]
    assert len(catalog.load(ROOT / "examples" / "data_file" / "experiments.yaml")) == 2


# -- every problem at once, with its line --------------------------------------------------------

BROKEN = """\
defaults:
  methodology: bayes
experiments:
  - key: first
    name: First
    iteration:
      hypothesis: h
      metrics: [{key: checkout-completed}]
      primary_single_metric_key: checkout-completed
      treatments:
        - name: A
          baseline: true
          allocation_percent: 80
          parameters: [{flag_key: checkout-button, variation_id: v1}]
        - name: B
          baseline: true
          allocation_percent: 60
          parameters: [{flag_key: checkout-button, variation_id: v2}]
      flags:
        checkout-button: {rule_id: fallthrough, flag_config_version: -1}
  - key: second
    name: No
    colour: red
    iteration:
      hypothesis: h
      metrics: [{key: m}]
      primary_single_metric_key: m
      treatments:
        - name: A
          baseline: true
          allocation_percent: [50]
          parameters: [{flag_key: f, variation_id: v1}]
      flags:
        f: {rule_id: fallthrough, flag_config_version: 1}
"""


def test_every_problem_of_the_file_is_reported_with_its_line(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, BROKEN))
    lines = by_line(problems)
    # The bad default is reported once, where it is written.
    assert lines[2] == [
        "defaults: methodology: must be one of 'bayesian', 'frequentist', 'export_only'; "
        "got 'bayes'"
    ], lines
    assert any("flag_config_version" in m for m in lines[20]), lines
    assert any("name" in m and "quote it" in m for m in lines[22]), lines
    assert any("colour" in m and "unknown" in m for m in lines[23]), lines
    assert any("allocation_percent" in m for m in lines[31]), lines
    assert all(p.location.file == str(tmp_path / "experiments.yaml") for p in problems)
    # Sorted by position, and the text names file:line:column.
    assert [p.location.line for p in problems] == sorted(p.location.line or 0 for p in problems)
    assert str(problems[0]).startswith(f"{tmp_path / 'experiments.yaml'}:2:16: defaults")


def test_cross_field_rules_are_reported_next_to_field_errors(tmp_path: Path) -> None:
    """Two baselines and 140% are reported even though the methodology is invalid too."""
    problems = problems_of(write(tmp_path, BROKEN))
    first = [
        f"{p.property}: {p.message}" for p in problems if p.property.startswith("experiments[0]")
    ]
    assert any("baseline" in m and "found 2" in m for m in first), first
    assert any("total 140" in m for m in first), first
    # They point at the treatments list of the first entry.
    treatment_lines = {
        p.location.line for p in problems if "found 2" in p.message or "140" in p.message
    }
    assert treatment_lines == {11}


def test_a_problem_in_a_nested_field_points_at_its_value(tmp_path: Path) -> None:
    text = "experiments:\n" + VALID_ENTRY.replace("hypothesis: h", "hypothesis: [h]")
    (problem,) = problems_of(write(tmp_path, text))
    assert (problem.location.line, problem.location.column) == (5, 19)
    assert problem.property == "experiments[0] (exp): iteration.hypothesis"


def test_a_missing_field_points_at_the_mapping_that_lacks_it(tmp_path: Path) -> None:
    text = "experiments:\n  - key: exp\n    name: Exp\n"
    (problem,) = problems_of(write(tmp_path, text))
    assert (
        problem.location.line == 2
        and "iteration" in problem.property
        and "required" in problem.message
    )


def test_dotted_flag_keys_are_located(tmp_path: Path) -> None:
    text = "experiments:\n" + VALID_ENTRY.replace("checkout-button", "web.checkout").replace(
        "flag_config_version: 3", "flag_config_version: x"
    )
    (problem,) = problems_of(write(tmp_path, text))
    assert problem.location.line == 14
    assert problem.property.endswith("iteration.flags.web.checkout.flag_config_version")


# -- YAML pitfalls ------------------------------------------------------------------------------


def test_duplicate_keys_are_refused_with_both_lines(tmp_path: Path) -> None:
    text = "experiments:\n" + VALID_ENTRY.replace(
        "    name: Exp\n", "    name: Exp\n    name: E2\n"
    )
    (problem,) = problems_of(write(tmp_path, text))
    assert problem.location.line == 4
    assert "duplicate key 'name' (first at line 3)" in problem.message


def test_duplicate_keys_are_refused_in_json(tmp_path: Path) -> None:
    entry = yaml.safe_load(VALID_ENTRY)[0]
    text = json.dumps({"experiments": [entry]}, indent=2).replace(
        '"name": "Exp",', '"name": "Exp",\n      "name": "Other",'
    )
    (problem,) = problems_of(write(tmp_path, text, name="exp.json"))
    assert "duplicate key 'name'" in problem.message and problem.location.line is not None


@pytest.mark.parametrize(
    ("written", "read_as"),
    [("No", "a boolean"), ("yes", "a boolean"), ("off", "a boolean"), ("1.0", "a number")],
)
def test_yaml_scalars_read_as_non_strings_get_a_quoting_hint(
    tmp_path: Path, written: str, read_as: str
) -> None:
    text = "experiments:\n" + VALID_ENTRY.replace("- name: A", f"- name: {written}")
    (problem,) = problems_of(write(tmp_path, text))
    assert problem.property.endswith("iteration.treatments[0].name")
    assert f"YAML reads {written} as {read_as}" in problem.message
    assert f"did you mean the string '{written}'? quote it" in problem.message


def test_a_quoted_value_gets_no_hint_and_loads(tmp_path: Path) -> None:
    text = "experiments:\n" + VALID_ENTRY.replace("- name: A", '- name: "No"')
    (entry,) = catalog.load(write(tmp_path, text)).entries
    assert entry.wire()["iteration"]["treatments"][0]["name"] == "No"


def test_camel_case_field_names_get_a_snake_case_hint(tmp_path: Path) -> None:
    text = "experiments:\n" + VALID_ENTRY.replace(
        "primary_single_metric_key", "primarySingleMetricKey"
    )
    (problem,) = problems_of(write(tmp_path, text))
    assert problem.location.line == 7
    assert "did you mean 'primary_single_metric_key'" in problem.message


# -- shape of the file ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        pytest.param(
            "experiments:\n  - key: exp\n    name: Exp\n   iteration: {}\n",
            4,
            "not valid YAML",
            id="syntax",
        ),
        pytest.param("- key: exp\n", 1, "'experiments' list", id="top-level-list"),
        pytest.param("experiment:\n" + VALID_ENTRY, 1, "unknown top-level field", id="top-level"),
        pytest.param("experiments: []\n", 1, "non-empty list", id="empty"),
        pytest.param("experiments:\n  - just a string\n", 2, "expected a mapping", id="entry"),
        pytest.param(
            "defaults:\n  key: shared\nexperiments:\n" + VALID_ENTRY,
            2,
            "'key' is different for every experiment",
            id="key-as-default",
        ),
        pytest.param(
            "experiments:\n" + VALID_ENTRY + VALID_ENTRY,
            15,
            "already used by experiments[0]",
            id="duplicate-experiment-key",
        ),
    ],
)
def test_malformed_files_name_the_line(tmp_path: Path, text: str, line: int, needle: str) -> None:
    problems = problems_of(write(tmp_path, text))
    assert any(p.location.line == line and needle in p.message for p in problems), problems


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    (problem,) = problems_of(write(tmp_path, '{"experiments": [}', name="exp.json"))
    assert (problem.location.line, problem.location.column) == (
        1,
        18,
    ) and "not valid JSON" in problem.message


def test_an_unreadable_file_is_one_problem(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path / "missing.yaml")
    assert "cannot read" in problem.message


# -- metrics and metric groups --------------------------------------------------------------------


def test_metrics_and_groups_load_beside_experiments(tmp_path: Path) -> None:
    path = write(tmp_path, METRICS + "experiments:\n" + FUNNEL_ENTRY)
    loaded = catalog.load(path, defaults={"environment_key": "staging"})
    assert [m.key for m in loaded.metrics] == ["visited", "bought"]
    assert [g.key for g in loaded.metric_groups] == ["checkout-funnel", "bought"]
    assert loaded.keys() == ["exp"] and len(loaded) == 1
    visited, bought = loaded.metrics
    assert visited.line == 4 and loaded.metric_groups[0].line == 15
    # The defaults a metric has a field for are inherited; the experiment's others are not.
    assert visited.wire() == {
        "tags": ["managed-by-pulumi"],
        "key": "visited",
        "name": "Visited",
        "kind": "pageview",
        "urls": [{"kind": "exact", "url": "https://shop.example/"}],
    }
    assert bought.wire()["tags"] == ["checkout"] and bought.wire()["isNumeric"] is False
    assert loaded.metric_groups[0].wire()["metrics"][0] == {
        "key": "visited",
        "nameInGroup": "Visited",
    }
    assert loaded.entries[0].wire()["environmentKey"] == "staging"


def test_references_name_the_files_metrics_and_groups(tmp_path: Path) -> None:
    """Where an entry names an entry of the file (same project): what is wired by output."""
    path = write(tmp_path, METRICS + "experiments:\n" + FUNNEL_ENTRY)
    loaded = catalog.load(path)

    def references(entry: catalog.Entry) -> list[tuple[Any, str, str]]:
        return [(r.path, r.target.section.name, r.target.key) for r in loaded.references(entry)]

    # A metric made outside the file (made-by-hand) is no reference: preview checks it.
    assert references(loaded.metric_groups[0]) == [
        (("metrics", 0, "key"), "metrics", "visited"),
        (("metrics", 1, "key"), "metrics", "bought"),
    ]
    # is_group picks the section: "bought" is both a metric and a group of the file.
    assert references(loaded.entries[0]) == [
        (("iteration", "metrics", 0, "key"), "metric_groups", "checkout-funnel"),
        (("iteration", "metrics", 1, "key"), "metrics", "bought"),
        (("iteration", "primaryFunnelKey"), "metric_groups", "checkout-funnel"),
    ]
    assert references(loaded.metrics[0]) == []
    # In another project, the file's metric of that key is not the experiment's.
    elsewhere = catalog.load(
        write(
            tmp_path,
            METRICS.replace("    kind: pageview\n", "    kind: pageview\n    project_key: other\n")
            + "experiments:\n"
            + FUNNEL_ENTRY.replace("{key: bought}", "{key: visited}"),
        )
    )
    assert [r.target.key for r in elsewhere.references(elsewhere.entries[0])] == [
        "checkout-funnel",
        "checkout-funnel",
    ]


def test_the_readmes_example_of_metrics_and_groups_loads(tmp_path: Path) -> None:
    blocks = [b.split("```")[0] for b in (ROOT / "README.md").read_text().split("```yaml\n")[1:]]
    (example,) = [b for b in blocks if "metric_groups:" in b]
    jsonschema.validate(yaml.safe_load(example), json.loads(SCHEMA_FILE.read_text()))
    loaded = catalog.load(write(tmp_path, example))
    (experiment,) = loaded.entries
    assert [r.target.key for r in loaded.references(experiment)] == [
        "checkout-funnel",
        "order-placed",
        "checkout-funnel",
    ]


def test_a_file_may_declare_only_metrics(tmp_path: Path) -> None:
    loaded = catalog.load(write(tmp_path, METRICS))
    assert len(loaded) == 0 and len(loaded.metrics) == 2


BROKEN_METRICS = """\
metrics:
  - key: visited
    name: Visited
    kind: pageview
  - key: bought
    name: Bought
    kind: custom
    isNumeric: true
  - key: visited
    name: Again
    kind: click
    selector: "#buy"
    urls: [{kind: exact, url: "https://shop.example/"}]
metric_groups:
  - key: funnel
    name: Funnel
    kind: funnel
    metrics:
      - {key: visited}
  - key: standard
    name: No
    kind: standard
    metrics: [{key: a}, {key: a}]
  - key: funnel
    name: Funnel again
    kind: standard
    metrics: [{key: a}]
    colour: red
experiments:
""" + VALID_ENTRY.replace("hypothesis: h", "hypothesis: [h]")


def test_every_problem_of_metrics_and_groups_is_reported_with_its_line(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, BROKEN_METRICS))
    assert by_line(problems) == {
        2: [
            "metrics[0] (visited): urls: required for pageview metrics (the pages watched, one "
            "or more); it is not set"
        ],
        5: [
            "metrics[1] (bought): event_key: required for custom metrics (the event key your "
            "code sends); it is not set",
            "metrics[1] (bought): success_criteria: required for numeric custom metrics "
            "(HigherThanBaseline or LowerThanBaseline); it is not set",
        ],
        8: [
            "metrics[1] (bought): isNumeric: fields are written in snake_case: did you mean "
            "'is_numeric'?"
        ],
        9: [
            "metrics[2] (visited): key: 'visited' is already used by metrics[0]; each metric "
            "in a file needs its own key"
        ],
        19: [
            "metric_groups[0] (funnel): metrics: a funnel needs at least two metrics (its "
            "steps, in order); it has 1",
            "metric_groups[0] (funnel): metrics[0].name_in_group: required in a funnel (the "
            "step's name); it is not set",
        ],
        21: [
            "metric_groups[1] (standard): name: must be a string; got False (YAML reads No as "
            "a boolean: did you mean the string 'No'? quote it: \"No\")"
        ],
        23: [
            "metric_groups[1] (standard): metrics[1].key: metric 'a' is already metrics[0]; a "
            "group lists each metric once"
        ],
        24: [
            "metric_groups[2] (funnel): key: 'funnel' is already used by metric_groups[0]; "
            "each metric group in a file needs its own key"
        ],
        28: [
            "metric_groups[2] (funnel): colour: unknown property 'colour'; allowed here: key, "
            "name, kind, metrics, description, maintainer_id, tags, project_key, adopt"
        ],
        33: ["experiments[0] (exp): iteration.hypothesis: must be a string; got a list"],
    }, by_line(problems)
    # Each points at its column too: the step without a name, not its group.
    assert [(p.location.line, p.location.column) for p in problems if p.location.line == 19] == [
        (19, 7),
        (19, 9),
    ]
    assert str(problems[0]).startswith(f"{tmp_path / 'experiments.yaml'}:2:5: metrics[0]")


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        pytest.param("metrics: []\n", 1, "non-empty list of metrics", id="empty-metrics"),
        pytest.param(
            "metric_groups: {key: g}\nexperiments:\n" + VALID_ENTRY,
            1,
            "non-empty list of metric groups, got a mapping",
            id="groups-not-a-list",
        ),
        pytest.param("defaults: {tags: [a]}\n", 1, "non-empty list of experiments", id="nothing"),
        pytest.param(
            "metrics:\n  - [visited]\n", 2, "expected a mapping, got a list", id="metric-entry"
        ),
    ],
)
def test_malformed_sections_name_the_line(
    tmp_path: Path, text: str, line: int, needle: str
) -> None:
    problems = problems_of(write(tmp_path, text))
    assert any(p.location.line == line and needle in p.message for p in problems), problems


# -- the same verdict as the provider ------------------------------------------------------------


# Each case states its verdict: None where both accept it, else the property and the message
# both report (the catalog with its snake_case path, the provider with the wire path).
@pytest.mark.parametrize(
    ("replace", "by", "verdict"),
    [
        pytest.param("baseline: true", "baseline: 'yes'", None, id="baseline-yes"),
        pytest.param(
            "baseline: true",
            "baseline: 'maybe'",
            (
                "iteration.treatments[0].baseline",
                "iteration.treatments[0].baseline",
                "must be true or false; got 'maybe'",
            ),
            id="baseline-maybe",
        ),
        pytest.param(
            "allocation_percent: 50", "allocation_percent: '50'", None, id="percent-as-string"
        ),
        pytest.param(
            "allocation_percent: 50",
            "allocation_percent: 120",
            (
                "iteration.treatments[0].allocation_percent",
                "iteration.treatments[0].allocationPercent",
                "must be a number from 0 to 100, got 120",
            ),
            id="percent-over-100",
        ),
        pytest.param(
            "flag_config_version: 3", "flag_config_version: '3'", None, id="version-as-string"
        ),
        pytest.param(
            "hypothesis: h",
            "hypothesis: 7",
            ("iteration.hypothesis", "iteration.hypothesis", "must be a string; got 7"),
            id="hypothesis-number",
        ),
        pytest.param(
            "name: A",
            "name: ''",
            (
                "iteration.treatments[0].name",
                "iteration.treatments[0].name",
                "must not be empty; got ''",
            ),
            id="treatment-name-empty",
        ),
    ],
)
def test_the_catalog_and_the_provider_agree(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    replace: str,
    by: str,
    verdict: tuple[str, str, str] | None,
) -> None:
    for name in [k for k in os.environ if k.startswith("LAUNCHDARKLY_")]:
        monkeypatch.delenv(name)  # an offline check: no token, no lookups
    text = VALID_ENTRY.replace(replace, by)
    assert text != VALID_ENTRY, f"the case must change the entry: {replace!r}"
    # The catalog: loading the file.
    path = write(tmp_path, "experiments:\n" + text)
    try:
        catalog.load(path)
        from_catalog: list[tuple[str, str]] = []
    except CatalogError as caught:
        from_catalog = [(p.property, p.message) for p in caught.problems]
    # The provider: its check of the same entry in wire form, as `pulumi preview` runs it.
    wire = catalog.Entry("exp", None, yaml.safe_load(text)[0]).wire()
    checked = ExperimentProvider().check(
        {}, {**wire, "projectKey": "shop", "environmentKey": "dev", "__provider": "blob"}
    )
    from_provider = [(f.property, f.reason) for f in checked.failures]
    if verdict is None:
        assert (from_catalog, from_provider) == ([], [])
        return
    catalog_path, provider_path, message = verdict
    # The catalog adds a quoting hint where YAML read a scalar as a non-string.
    ((where, said),) = from_catalog
    assert where == f"experiments[0] (exp): {catalog_path}" and said.startswith(message), said
    assert from_provider == [(provider_path, message)]


# -- the JSON Schema for editors ---------------------------------------------------------------


def test_the_committed_schema_is_fresh() -> None:
    assert SCHEMA_FILE.read_text() == catalog.schema_text(), (
        "schemas/experiments.schema.json is stale; regenerate it with "
        "`python -m launchdarkly_experiments.catalog schema > schemas/experiments.schema.json`"
    )


def test_the_schema_accepts_the_repositorys_files_and_refuses_typos() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for name in ("experiments.yaml", "examples/data_file/experiments.yaml"):
        jsonschema.validate(yaml.safe_load((ROOT / name).read_text()), schema)
    jsonschema.validate(yaml.safe_load(METRICS + "experiments:\n" + FUNNEL_ENTRY), schema)
    jsonschema.validate(yaml.safe_load(METRICS), schema)
    for broken_text in (
        "experiments:\n" + VALID_ENTRY.replace("name: Exp", "nam: Exp"),
        METRICS.replace("kind: pageview", "kind: pageviews"),
        METRICS.replace("name_in_group: Visited", "name_in_groups: Visited"),
        "defaults: {tags: [a]}\n",
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(yaml.safe_load(broken_text), schema)


def test_the_files_point_editors_at_the_schema() -> None:
    for name in ("experiments.yaml", "examples/data_file/experiments.yaml"):
        first = (ROOT / name).read_text().splitlines()[0]
        target = first.split("$schema=")[1]
        assert (ROOT / name).parent.joinpath(target).resolve() == SCHEMA_FILE


def test_the_command_line_checks_files_and_prints_the_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert catalog.main(["check", str(ROOT / "experiments.yaml")]) == 0
    assert "2 experiment(s), no problems" in capsys.readouterr().out
    assert catalog.main(["check", str(write(tmp_path, METRICS, name="metrics.yaml"))]) == 0
    assert "0 experiment(s), 2 metric(s), 2 metric group(s), no problems" in (
        capsys.readouterr().out
    )
    broken = write(tmp_path, BROKEN)
    assert catalog.main(["check", str(broken)]) == 1
    assert f"{broken}:2:16" in capsys.readouterr().err
    assert catalog.main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "LaunchDarkly experiments file"
    assert catalog.main([]) == 2


def test_the_docs_name_the_catalog_and_not_the_old_loader() -> None:
    for name in ("README.md", "examples/data_file/README.md", "__main__.py"):
        text = (ROOT / name).read_text()
        assert "experiments_from_file" not in text, name
        assert "catalog" in text, name
