// The TypeScript e2e program: an Automation API inline program (no pulumi-language-nodejs host:
// the Go module proxy does not serve it) using the generated TypeScript SDK
// (./launchdarkly-experiments, a copy of sdk/nodejs). Driven by
// tests/e2e/native/test_typescript.py through environment variables:
//   LD_ACTION     up | preview | preview-no-changes | refresh | destroy
//   LD_NAME       the experiment's name; LD_TOP: the Top treatment's allocation
//   LD_TOP_VARIATION, LD_BOTTOM_VARIATION  the variation ids of the emulator's checkout-button
//                 flag (required: tests/support/fixture_ids.py is where they are named)
//   LD_OUTSIDE    "import": also declare the experiment made outside Pulumi, with the `import`
//                 resource option (the engine imports it: Read with only its id); "declared": the
//                 same declaration without the option, once it is in the stack
// `pulumi import` itself (the CLI command) needs the program's language host even with
// --generate-code=false, so it is tested with YAML only.
//   LD_PULUMI_ROOT  the folder whose bin/ holds the pulumi CLI; LD_WORK_DIR: the workspace
// It prints one JSON line: the command's stdout and the stack's outputs.
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import * as ld from "./launchdarkly-experiments";

function required(name: string): string {
    const value = process.env[name];
    if (!value) {
        throw new Error(`${name} is not set`);
    }
    return value;
}

function design(top: string): ld.types.input.IterationArgs {
    return {
        hypothesis: "A bottom button converts better",
        metrics: [{ key: "checkout-completed" }, { key: "revenue-per-user" }],
        primarySingleMetricKey: "checkout-completed",
        treatments: [
            {
                name: "Top",
                baseline: true,
                allocationPercent: top,
                parameters: [
                    { flagKey: "checkout-button", variationId: required("LD_TOP_VARIATION") },
                ],
            },
            {
                name: "Bottom",
                allocationPercent: "50",
                parameters: [
                    { flagKey: "checkout-button", variationId: required("LD_BOTTOM_VARIATION") },
                ],
            },
        ],
        flags: { "checkout-button": { ruleId: "fallthrough", flagConfigVersion: 3 } },
    };
}

async function program(): Promise<Record<string, unknown>> {
    const env = process.env;
    // An explicit provider instance: project and environment come from it.
    const dev = new ld.Provider("dev", { projectKey: "shop", environmentKey: "dev" });
    const checkout = new ld.Experiment(
        "checkout",
        {
            key: "native-ts",
            name: env.LD_NAME ?? "Checkout button placement",
            // A secret input: the description output stays secret in state.
            description: pulumi.secret("Launch plan: confidential"),
            tags: ["checkout", "web"],
            iteration: design(env.LD_TOP ?? "50"),
        },
        { provider: dev },
    );
    if (env.LD_OUTSIDE === "import" || env.LD_OUTSIDE === "declared") {
        // The experiment made in the LaunchDarkly UI, with the default provider.
        new ld.Experiment(
            "outside",
            {
                projectKey: "shop",
                environmentKey: "dev",
                key: "made-outside",
                name: "Made in the UI: made-outside",
                tags: ["checkout", "web"],
                iteration: design("50"),
            },
            env.LD_OUTSIDE === "import" ? { import: "shop/dev/made-outside" } : {},
        );
    }
    return {
        experimentId: checkout.experimentId,
        treatmentIds: checkout.currentIteration.apply((it) => it?.treatmentIds),
    };
}

async function main(): Promise<void> {
    const env = process.env;
    const pulumiCommand = await PulumiCommand.get({
        root: env.LD_PULUMI_ROOT,
        skipVersionCheck: true,
    });
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: "dev", projectName: "ld-native-ts", program },
        { workDir: env.LD_WORK_DIR, pulumiCommand },
    );
    let stdout = "";
    switch (env.LD_ACTION) {
        case "up":
            stdout = (await stack.up({ color: "never" })).stdout;
            break;
        case "preview":
            stdout = (await stack.preview({ diff: true, color: "never" })).stdout;
            break;
        case "preview-no-changes":
            stdout = (await stack.preview({ expectNoChanges: true, color: "never" })).stdout;
            break;
        case "refresh":
            stdout = (await stack.refresh({ color: "never" })).stdout;
            break;
        case "destroy":
            stdout = (await stack.destroy({ color: "never" })).stdout;
            break;
        default:
            throw new Error(`unknown LD_ACTION ${env.LD_ACTION}`);
    }
    const outputs = await stack.outputs();
    const plain: Record<string, unknown> = {};
    for (const [name, output] of Object.entries(outputs)) {
        plain[name] = output.value;
    }
    console.log(JSON.stringify({ stdout, outputs: plain }));
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
