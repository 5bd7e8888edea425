"""The Python program of tests/e2e/test_install.py: the installed Python SDK (the wheel, in a fresh
virtualenv: nothing of this repository is importable) as an Automation API inline program, since
the Go module proxy here does not serve pulumi-language-python. Driven like the TypeScript and Go
programs of tests/e2e/native:

    LD_ACTION       up | preview-no-changes | destroy
    LD_PULUMI_ROOT  the folder whose bin/ holds the pulumi CLI; LD_WORK_DIR: the workspace

It prints one JSON line: the command's stdout and the stack's outputs.
"""

from __future__ import annotations

import json
import os
from importlib.metadata import version

import pulumi
import pulumi_launchdarkly_experiments as ld
from pulumi import automation as auto


def arm(name: str, variation: str, baseline: bool = False) -> ld.TreatmentArgs:
    return ld.TreatmentArgs(
        name=name,
        baseline=baseline,
        allocation_percent="50",
        parameters=[ld.TreatmentParameterArgs(flag_key="checkout-button", variation=variation)],
    )


def program() -> None:
    checkout = ld.Experiment(
        "checkout",
        project_key="shop",
        environment_key="dev",
        key="installed-python",
        name="Checkout button placement",
        iteration=ld.IterationArgs(
            hypothesis="A checkout button above the cart raises completed checkouts.",
            metrics=[ld.MetricReferenceArgs(key="checkout-completed")],
            primary_single_metric_key="checkout-completed",
            treatments=[arm("Bottom", "Bottom", baseline=True), arm("Top", "Top")],
            flags={"checkout-button": ld.FlagConfigArgs(rule_id="Beta customers")},
        ),
    )
    pulumi.export("treatmentIds", checkout.current_iteration.apply(lambda it: it.treatment_ids))
    pulumi.export("sdkVersion", version("pulumi-launchdarkly-experiments-sdk"))


def main() -> None:
    stack = auto.create_or_select_stack(
        stack_name="dev",
        project_name="ld-installed-python",
        program=program,
        opts=auto.LocalWorkspaceOptions(
            work_dir=os.environ["LD_WORK_DIR"],
            pulumi_command=auto.PulumiCommand(
                os.environ["LD_PULUMI_ROOT"], skip_version_check=True
            ),
        ),
    )
    action = os.environ["LD_ACTION"]
    if action == "up":
        stdout = stack.up(color="never").stdout
    elif action == "preview-no-changes":
        stdout = stack.preview(expect_no_changes=True, color="never").stdout
    elif action == "destroy":
        stdout = stack.destroy(color="never").stdout
    else:
        raise SystemExit(f"unknown LD_ACTION {action!r}")
    outputs = {name: output.value for name, output in stack.outputs().items()}
    print(json.dumps({"stdout": stdout, "outputs": outputs}))


if __name__ == "__main__":
    main()
