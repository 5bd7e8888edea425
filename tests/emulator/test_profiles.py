"""Emulator profiles: ``lenient`` (default) and ``strict``, one test group per strict point.

Each group shows the strict reading and, next to it, that ``lenient`` keeps the historical one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ld_emulator import LENIENT, PROFILES, STRICT, STRICT_POINTS, Emulator, Profile
from ld_emulator.cli import main

from .conftest import (
    EXPERIMENTS,
    HEADERS,
    RO_TOKEN,
    TOKEN,
    Api,
    E,
    assert_error,
    assert_schema,
    experiment,
    iteration,
)


@pytest.fixture
def strict() -> Iterator[Emulator]:
    with Emulator(
        tokens=(TOKEN,), read_only_tokens=(RO_TOKEN,), validate_responses=True, profile="strict"
    ) as emulator:
        yield emulator


@pytest.fixture
def sapi(strict: Emulator) -> Iterator[Api]:
    with httpx.Client(base_url=strict.url, headers=HEADERS, timeout=10) as client:
        yield Api(client)


def _treatment_ids(rep: dict[str, Any]) -> list[str]:
    return [t["_id"] for t in rep["currentIteration"]["treatments"]]


# -- the profile API -------------------------------------------------------------------------


def test_default_is_lenient_and_strict_enforces_every_point() -> None:
    assert Emulator().profile is LENIENT
    assert LENIENT.strict_points == frozenset()
    assert Emulator(profile="strict").profile is STRICT
    assert STRICT.strict_points == frozenset(STRICT_POINTS)
    assert set(PROFILES) == {"lenient", "strict"}
    assert all(summary for summary in STRICT_POINTS.values())


def test_unknown_profiles_and_points_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown profile"):
        Emulator(profile="paranoid")
    with pytest.raises(ValueError, match="unknown strict point"):
        Profile.custom({"no-such-point"})
    with pytest.raises(KeyError):
        _ = "no-such-point" in STRICT


def test_custom_profile_enforces_only_its_points(api: Api, emu: Emulator) -> None:
    emu.profile = Profile.custom({"archive-running-refused"})
    created = api.created()
    assert "treatments" in created["currentIteration"]  # writes still render expansions
    api.start()
    assert_error(api.patch({"kind": "archiveExperiment"}), 400, "invalid_request", "running")


def test_profile_can_change_on_a_running_emulator(emu: Emulator, client: httpx.Client) -> None:
    health = client.get("/_emulator/health").json()
    assert health["profile"] == "lenient" and health["strictPoints"] == []
    emu.profile = "strict"
    health = client.get("/_emulator/health").json()
    assert health["profile"] == "strict"
    assert health["strictPoints"] == sorted(STRICT_POINTS)
    assert client.get(EXPERIMENTS, params={"limit": "30"}).status_code == 400


def test_cli_lists_strict_points(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-strict-points"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":", 1)[0] for line in lines] == list(STRICT_POINTS)


def test_cli_refuses_an_unknown_profile(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--profile", "paranoid"])
    assert exited.value.code == 2
    assert "--profile" in capsys.readouterr().err


# -- write-without-expansions ----------------------------------------------------------------


def test_strict_writes_render_no_expansions(sapi: Api) -> None:
    body = sapi.created(analysisConfig={"bayesianThreshold": "90"})
    assert "treatments" not in body["currentIteration"]
    assert "analysisConfig" not in body
    body = assert_schema(sapi.patch({"kind": "startIteration"}), 200, "Experiment")
    assert "treatments" not in body["currentIteration"]
    running = assert_schema(sapi.get(expand="treatments,analysisConfig"), 200, "Experiment")
    assert len(running["currentIteration"]["treatments"]) == 2
    assert running["analysisConfig"] == {"bayesianThreshold": "90"}
    # a started iteration changed the rule's serving: under strict that is a new flag version
    post = sapi.client.post(f"{EXPERIMENTS}/button-test/iterations", json=sapi.fresh())
    rep = assert_schema(post, 200, "IterationRep")
    assert rep["status"] == "not_started" and "treatments" not in rep
    patched = sapi.patch({"kind": "updateName", "value": "Renamed"})
    assert (
        set(assert_schema(patched, 200, "Experiment"))
        & {
            "draftIteration",
            "previousIterations",
        }
        == set()
    )
    assert "draftIteration" in sapi.get(expand="draftIteration").json()


def test_lenient_writes_render_every_output(api: Api) -> None:
    body = api.created(analysisConfig={"bayesianThreshold": "90"})
    assert len(body["currentIteration"]["treatments"]) == 2
    assert body["analysisConfig"] == {"bayesianThreshold": "90"}


# -- restart-needs-new-iteration -------------------------------------------------------------


def test_strict_restart_of_a_stopped_experiment_needs_a_new_iteration(sapi: Api) -> None:
    sapi.created()
    sapi.start()
    stopped = sapi.stop()
    response = sapi.patch({"kind": "startIteration", "changeJustification": "again"})
    assert_error(
        response, 400, "invalid_request", "You must create a new iteration before calling this"
    )
    # One PATCH: an iteration-field update on the stopped iteration creates the new one
    again = sapi.patch(
        {
            "kind": "updateExperimentFields",
            "value": {"hypothesis": {"operation": "update", "value": "Moving it up sells more"}},
        },
        {"kind": "startIteration", "changeJustification": "again"},
    )
    assert_schema(again, 200, "Experiment")
    body = sapi.get(expand="previousIterations").json()
    assert body["currentIteration"]["status"] == "running"
    assert body["currentIteration"]["_id"] != stopped["currentIteration"]["_id"]
    assert [it["status"] for it in body["previousIterations"]] == ["stopped"]


def test_strict_restart_through_the_deprecated_create_iteration(sapi: Api) -> None:
    sapi.created()
    sapi.start()
    sapi.stop()
    post = sapi.client.post(f"{EXPERIMENTS}/button-test/iterations", json=sapi.fresh())
    assert post.status_code == 200
    assert_schema(sapi.patch({"kind": "startIteration"}), 200, "Experiment")
    body = sapi.get(expand="previousIterations,draftIteration").json()
    assert body["currentIteration"]["status"] == "running"
    assert "draftIteration" not in body
    assert len(body["previousIterations"]) == 1


def test_lenient_restarts_a_stopped_experiment_directly(api: Api) -> None:
    """startIteration on a stopped experiment without a draft clones the stopped iteration
    into a new running one."""
    api.created()
    api.start()
    stopped = api.stop()
    body = api.patch({"kind": "startIteration", "changeJustification": "again"})
    body = assert_schema(body, 200, "Experiment")
    assert body["currentIteration"]["status"] == "running"
    assert body["currentIteration"]["_id"] != stopped["currentIteration"]["_id"]
    assert [it["status"] for it in body["previousIterations"]] == ["stopped"]


# -- archive-running-refused -----------------------------------------------------------------


def test_strict_refuses_to_archive_a_running_experiment(sapi: Api) -> None:
    sapi.created()
    sapi.start()
    assert_error(sapi.patch({"kind": "archiveExperiment"}), 400, "invalid_request", "stop")
    assert "archivedDate" not in sapi.get().json()
    winner = _treatment_ids(sapi.get(expand="treatments").json())[0]
    both = sapi.patch(
        {"kind": "stopIteration", "winningTreatmentId": winner},
        {"kind": "archiveExperiment"},
    )
    body = assert_schema(both, 200, "Experiment")
    assert "archivedDate" in body and body["currentIteration"]["status"] == "stopped"
    sapi.created("never-started", iteration=sapi.fresh())
    archived = sapi.patch({"kind": "archiveExperiment"}, key="never-started")
    assert "archivedDate" in assert_schema(archived, 200, "Experiment")


def test_lenient_archive_stops_a_running_experiment(api: Api) -> None:
    """The running iteration is stopped without a winner, then the experiment is archived."""
    api.created()
    api.start()
    body = assert_schema(api.patch({"kind": "archiveExperiment"}), 200, "Experiment")
    assert isinstance(body["archivedDate"], int)
    assert body["currentIteration"]["status"] == "stopped"
    assert "winningTreatmentId" not in body["currentIteration"]
    assert "archivedDate" in assert_schema(api.get(), 200, "Experiment")


# -- treatment-ids-renewed-on-start ----------------------------------------------------------


def test_strict_treatment_ids_change_when_an_iteration_starts(sapi: Api) -> None:
    sapi.created()
    before = _treatment_ids(sapi.get(expand="treatments").json())
    start_and_stop = sapi.patch(
        {"kind": "startIteration"}, {"kind": "stopIteration", "winningTreatmentId": before[0]}
    )
    assert_error(start_and_stop, 400, "invalid_request", "winningTreatmentId")
    sapi.start()
    after = _treatment_ids(sapi.get(expand="treatments").json())
    assert len(after) == 2 and not set(before) & set(after)
    stopped = sapi.patch({"kind": "stopIteration", "winningTreatmentId": after[1]})
    assert assert_schema(stopped, 200, "Experiment")["currentIteration"]["status"] == "stopped"
    final = sapi.get(expand="treatments").json()["currentIteration"]
    assert final["winningTreatmentId"] == after[1] == final["treatments"][1]["_id"]


def test_lenient_treatment_ids_last_for_the_iteration(api: Api) -> None:
    created = api.created()
    started = api.start()
    assert _treatment_ids(created) == _treatment_ids(started)


# -- flag-config-version-checked -------------------------------------------------------------


def _flags(version: int) -> dict[str, Any]:
    return {"checkout-button": {"ruleId": "fallthrough", "flagConfigVersion": version}}


def test_strict_refuses_a_stale_flag_config_version(sapi: Api) -> None:
    stale = experiment(iteration=iteration(flags=_flags(2)))
    assert_error(
        sapi.create(stale),
        400,
        "invalid_request",
        "iteration.flags.checkout-button.flagConfigVersion",
        "(3)",
    )
    sapi.created()  # version 3 is the flag's version in dev
    post = sapi.client.post(
        f"{EXPERIMENTS}/button-test/iterations", json=iteration(flags=_flags(4))
    )
    assert_error(post, 400, "invalid_request", "flagConfigVersion")
    update = sapi.fields(flags={"operation": "update", "value": _flags(1)})
    assert_error(update, 400, "invalid_request", "flagConfigVersion")


def test_lenient_takes_any_positive_flag_config_version(api: Api) -> None:
    api.created(iteration=iteration(flags=_flags(2)))


# -- duplicate-key-400 -----------------------------------------------------------------------


def test_strict_duplicate_key_is_400(sapi: Api) -> None:
    sapi.created()
    assert_error(sapi.create(), 400, "invalid_request", "already exists")
    sapi.patch({"kind": "archiveExperiment"})
    assert_error(sapi.create(), 400, "invalid_request", "already exists")


def test_lenient_duplicate_key_is_409(api: Api) -> None:
    """Also when the existing experiment is archived: archived experiments keep their key."""
    api.created()
    assert_error(api.create(), 409, "conflict", "already exists")
    api.patch({"kind": "archiveExperiment"})
    assert_error(api.create(), 409, "conflict", "already exists")


# -- list-limit-20 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [EXPERIMENTS, "/api/v2/projects/shop/experiments", f"{E}/holdouts"]
)
def test_strict_list_limit_is_20(sapi: Api, path: str) -> None:
    assert sapi.client.get(path, params={"limit": "20"}).status_code == 200
    response = sapi.client.get(path, params={"limit": "21"})
    assert_error(response, 400, "invalid_request", "limit", "from 1 to 20")


def test_lenient_list_limit_is_50(client: httpx.Client) -> None:
    assert client.get(EXPERIMENTS, params={"limit": "50"}).status_code == 200
    assert_error(client.get(EXPERIMENTS, params={"limit": "51"}), 400, "invalid_request", "50")


# -- gateway-errors-html ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [502, 503, 504])
def test_strict_gateway_errors_are_html(strict: Emulator, sapi: Api, status: int) -> None:
    strict.faults.fail_next(1, status=status)
    response = sapi.client.get(EXPERIMENTS)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text.startswith("<html>") and str(status) in response.text
    with pytest.raises(ValueError):
        response.json()
    assert sapi.client.get(EXPERIMENTS).status_code == 200


def test_strict_other_faults_stay_json(strict: Emulator, sapi: Api) -> None:
    strict.faults.fail_next(1, status=500)
    assert_error(sapi.client.get(EXPERIMENTS), 500, "internal_server_error")
    strict.faults.fail_next(1, status=503, html=False)
    assert_error(sapi.client.get(EXPERIMENTS), 503, "service_unavailable")


def test_lenient_gateway_errors_are_json_unless_asked(emu: Emulator, client: httpx.Client) -> None:
    emu.faults.fail_next(1, status=502)
    assert_error(client.get(EXPERIMENTS), 502, "bad_gateway")
    fault = {"kind": "fail_next", "status": 503, "html": True}
    added = client.post("/_emulator/faults", json=fault)
    assert added.status_code == 201 and added.json()["fault"]["html"] is True
    response = client.get(EXPERIMENTS)
    assert response.status_code == 503 and response.text.startswith("<html>")
