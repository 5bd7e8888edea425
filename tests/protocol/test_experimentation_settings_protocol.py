"""The ExperimentationSettings kind through both adapters over gRPC, against the emulator under
each profile: a project's randomization units, taken over at create and restored at delete.

Project lab starts with one unit, user (the default), and context kinds user and organization.
"""

from __future__ import annotations

from typing import Any

import pytest

from launchdarkly_experiments.core.kinds import ExperimentationSettings
from ld_emulator import Emulator
from tests.support.declarations import api_iteration
from tests.support.engine import ProviderCallError, ProviderHost
from tests.support.ld_api import LAB, SHOP, Api
from tests.support.profiles import one_profile

from .conftest import TOKEN, api_calls, checked_and_created, plain

KIND = ExperimentationSettings
SETTINGS = f"{LAB}/experimentation-settings"


def declared(*units: dict[str, Any], project: str = "lab") -> dict[str, Any]:
    return {"projectKey": project, "randomizationUnits": list(units)}


def unit(key: str, **more: Any) -> dict[str, Any]:
    return {"randomizationUnit": key, **more}


def live_units(api: Api, path: str = SETTINGS) -> list[tuple[str, bool]]:
    return [(u["randomizationUnit"], u["default"]) for u in api.get(path)["randomizationUnits"]]


@pytest.fixture
def api(emulator: Emulator) -> Api:
    return Api(emulator, TOKEN)


@one_profile  # no request at all
def test_check_reports_every_problem_at_once(host: ProviderHost, emulator: Emulator) -> None:
    _, failures = host.check("units", {}, declared())
    assert [(f.property, "at least 1" in f.reason) for f in failures] == [
        ("randomizationUnits", True)
    ]
    broken = declared(unit("user", default=True), unit("organization", default=True), unit("user"))
    _, failures = host.check("units", {}, broken)
    found = {f.property: f.reason for f in failures}
    assert set(found) == {"randomizationUnits", "randomizationUnits[2].randomizationUnit"}
    assert "'user', 'organization' all say default" in found["randomizationUnits"]
    # The first unit is the default when none says so: both spellings are one declaration.
    explicit, _ = host.check(
        "units", {}, declared(unit("user", default=True), unit("organization"))
    )
    implicit, _ = host.check("units", {}, declared(unit("user"), unit("organization")))
    assert plain(explicit) == plain(implicit) == declared(unit("user"), unit("organization"))
    assert api_calls(emulator) == []


def test_lifecycle_records_and_restores_the_units(
    host: ProviderHost, emulator: Emulator, api: Api
) -> None:
    props = declared(unit("user"), unit("organization", default=True))
    id_, outputs, inputs = checked_and_created(host, "units", props)
    assert id_ == "lab"
    assert api_calls(emulator) == [("GET", SETTINGS), ("PUT", SETTINGS)]
    assert emulator.requests()[1]["body"] == {
        "randomizationUnits": [
            {"randomizationUnit": "user", "default": False},
            {"randomizationUnit": "organization", "default": True},
        ]
    }
    assert outputs["previousRandomizationUnits"] == [unit("user")]
    assert outputs["defaultRandomizationUnit"] == "organization"
    assert live_units(api) == [("user", False), ("organization", True)]

    # Refresh of unchanged settings: one GET, nothing changes.
    emulator.clear_requests()
    _, refreshed, read_inputs = host.read(id_, "units", outputs=outputs, inputs=inputs)
    assert plain(refreshed) == outputs and plain(read_inputs) == plain(inputs)
    assert api_calls(emulator) == [("GET", SETTINGS)]

    # Update: one PUT. The deprecated field is sent and kept, never read back.
    emulator.clear_requests()
    news, _ = host.check(
        "units", inputs, declared(unit("organization", standardRandomizationUnit="organization"))
    )
    assert host.diff(id_, "units", olds=outputs, news=news).changes == "some"
    updated = plain(host.update(id_, "units", olds=outputs, news=news))
    assert api_calls(emulator) == [("PUT", SETTINGS)]
    assert updated["randomizationUnits"] == news["randomizationUnits"]
    assert updated["previousRandomizationUnits"] == [unit("user")]
    _, refreshed, _ = host.read(id_, "units", outputs=updated)
    assert plain(refreshed) == updated

    # Delete puts the recorded units back.
    emulator.clear_requests()
    host.delete(id_, "units", outputs=updated)
    assert api_calls(emulator) == [("PUT", SETTINGS)]
    assert live_units(api) == [("user", True)]


def test_units_already_declared_cost_one_read(
    host: ProviderHost, emulator: Emulator, api: Api
) -> None:
    _, outputs, _ = checked_and_created(host, "units", declared(unit("user")))
    assert api_calls(emulator) == [("GET", SETTINGS)]
    assert outputs["previousRandomizationUnits"] == outputs["randomizationUnits"] == [unit("user")]


def test_drift_is_found_and_import_rebuilds_the_declaration(
    host: ProviderHost, emulator: Emulator, api: Api
) -> None:
    id_, outputs, inputs = checked_and_created(
        host, "units", declared(unit("user"), unit("organization"))
    )
    api.put(SETTINGS, {"randomizationUnits": [{"randomizationUnit": "organization"}]})
    _, refreshed, read_inputs = host.read(id_, "units", outputs=outputs, inputs=inputs)
    assert plain(refreshed)["randomizationUnits"] == [unit("organization")]
    assert plain(read_inputs)["randomizationUnits"] == [unit("organization")]
    assert plain(refreshed)["previousRandomizationUnits"] == [unit("user")]
    if host.serialized_provider:
        return  # `pulumi import`: native only (the engine reads a dynamic one without it)
    emulator.clear_requests()
    imported_id, state, imported = host.read(id_, "units", outputs=None, inputs=None)
    assert api_calls(emulator) == [("GET", SETTINGS)]
    assert (imported_id, plain(imported)) == (id_, declared(unit("organization")))
    # Imported, the resource restores at delete what it found.
    assert plain(state)["previousRandomizationUnits"] == [unit("organization")]


def test_an_unknown_outcome_is_read_back(host: ProviderHost, emulator: Emulator, api: Api) -> None:
    emulator.faults.drop_next(1, method="PUT", path=f"{SETTINGS}$", after_processing=True)
    _, outputs, _ = checked_and_created(host, "units", declared(unit("organization")))
    assert api_calls(emulator) == [("GET", SETTINGS), ("PUT", SETTINGS), ("GET", SETTINGS)]
    assert outputs["randomizationUnits"] == [unit("organization")]


def test_restoring_units_an_experiment_uses(
    host: ProviderHost, emulator: Emulator, api: Api
) -> None:
    api.put(f"{SHOP}/context-kinds/team", {"name": "Team"})
    props = declared(unit("user"), unit("organization"), unit("team"), project="shop")
    id_, outputs, _ = checked_and_created(host, "units", props)
    api.experiment("by-team", iteration=api_iteration(randomizationUnit="team"))
    if "in-use-refused" in emulator.profile:
        with pytest.raises(ProviderCallError) as refused:
            host.delete(id_, "units", outputs=outputs)
        assert "delete experimentation settings of shop" in refused.value.details
        assert "'team'" in refused.value.details and "by-team" in refused.value.details
    else:
        host.delete(id_, "units", outputs=outputs)
        path = f"{SHOP}/experimentation-settings"
        assert live_units(api, path) == [("user", True), ("organization", False)]
