"""E2E: a Pulumi YAML program, the real CLI, the YAML language host and the native plugin.

Up, a preview with no changes, an edit and its detailed diff, drift made through the emulator's
API and recorded by refresh, `pulumi import` of an experiment made outside Pulumi (then
`preview --expect-no-changes` with the generated declaration), destroy.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ld_emulator import Emulator
from tests.support import fixture_ids as ids

from .support import (
    PLUGIN,
    TOKEN,
    TYPE,
    Cli,
    create_outside_pulumi,
    live,
    rename_outside_pulumi,
    sandbox_env,
    shows_change,
    yaml_program,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
PROGRAM = Path(__file__).parent / "yaml" / "Pulumi.yaml"


def test_yaml_program_lifecycle(tmp_path: Path) -> None:
    work = yaml_program(tmp_path, PROGRAM)

    with Emulator(tokens=(TOKEN,)) as emulator:
        cli = Cli(work, sandbox_env(tmp_path, emulator.url))
        cli.init_stack()
        cli.run("config", "set", "experimentName", "Checkout button placement")
        cli.run("config", "set", "topVariation", ids.TOP)
        cli.run("config", "set", "bottomVariation", ids.BOTTOM)

        # up: the engine found the plugin on PATH (it says so) and created the experiment.
        up = cli.run("up", "--yes")
        assert f"using {PLUGIN} from $PATH" in up.stdout + up.stderr
        assert live(emulator.url, "native-yaml")["name"] == "Checkout button placement"
        outputs = json.loads(cli.run("stack", "output", "--json").stdout)
        assert set(outputs["treatmentIds"]) == {"Top", "Bottom"}

        cli.run("preview", "--expect-no-changes")

        # A broken rule: preview fails, naming the property (the plugin's check failures).
        cli.run("config", "set", "topAllocation", "120")
        refused = cli.run("preview", ok=False)
        assert refused.returncode != 0
        assert "iteration.treatments[0].allocationPercent" in refused.stdout + refused.stderr
        assert "must be a number from 0 to 100" in refused.stdout + refused.stderr

        # An edit: the detailed diff names exactly the changed leaves.
        cli.run("config", "set", "experimentName", "Checkout button v2")
        cli.run("config", "set", "topAllocation", "40")
        preview = cli.run("preview", "--diff").stdout
        assert shows_change(preview, "name", "Checkout button placement", "Checkout button v2")
        assert shows_change(preview, "allocationPercent", "50", "40")
        assert "tags" not in preview and "hypothesis" not in preview
        # A transient 503: the plugin retries, and its warning reaches the user through the
        # engine (which hides a plugin's stderr).
        emulator.faults.fail_next(1, status=503, method="PATCH")
        edit = cli.run("up", "--yes").stdout
        diagnostics = edit.split("Diagnostics:", 1)[1]
        under_experiment = diagnostics.split("launchdarkly-experiments:index:Experiment (checkout)")
        assert len(under_experiment) == 2, edit
        assert "launchdarkly: retrying" in under_experiment[1], edit
        assert live(emulator.url, "native-yaml")["name"] == "Checkout button v2"
        cli.run("preview", "--expect-no-changes")

        # Drift made outside Pulumi: refresh records it, the next preview offers to undo it.
        rename_outside_pulumi(emulator.url, "native-yaml", "Renamed in the UI")
        refresh = cli.run("refresh", "--yes", "--diff").stdout
        assert shows_change(refresh, "name", "Checkout button v2", "Renamed in the UI")
        undo = cli.run("preview", "--diff").stdout
        assert shows_change(undo, "name", "Renamed in the UI", "Checkout button v2")
        cli.run("up", "--yes")

        # Import an experiment made outside Pulumi; the generated YAML then matches it exactly.
        create_outside_pulumi(emulator.url, "made-outside")
        generated = tmp_path / "imported.yaml"
        cli.run(
            "import", TYPE, "outside", "shop/dev/made-outside", "--yes", "--out", str(generated)
        )
        program = yaml.safe_load((work / "Pulumi.yaml").read_text())
        for name, resource in yaml.safe_load(generated.read_text())["resources"].items():
            assert resource["type"] in (TYPE, "launchdarkly-experiments:Experiment")
            resource.pop("options", None)  # `protect`, which would block the destroy below
            program["resources"][name] = resource
        (work / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False))
        cli.run("preview", "--expect-no-changes")
        cli.run("up", "--yes")  # records the program's options (unprotect)

        cli.run("destroy", "--yes")
        for key in ("native-yaml", "made-outside"):
            assert live(emulator.url, key)["archivedDate"], key
