"""Secrets, resource options users rely on, and one stack per environment, with the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import yaml

from ld_emulator import Emulator
from tests.e2e.support import TOKEN, E2EProject, api_writes, declare_experiment

EXPERIMENTS = "/api/v2/projects/shop/environments/dev/experiments"
SECRET_TOKEN = "ld-api-token-7f3a9c2e-e2e"
# The transcript entry of the --show-secrets export, which prints what the user asked to see.
SHOWN_EXPORT = "CLI output of stack export --show-secrets"


def test_the_token_as_a_stack_secret_appears_nowhere_in_clear(
    tmp_path: Path, root: E2EProject
) -> None:
    with Emulator(tokens=(SECRET_TOKEN,)) as emulator:
        root.emulator = emulator
        root.cli("config", "set", "launchdarkly:apiHost", emulator.url)
        root.cli("config", "set", "--secret", "launchdarkly:accessToken", SECRET_TOKEN)
        # Only the stack config holds the token: no environment variable to fall back on.
        no_env = {"LAUNCHDARKLY_ACCESS_TOKEN": ""}
        root.env.pop("LAUNCHDARKLY_ACCESS_TOKEN")
        root.up()
        assert len(emulator.experiments("shop", "dev")) == 2
        root.preview(expect_no_changes=True)
        root.refresh()
        plain = root.cli("stack", "export", env=no_env).stdout
        shown = root.cli("stack", "export", "--show-secrets", env=no_env).stdout
        root.destroy()

    stack_file = (root.directory / "Pulumi.dev.yaml").read_text()
    assert "launchdarkly:accessToken" in stack_file and "secure:" in stack_file
    places = {
        "stack export": plain,
        "stack export --show-secrets": shown,
        "Pulumi.dev.yaml": stack_file,
        **{
            (
                SHOWN_EXPORT
                if text.startswith("$ pulumi stack export --show-secrets")
                else f"CLI output {i}"
            ): text
            for i, text in enumerate(root.transcript)
        },
        **{str(p): p.read_text(errors="replace") for p in root.backend_files()},
        **{
            str(p): p.read_text(errors="replace")
            for p in root.home.rglob("*")
            if p.is_file() and p.stat().st_size < 5_000_000
        },
    }
    leaks = [
        where
        for where, text in places.items()
        if SECRET_TOKEN in text and where not in ("stack export --show-secrets", SHOWN_EXPORT)
    ]
    assert leaks == []
    # --show-secrets decrypts what the engine keeps encrypted: the stack config it hands the
    # default `pulumi-python` provider, which it records (as a secret) in that provider's
    # inputs. None of our resources' inputs, outputs or __provider holds the token.
    deployment = json.loads(shown)["deployment"]
    holders = [
        (r["type"], section, name)
        for r in deployment["resources"]
        for section in ("inputs", "outputs")
        for name, value in (r.get(section) or {}).items()
        if SECRET_TOKEN in json.dumps(value)
    ]
    assert holders == [
        ("pulumi:providers:pulumi-python", "inputs", "launchdarkly:accessToken"),
        ("pulumi:providers:pulumi-python", "outputs", "launchdarkly:accessToken"),
    ]
    for resource in json.loads(plain)["deployment"]["resources"]:
        if resource["type"] == "pulumi:providers:pulumi-python":
            stored = resource["inputs"]["launchdarkly:accessToken"]
            assert stored.get("4dabf18193072939515e22adb298388d") == (
                "1b47061264138c4ac30d75fd1eb44270"
            ), "kept as a secret"


def test_protect_refuses_destroy_until_unprotected(root: E2EProject) -> None:
    def program(protect: bool) -> None:
        declare_experiment("guarded", opts=pulumi.ResourceOptions(protect=protect))

    root.up(program=lambda: program(True))
    failed = root.destroy(program=lambda: program(True), check=False)
    assert failed.returncode != 0
    assert "protected" in failed.output
    assert root.emulator.experiment("shop", "dev", "guarded").get("archivedDate") is None

    root.up(program=lambda: program(False))
    root.destroy(program=lambda: program(False))
    assert root.emulator.experiment("shop", "dev", "guarded").get("archivedDate") is not None


def test_retain_on_delete_leaves_the_experiment_in_launchdarkly(root: E2EProject) -> None:
    root.up(
        program=lambda: declare_experiment(
            "kept", opts=pulumi.ResourceOptions(retain_on_delete=True)
        )
    )
    root.emulator.clear_requests()
    root.destroy()
    assert api_writes(root.emulator) == []
    assert root.emulator.experiment("shop", "dev", "kept").get("archivedDate") is None
    assert root.experiments_in_state() == {}


def test_ignore_changes_keeps_an_edit_out_of_the_plan(root: E2EProject) -> None:
    opts = pulumi.ResourceOptions(ignore_changes=["name"])
    root.up(program=lambda: declare_experiment("quiet", opts=opts))
    root.emulator.clear_requests()
    root.preview(
        program=lambda: declare_experiment("quiet", opts=opts, name="Ignored rename"),
        expect_no_changes=True,
    )
    root.up(program=lambda: declare_experiment("quiet", opts=opts, name="Ignored rename"))
    assert api_writes(root.emulator) == []
    assert root.emulator.experiment("shop", "dev", "quiet")["name"] == "Checkout button placement"


def test_replace_on_changes_is_not_honoured_for_a_dynamic_resource(root: E2EProject) -> None:
    """A real-engine limit, documented in the README: the Python dynamic-provider host reports
    no changed keys to the engine (its DiffResponse has only changes/replaces), and the engine
    applies replace_on_changes to changed keys, so the change stays an in-place update."""
    opts = pulumi.ResourceOptions(replace_on_changes=["description"])
    root.up(program=lambda: declare_experiment("strict", opts=opts, description="first"))
    preview = root.preview(
        program=lambda: declare_experiment("strict", opts=opts, description="second"), diff=True
    )
    assert preview.result.change_summary == {"same": 1, "update": 1}, preview.stdout
    root.emulator.clear_requests()
    root.up(program=lambda: declare_experiment("strict", opts=opts, description="second"))
    assert api_writes(root.emulator) == [
        ("PATCH", f"{EXPERIMENTS}/strict", ["updateExperimentFields"])
    ]
    held = root.emulator.experiment("shop", "dev", "strict")
    assert held is not None and held["description"] == "second"


def test_target_updates_only_the_targeted_experiment(root: E2EProject) -> None:
    def program(suffix: str) -> None:
        declare_experiment("first", name=f"First{suffix}")
        declare_experiment("second", name=f"Second{suffix}")

    root.up(program=lambda: program(""))
    urn = next(r["urn"] for r in root.resources() if r["urn"].endswith("::first"))
    root.emulator.clear_requests()
    root.up(program=lambda: program(" v2"), target=[urn])
    assert api_writes(root.emulator) == [
        ("PATCH", f"{EXPERIMENTS}/first", ["updateExperimentFields"])
    ]
    assert root.emulator.experiment("shop", "dev", "first")["name"] == "First v2"
    assert root.emulator.experiment("shop", "dev", "second")["name"] == "Second"


def test_two_stacks_in_one_backend_each_manage_their_environment(
    tmp_path: Path, root: E2EProject
) -> None:
    # The repository's Pulumi.staging.yaml: same project, environment "staging".
    staging = yaml.safe_load((root.directory / "Pulumi.staging.yaml").read_text())["config"]
    assert staging["launchdarkly:environmentKey"] == "staging"
    root.init_stack("staging")

    root.up("dev")
    root.up("staging")
    dev = {e["key"] for e in root.emulator.experiments("shop", "dev")}
    staged = {e["key"] for e in root.emulator.experiments("shop", "staging")}
    assert dev == staged and dev
    assert all(
        r["id"].startswith("shop/staging/") for r in root.experiments_in_state("staging").values()
    )

    root.destroy("staging")
    assert all(e.get("archivedDate") for e in root.emulator.experiments("shop", "staging"))
    assert all(e.get("archivedDate") is None for e in root.emulator.experiments("shop", "dev"))
    root.preview("dev", expect_no_changes=True)
    assert TOKEN not in "".join(root.transcript)
