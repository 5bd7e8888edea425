"""The package schema: generated from the models, committed fresh, descriptions from field docs."""

from __future__ import annotations

import json
from pathlib import Path

from launchdarkly_experiments.core.kinds.experiment.models import ExperimentSpec, IterationSpec
from launchdarkly_experiments.native.schema import EXPERIMENT_TOKEN, package_schema, schema_json

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schema" / "schema.json"


def test_committed_schema_is_fresh() -> None:
    assert SCHEMA_FILE.read_text() == schema_json(), (
        "schema/schema.json is stale: run "
        "`python -m launchdarkly_experiments.native.schema > schema/schema.json` "
        "and then scripts/gen-sdk.sh"
    )


def test_every_input_comes_from_the_model_with_its_description() -> None:
    schema = package_schema()
    resource = schema["resources"][EXPERIMENT_TOKEN]
    model_names = {info.alias for info in ExperimentSpec.model_fields.values()}
    assert set(resource["inputProperties"]) == model_names
    for name, info in ExperimentSpec.model_fields.items():
        prop = resource["inputProperties"][info.alias or name]
        assert info.description and prop["description"].startswith(info.description)
    iteration = schema["types"]["launchdarkly-experiments:index:Iteration"]
    assert iteration["required"] == [
        info.alias for info in IterationSpec.model_fields.values() if info.is_required()
    ]


def test_enums_list_their_values_and_the_token_is_secret() -> None:
    schema = package_schema()
    state = schema["resources"][EXPERIMENT_TOKEN]["inputProperties"]["state"]
    assert state["description"].endswith("One of: draft, running, stopped.")
    assert schema["config"]["variables"]["accessToken"]["secret"] is True
    assert schema["provider"]["inputProperties"]["accessToken"]["secret"] is True
    assert "accessToken" not in schema["provider"]["properties"]


def test_schema_file_is_valid_json_with_all_type_references_defined() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    text = json.dumps(schema)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/types/')[1:]}:
        assert ref in schema["types"], ref
