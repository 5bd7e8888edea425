"""SQLite persistence across restarts, thread safety and compare-and-swap."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from ld_emulator import ApiError, Emulator, Store
from ld_emulator.store import EXPERIMENT, Write

from .conftest import (
    EXPERIMENTS,
    HEADERS,
    SEMANTIC,
    Api,
    E,
    assert_schema,
    experiment,
    group_post,
    metric_post,
)


def test_restart_with_the_same_file_keeps_everything(tmp_path: Path) -> None:
    db = tmp_path / "emu.db"
    with Emulator(data_path=db) as first, httpx.Client(base_url=first.url, headers=HEADERS) as c:
        api = Api(c)
        api.created("kept")
        api.start("kept")
        api.created("archived")
        api.patch({"kind": "archiveExperiment"}, key="archived")
        before = first.experiments("shop", "dev")
    assert db.exists()
    with Emulator(data_path=db) as second, httpx.Client(base_url=second.url, headers=HEADERS) as c:
        assert second.experiments("shop", "dev") == before
        body = assert_schema(c.get(f"{EXPERIMENTS}/kept"), 200, "Experiment")
        assert body["currentIteration"]["status"] == "running"
        assert Api(c).create(experiment("kept")).status_code == 409
        listing = c.get(EXPERIMENTS, params={"lifecycleState": "active,archived"}).json()
        assert [e["key"] for e in listing["items"]] == ["kept", "archived"]


def test_same_emulator_object_restarts_on_its_file(tmp_path: Path) -> None:
    emu = Emulator(data_path=tmp_path / "x.db")
    emu.start()
    with httpx.Client(base_url=emu.url, headers=HEADERS) as c:
        Api(c).created("one")
    emu.stop()
    emu.start()
    try:
        assert emu.experiment("shop", "dev", "one") is not None
        assert httpx.get(f"{emu.url}{EXPERIMENTS}/one", headers=HEADERS).status_code == 200
    finally:
        emu.stop()


def test_in_memory_emulators_are_independent() -> None:
    with Emulator() as a, Emulator() as b:
        with httpx.Client(base_url=a.url, headers=HEADERS) as c:
            Api(c).created()
        assert a.experiment("shop", "dev", "button-test") is not None
        assert b.experiment("shop", "dev", "button-test") is None


def test_store_compare_and_swap(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.insert("p", "e", "k", {"n": 1})
    stored = store.get("p", "e", "k")
    assert stored is not None and stored.version == 1
    assert store.compare_and_swap("p", "e", "k", 1, {"n": 2}) == 2
    try:
        store.compare_and_swap("p", "e", "k", 1, {"n": 3})
    except Exception as exc:
        assert getattr(exc, "code", None) == "optimistic_locking_error"
        assert getattr(exc, "status", None) == 409
    else:
        raise AssertionError("stale version must not be written")
    again = store.get("p", "e", "k")
    assert again is not None and again.doc == {"n": 2} and again.version == 2
    store.close()


def test_fifty_parallel_creates_with_distinct_keys(emu: Emulator) -> None:
    def create(i: int) -> int:
        with httpx.Client(base_url=emu.url, headers=HEADERS, timeout=20) as c:
            return c.post(EXPERIMENTS, json=experiment(f"exp-{i}")).status_code

    with ThreadPoolExecutor(max_workers=25) as pool:
        statuses = list(pool.map(create, range(50)))
    assert statuses == [201] * 50
    keys = [e["key"] for e in emu.experiments("shop", "dev")]
    assert sorted(keys) == sorted(f"exp-{i}" for i in range(50))
    listing = httpx.get(emu.url + EXPERIMENTS, headers=HEADERS, params={"limit": 50}).json()
    assert listing["total_count"] == 50


def test_twenty_parallel_creates_of_the_same_key(emu: Emulator) -> None:
    barrier = threading.Barrier(20)

    def create(_: int) -> int:
        with httpx.Client(base_url=emu.url, headers=HEADERS, timeout=20) as c:
            barrier.wait()
            return c.post(EXPERIMENTS, json=experiment("same")).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = Counter(pool.map(create, range(20)))
    assert statuses == Counter({201: 1, 409: 19})
    assert [e["key"] for e in emu.experiments("shop", "dev")] == ["same"]


def test_concurrent_patches_give_200_or_409_and_never_corrupt(emu: Emulator) -> None:
    with httpx.Client(base_url=emu.url, headers=HEADERS) as c:
        Api(c).created(tags=[])
    barrier = threading.Barrier(16)

    def add_tag(i: int) -> tuple[int, str]:
        with httpx.Client(base_url=emu.url, headers=HEADERS, timeout=20) as c:
            barrier.wait()
            body = {
                "instructions": [
                    {
                        "kind": "updateExperimentFields",
                        "value": {"tags": {"operation": "add", "value": [f"t{i}"]}},
                    }
                ]
            }
            response = c.patch(
                f"{EXPERIMENTS}/button-test", json=body, headers={"Content-Type": SEMANTIC}
            )
            if response.status_code == 409:
                assert response.json()["code"] == "optimistic_locking_error"
            return response.status_code, f"t{i}"

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(add_tag, range(16)))
    assert {status for status, _ in results} <= {200, 409}
    winners = {tag for status, tag in results if status == 200}
    assert winners, "at least one PATCH must win"
    stored = emu.experiment("shop", "dev", "button-test")
    assert stored is not None
    # every 200 is reflected, no 409 leaked in, nothing duplicated
    assert set(stored["tags"]) == winners
    assert len(stored["tags"]) == len(winners)


def test_concurrent_lifecycle_patches_keep_a_consistent_state(emu: Emulator) -> None:
    with httpx.Client(base_url=emu.url, headers=HEADERS) as c:
        Api(c).created()
        Api(c).start()
    barrier = threading.Barrier(10)

    def new_iteration(_: int) -> int:
        with httpx.Client(base_url=emu.url, headers=HEADERS, timeout=20) as c:
            barrier.wait()
            return Api(c).patch({"kind": "saveAndStartNewIteration"}).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(new_iteration, range(10)))
    assert set(statuses) <= {200, 409}
    stored = emu.experiment("shop", "dev", "button-test")
    assert stored is not None
    assert stored["currentIteration"]["status"] == "running"
    assert len(stored["previousIterations"]) == statuses.count(200)
    assert all(p["status"] == "stopped" for p in stored["previousIterations"])


def test_patch_losing_the_compare_and_swap_answers_409(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ld_emulator.experiments import iterations

    with httpx.Client(base_url=emu.url, headers=HEADERS) as c:
        api = Api(c)
        api.created()
        original = iterations.apply_instructions

        def racing(ctx: Any, doc: dict[str, Any], body: Any) -> dict[str, Any]:
            result: dict[str, Any] = original(ctx, doc, body)
            # another writer sneaks in between this request's read and its write
            stored = emu.store.get("shop", "dev", "button-test")
            assert stored is not None
            emu.store.compare_and_swap(
                "shop", "dev", "button-test", stored.version, {**stored.doc, "name": "Other"}
            )
            return result

        monkeypatch.setattr(iterations, "apply_instructions", racing)
        response = api.patch({"kind": "updateName", "value": "Mine"})
        assert response.status_code == 409
        assert response.json()["code"] == "optimistic_locking_error"
        monkeypatch.undo()
        assert api.get().json()["name"] == "Other"


# -- the documents table: flags (and the kinds that follow) ----------------------------------


def test_documents_are_seeded_once_and_kept_as_written(tmp_path: Path) -> None:
    store = Store(tmp_path / "d.db")
    assert store.seed([("flag", "p", "", "a", {"n": 1}), ("flag", "p", "", "b", {"n": 1})]) == 2
    stored = store.document("flag", "p", "a")
    assert stored is not None and stored.version == 1
    store.commit([Write("flag", "p", "", "a", {"n": 2}, expected_version=1)])
    # seeding again adds what is missing and keeps what the API changed
    assert store.seed([("flag", "p", "", "a", {"n": 1}), ("flag", "p", "", "c", {"n": 1})]) == 1
    assert [(d.key, d.doc, d.version) for d in store.documents("flag", "p")] == [
        ("a", {"n": 2}, 2),
        ("b", {"n": 1}, 1),
        ("c", {"n": 1}, 1),
    ]
    store.close()


def test_a_commit_is_all_or_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.db")
    store.insert("p", "e", "exp", {"n": 1})
    store.seed([("flag", "p", "", "f", {"n": 1})])
    stale = [
        Write(EXPERIMENT, "p", "e", "exp", {"n": 2}, expected_version=1),
        Write("flag", "p", "", "f", {"n": 2}, expected_version=7),
    ]
    with pytest.raises(ApiError) as refused:
        store.commit(stale)
    assert (refused.value.status, refused.value.code) == (409, "optimistic_locking_error")
    experiment_row, flag_row = store.get("p", "e", "exp"), store.document("flag", "p", "f")
    assert experiment_row is not None and experiment_row.doc == {"n": 1}
    assert flag_row is not None and flag_row.doc == {"n": 1}
    store.commit([stale[0], Write("flag", "p", "", "f", {"n": 2}, expected_version=1)])
    flag_row = store.document("flag", "p", "f")
    assert flag_row is not None and (flag_row.doc, flag_row.version) == ({"n": 2}, 2)
    store.close()


def test_flags_are_stored_kept_across_restarts_and_reseeded_by_reset(tmp_path: Path) -> None:
    db = tmp_path / "flags.db"
    with Emulator(data_path=db) as emu:
        stored = emu.store.document("flag", "shop", "checkout-button")
        assert stored is not None and stored.doc["name"] == "Checkout button"
        renamed = {**stored.doc, "name": "Renamed by the API"}
        emu.store.commit([Write("flag", "shop", "", "checkout-button", renamed, stored.version)])
    with Emulator(data_path=db) as emu, httpx.Client(base_url=emu.url, headers=HEADERS) as c:
        assert c.get("/api/v2/flags/shop/checkout-button").json()["name"] == "Renamed by the API"
        keys = [f["key"] for f in c.get("/api/v2/flags/shop").json()["items"]]
        assert keys == ["checkout-button", "pricing-page", "dormant-flag"]
        emu.reset()
        assert c.get("/api/v2/flags/shop/checkout-button").json()["name"] == "Checkout button"


def test_every_kind_is_kept_across_restarts_and_reset_reseeds(tmp_path: Path) -> None:
    db = tmp_path / "kinds.db"
    beta = {**HEADERS, "LD-API-Version": "beta"}
    lab = "/api/v2/projects/lab"
    with Emulator(data_path=db) as emu, httpx.Client(base_url=emu.url, headers=beta) as c:
        assert c.post("/api/v2/metrics/lab", json=metric_post("signed-up")).status_code == 201
        group = group_post("funnel", "signed-up", kind="standard")
        assert c.post(f"{lab}/metric-groups", json=group).status_code == 201
        holdout = {"key": "h", "name": "H", "holdoutamount": "5"}
        assert c.post(f"{lab}/environments/dev/holdouts", json=holdout).status_code == 201
        layer = {"key": "l", "name": "L", "description": "D"}
        assert c.post(f"{lab}/layers", json=layer).status_code == 201
        assert c.put(f"{lab}/context-kinds/device", json={"name": "Device"}).status_code == 200
        units = {"randomizationUnits": [{"randomizationUnit": "device", "default": True}]}
        assert c.put(f"{lab}/experimentation-settings", json=units).status_code == 200
    with Emulator(data_path=db) as emu, httpx.Client(base_url=emu.url, headers=beta) as c:
        made = [
            c.get("/api/v2/metrics/lab/signed-up"),
            c.get(f"{lab}/metric-groups/funnel"),
            c.get(f"{lab}/environments/dev/holdouts/h"),
        ]
        assert [r.status_code for r in made] == [200, 200, 200]
        assert [layer["key"] for layer in c.get(f"{lab}/layers").json()["items"]] == ["l"]
        kinds = [k["key"] for k in c.get(f"{lab}/context-kinds").json()["items"]]
        assert kinds == ["user", "organization", "device"]
        settings = c.get(f"{lab}/experimentation-settings").json()["randomizationUnits"]
        assert [u["randomizationUnit"] for u in settings] == ["device"]
        emu.reset()
        assert c.get("/api/v2/metrics/lab").json()["totalCount"] == 0
        assert c.get(f"{lab}/layers").json()["totalCount"] == 0
        assert c.get(f"{lab}/environments/dev/holdouts").json()["total_count"] == 0
        settings = c.get(f"{lab}/experimentation-settings").json()["randomizationUnits"]
        assert [u["randomizationUnit"] for u in settings] == ["user"]


def test_a_database_file_from_before_gets_the_other_kinds_seeded(tmp_path: Path) -> None:
    """A file written when only flags were stored documents: opening it adds the fixtures'
    metrics, groups, holdouts, settings and context kinds, and keeps its flags as they are."""
    db = tmp_path / "old.db"
    store = Store(db)
    store.seed([("flag", "shop", "", "checkout-button", {"kept": True})])
    store.close()
    with Emulator(data_path=db) as emu, httpx.Client(base_url=emu.url, headers=HEADERS) as c:
        kept = emu.store.document("flag", "shop", "checkout-button")
        assert kept is not None and kept.doc == {"kept": True}
        assert c.get("/api/v2/metrics/shop").json()["totalCount"] == 4
        assert c.get(f"{E}/holdouts").json()["total_count"] == 1
