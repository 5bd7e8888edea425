"""Listings: filters over every iteration, paging done in SQLite, and older database files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx

from ld_emulator import Emulator, Store
from ld_emulator.store import Query

from .conftest import (
    EXPERIMENTS,
    HEADERS,
    Api,
    assert_error,
    assert_schema,
    experiment,
    iteration,
    on_rule,
)


def _keys(client: httpx.Client, **params: str) -> list[str]:
    body = assert_schema(client.get(EXPERIMENTS, params=params), 200, "ExperimentCollectionRep")
    return [e["key"] for e in body["items"]]


def test_status_filter_matches_any_iteration(api: Api, client: httpx.Client) -> None:
    api.created("restarted")
    api.start("restarted")
    api.stop("restarted")
    api.start("restarted")  # the stopped iteration is now a previous one
    api.created("fresh")
    api.created("running-with-draft", iteration=iteration(flags=on_rule()))
    api.start("running-with-draft")
    draft = client.post(f"{EXPERIMENTS}/running-with-draft/iterations", json=iteration())
    assert draft.status_code == 200

    assert _keys(client, filter="status:stopped") == ["restarted"]
    assert _keys(client, filter="status:running") == ["restarted", "running-with-draft"]
    assert _keys(client, filter="status:not_started") == ["fresh", "running-with-draft"]
    # several filters: every one must hold (not necessarily for the same iteration)
    assert _keys(client, filter="status:running,status:stopped") == ["restarted"]


def test_metric_filter_matches_a_previous_iteration(api: Api, client: httpx.Client) -> None:
    api.created()
    api.start()
    change = {"metrics": {"operation": "update", "value": [{"key": "checkout-completed"}]}}
    restart = {"kind": "saveAndStartNewIteration", "changeJustification": "x", "value": change}
    body = assert_schema(api.patch(restart), 200, "Experiment")
    assert [m["key"] for m in body["currentIteration"]["metrics"]] == ["checkout-completed"]
    assert _keys(client, filter="metricKey:revenue-per-user") == ["button-test"]
    assert _keys(client, filter="metricKey:page-views") == []
    assert _keys(client, filter="flagKey:checkout-button,metricKey:revenue-per-user") == [
        "button-test"
    ]


def test_pages_and_counts(api: Api, client: httpx.Client) -> None:
    for i in range(7):
        api.created(f"e{i}")
    api.patch({"kind": "archiveExperiment"}, key="e1")
    page = client.get(EXPERIMENTS, params={"limit": "2", "offset": "2"}).json()
    assert [e["key"] for e in page["items"]] == ["e3", "e4"]
    assert page["total_count"] == 6
    assert page["_links"]["next"]["href"].endswith("limit=2&offset=4")
    assert page["_links"]["last"]["href"].endswith("limit=2&offset=4")
    both = client.get(EXPERIMENTS, params={"lifecycleState": "archived,active", "offset": "5"})
    assert [e["key"] for e in both.json()["items"]] == ["e5", "e6"]
    assert both.json()["total_count"] == 7
    past = client.get(EXPERIMENTS, params={"offset": str(2**63 - 1)}).json()
    assert past["items"] == [] and past["total_count"] == 6
    beyond = client.get(EXPERIMENTS, params={"offset": str(2**63)})
    assert_error(beyond, 400, "invalid_request", "'offset' must be a 64-bit integer")


def test_store_select_reads_only_the_page() -> None:
    store = Store()
    for i in range(50):
        doc: dict[str, Any] = {"current": {"status": "running" if i % 2 else "not_started"}}
        store.insert("p", "e", f"k{i}", doc)
    total, page = store.select(Query("p", "e", statuses=("running",)), limit=3, offset=4)
    assert total == 25
    assert [s.key for s in page] == ["k9", "k11", "k13"]


_OLD_SCHEMA = """
CREATE TABLE experiments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, project TEXT NOT NULL, environment TEXT NOT NULL,
    key TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL,
    UNIQUE (project, environment, key)
);
"""


def test_a_database_from_an_older_emulator_is_upgraded(tmp_path: Path) -> None:
    # Experiments written by the emulator before listings were done in SQL
    db = tmp_path / "old.db"
    with Emulator() as source, httpx.Client(base_url=source.url, headers=HEADERS) as c:
        api = Api(c)
        api.created("a")
        api.created("b")
        api.start("b")
        api.patch({"kind": "archiveExperiment"}, key="a")
        docs = [(s.key, s.doc) for s in source.store.list("shop", "dev")]
    conn = sqlite3.connect(db)
    conn.executescript(_OLD_SCHEMA)
    for key, doc in docs:
        conn.execute(
            "INSERT INTO experiments (project, environment, key, version, doc)"
            " VALUES ('shop', 'dev', ?, 1, ?)",
            (key, json.dumps(doc)),
        )
    conn.commit()
    conn.close()

    with Emulator(data_path=db) as emu, httpx.Client(base_url=emu.url, headers=HEADERS) as c:
        assert _keys(c) == ["b"]
        assert _keys(c, lifecycleState="archived") == ["a"]
        assert _keys(c, filter="status:running") == ["b"]
        assert Api(c).create(experiment("a")).status_code == 409


def test_query_parameters_follow_the_spec_types(client: httpx.Client) -> None:
    # booleans as LaunchDarkly reads them (its docs write summary=0)
    for value in ("true", "false", "0", "1"):
        assert client.get("/api/v2/flags/shop", params={"summary": value}).status_code == 200
    for value in ("null", "yes", ""):
        response = client.get("/api/v2/flags/shop", params={"summary": value})
        assert_error(response, 400, "invalid_request", "'summary' must be true or false")
    assert_error(client.get(EXPERIMENTS, params={"limit": "1.5"}), 400, "invalid_request", "limit")
    # parameters the spec does not declare are ignored
    assert client.get(EXPERIMENTS, params={"unknown": "x"}).status_code == 200
