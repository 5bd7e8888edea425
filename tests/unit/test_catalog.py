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

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schemas" / "experiments.schema.json"

VALID_ENTRY = """\
  - key: exp
    name: Exp
    iteration:
      hypothesis: h
      metrics: [{key: checkout-completed}]
      primary_single_metric_key: checkout-completed
      treatments:
        - name: A
          baseline: true
          allocation_percent: 50
          parameters: [{flag_key: checkout-button, variation_id: v1}]
      flags:
        checkout-button: {rule_id: fallthrough, flag_config_version: 3}
"""


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
    broken = yaml.safe_load("experiments:\n" + VALID_ENTRY.replace("name: Exp", "nam: Exp"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


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
