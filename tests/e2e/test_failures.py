"""Failures as a user sees them in the real CLI's output: what broke, where, and what to do."""

from __future__ import annotations

from tests.e2e.support import E2EProject, declare_experiment
from tests.support import fixture_ids as ids


def _traceback_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "Traceback" in line or 'File "' in line]


def test_bad_input_fails_the_preview_naming_the_property(root: E2EProject) -> None:
    def program() -> None:
        import launchdarkly_experiments as ld

        declare_experiment(
            "broken",
            methodology="bayes",
            iteration_changes={
                "treatments": [
                    ld.TreatmentArgs(
                        name="Only",
                        baseline=True,
                        allocation_percent=120,
                        parameters=[ld.TreatmentParameterArgs("checkout-button", ids.TOP)],
                    )
                ]
            },
        )

    preview = root.preview(program=program, check=False)
    assert preview.returncode != 0
    assert "iteration.treatments[0].allocationPercent" in preview.output
    assert "got 120" in preview.output
    assert "methodology" in preview.output
    assert _traceback_lines(preview.output) == []
    # Reference lookups at check (a token is set) are reads; nothing is written.
    assert {r["method"] for r in root.emulator.requests()} <= {"GET"}


def test_a_missing_token_names_both_settings(root: E2EProject) -> None:
    root.env.pop("LAUNCHDARKLY_ACCESS_TOKEN")
    # A preview needs no token at all.
    root.preview(program=lambda: declare_experiment("tokenless"))
    up = root.up(program=lambda: declare_experiment("tokenless"), check=False)
    assert up.returncode != 0
    assert "launchdarkly:accessToken" in up.output
    assert "LAUNCHDARKLY_ACCESS_TOKEN" in up.output
    assert _traceback_lines(up.output) == []
    assert root.emulator.requests() == []


def test_a_400_from_launchdarkly_names_the_experiment_and_the_answer(root: E2EProject) -> None:
    root.emulator.faults.fail_next(1, status=400, method="POST")
    up = root.up(program=lambda: declare_experiment("refused"), check=False)
    assert up.returncode != 0
    assert "create experiment shop/dev/refused" in up.output
    assert "LaunchDarkly answered 400" in up.output
    assert _traceback_lines(up.output) == []
    # Nothing half-made: the next up creates it.
    root.up(program=lambda: declare_experiment("refused"))
    held = root.emulator.experiment("shop", "dev", "refused")
    assert held is not None and held.get("archivedDate") is None
