"""What is generated from the resource kinds is fresh, and follows the kinds' models."""

from __future__ import annotations

import ast
import base64
import inspect
import subprocess
import sys
import textwrap
from dataclasses import fields

import dill
from pulumi import _types as pulumi_types
from pydantic.alias_generators import to_snake

import launchdarkly_experiments.provider
from launchdarkly_experiments.codegen.__main__ import ROOT, outputs
from launchdarkly_experiments.core.kind import field_names
from launchdarkly_experiments.core.kinds import KINDS
from launchdarkly_experiments.core.models import InputModel, nested_models
from launchdarkly_experiments.dynamic import resources
from launchdarkly_experiments.dynamic.resource import camel_case


def test_every_generated_file_is_what_the_kinds_make() -> None:
    stale = []
    for path, make in outputs().items():
        current = path.read_text(encoding="utf-8")
        if make(current) != current:
            stale.append(str(path.relative_to(ROOT)))
    assert stale == [], f"regenerate with `python -m launchdarkly_experiments.codegen`: {stale}"


def test_each_args_class_has_the_fields_of_its_model_and_each_resource_its_properties() -> None:
    for kind in KINDS:
        for model in (*nested_models(kind.inputs), kind.inputs):
            assert issubclass(model, InputModel)
            args = getattr(resources, model.args_name)
            assert {f.name for f in fields(args)} == set(model.model_fields), model.args_name
        resource = getattr(resources, kind.name)
        expected = {to_snake(n) for n in (*field_names(kind.inputs), *kind.output_names())}
        assert _declared_attributes(resource) == expected, kind.name
        provider = dill.loads(base64.b64decode(resource._provider_blob))
        assert type(provider) is getattr(launchdarkly_experiments.provider, f"{kind.name}Provider")
        assert type(provider).kind is kind
        for model in (*nested_models(kind.inputs), kind.inputs):
            for name, info in model.model_fields.items():
                assert camel_case(name) == (info.alias or name), (model.__name__, name)


def test_a_program_loads_neither_the_kinds_nor_pydantic() -> None:
    """What a program imports to declare resources: the generated module and the SDK (the
    kinds' models and pydantic are the provider host's, about 0.2 s of every program run);
    an enum loads its kind's models when it is used."""
    probe = (
        "import sys, launchdarkly_experiments as ld; ld.Experiment, ld.ExperimentArgs, ld.Metric;"
        "print(sorted(m for m in sys.modules if m.startswith(('pydantic', 'launchdarkly_'))));"
        "print(ld.Methodology.BAYESIAN.value)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.splitlines()
    assert out == [
        str(
            [
                "launchdarkly_experiments",
                "launchdarkly_experiments.dynamic",
                "launchdarkly_experiments.dynamic.resource",
                "launchdarkly_experiments.dynamic.resources",
                "launchdarkly_experiments.errors",
            ]
        ),
        "bayesian",
    ]


def _declared_attributes(resource: type) -> set[str]:
    """The attributes a type checker sees on a generated resource (``if TYPE_CHECKING:`` too)."""
    (tree,) = ast.parse(textwrap.dedent(inspect.getsource(resource))).body
    assert isinstance(tree, ast.ClassDef)
    return {
        node.target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }


def test_the_sdk_reads_back_only_the_types_it_converts_to() -> None:
    """The SDK evaluates a resource's runtime annotations for every answer of the engine; it
    uses them to turn numbers into int, so those stay, and only those."""
    for kind in KINDS:
        resource = getattr(resources, kind.name)
        typed = pulumi_types.resource_types(resource)
        assert set(typed.values()) <= {int}, kind.name
    assert set(pulumi_types.resource_types(resources.Experiment)) == {
        "creation_date",
        "archived_date",
    }


def test_the_arguments_keep_their_positions() -> None:
    """Positional arguments of the classes written by hand before they were generated."""
    assert [f.name for f in fields(resources.ExperimentArgs)][:5] == [
        "key",
        "name",
        "iteration",
        "project_key",
        "environment_key",
    ]
    assert [f.name for f in fields(resources.TreatmentParameterArgs)][:2] == [
        "flag_key",
        "variation_id",
    ]
    assert [f.name for f in fields(resources.TreatmentArgs)] == [
        "name",
        "allocation_percent",
        "parameters",
        "baseline",
    ]


def test_property_names_translate_both_ways_and_leave_user_data_alone() -> None:
    experiment = resources.Experiment.__new__(resources.Experiment)
    for name in (
        "treatmentIds",
        "winningTreatmentId",
        "primarySingleMetricKey",
        "experimentId",
        "variationName",
    ):
        snake = experiment.translate_output_property(name)
        assert experiment.translate_input_property(snake) == name
    # A flag key or treatment name inside a map is user data, not a property.
    assert experiment.translate_output_property("checkout-button") == "checkout-button"
    assert experiment.translate_output_property("myFlag") == "myFlag"
