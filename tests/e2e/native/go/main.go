// The Go e2e program: a Go Automation API inline program (no pulumi-language-go host: the Go
// module proxy does not serve it) using the generated Go SDK (sdk/, through a replace
// directive). Driven by tests/e2e/native/test_go.py through environment variables, like the
// TypeScript program:
//
//	LD_ACTION     up | preview | preview-no-changes | refresh | destroy
//	LD_NAME       the experiment's name; LD_TOP: the Top treatment's allocation
//	LD_TOP_VARIATION, LD_BOTTOM_VARIATION  the variation ids of the emulator's checkout-button
//	              flag (required: tests/support/fixture_ids.py is where they are named)
//	LD_OUTSIDE    "import": also declare the experiment made outside Pulumi with the Import
//	              resource option; "declared": the same declaration without it
//	LD_PULUMI_ROOT  the folder whose bin/ holds the pulumi CLI; LD_WORK_DIR: the workspace
//
// It prints one JSON line: the command's stdout and the stack's outputs.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	ld "github.com/pulumi-launchdarkly-experiments/pulumi-launchdarkly-experiments/sdk/go/launchdarklyexperiments"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func getenv(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func treatment(name string, baseline bool, allocation, variation string) ld.TreatmentInput {
	return ld.TreatmentArgs{
		Name:              pulumi.String(name),
		Baseline:          pulumi.Bool(baseline),
		AllocationPercent: pulumi.String(allocation),
		Parameters: ld.TreatmentParameterArray{ld.TreatmentParameterArgs{
			FlagKey:     pulumi.String("checkout-button"),
			VariationId: pulumi.String(variation),
		}},
	}
}

func design(top string) ld.IterationArgs {
	return ld.IterationArgs{
		Hypothesis: pulumi.String("A bottom button converts better"),
		Metrics: ld.MetricReferenceArray{
			ld.MetricReferenceArgs{Key: pulumi.String("checkout-completed")},
			ld.MetricReferenceArgs{Key: pulumi.String("revenue-per-user")},
		},
		PrimarySingleMetricKey: pulumi.String("checkout-completed"),
		Treatments: ld.TreatmentArray{
			treatment("Top", true, top, os.Getenv("LD_TOP_VARIATION")),
			treatment("Bottom", false, "50", os.Getenv("LD_BOTTOM_VARIATION")),
		},
		Flags: ld.FlagConfigMap{"checkout-button": ld.FlagConfigArgs{
			RuleId:            pulumi.String("fallthrough"),
			FlagConfigVersion: pulumi.Int(3),
		}},
	}
}

func program(ctx *pulumi.Context) error {
	// An explicit provider instance: project and environment come from it.
	dev, err := ld.NewProvider(ctx, "dev", &ld.ProviderArgs{
		ProjectKey:     pulumi.String("shop"),
		EnvironmentKey: pulumi.String("dev"),
	})
	if err != nil {
		return err
	}
	checkout, err := ld.NewExperiment(ctx, "checkout", &ld.ExperimentArgs{
		Key:         pulumi.String("native-go"),
		Name:        pulumi.String(getenv("LD_NAME", "Checkout button placement")),
		Description: pulumi.ToSecret(pulumi.String("Launch plan: confidential")).(pulumi.StringOutput),
		Tags:        pulumi.ToStringArray([]string{"checkout", "web"}),
		Iteration:   design(getenv("LD_TOP", "50")),
	}, pulumi.Provider(dev))
	if err != nil {
		return err
	}
	if outside := os.Getenv("LD_OUTSIDE"); outside == "import" || outside == "declared" {
		var opts []pulumi.ResourceOption
		if outside == "import" {
			opts = append(opts, pulumi.Import(pulumi.ID("shop/dev/made-outside")))
		}
		_, err := ld.NewExperiment(ctx, "outside", &ld.ExperimentArgs{
			ProjectKey:     pulumi.String("shop"),
			EnvironmentKey: pulumi.String("dev"),
			Key:            pulumi.String("made-outside"),
			Name:           pulumi.String("Made in the UI: made-outside"),
			Tags:           pulumi.ToStringArray([]string{"checkout", "web"}),
			Iteration:      design("50"),
		}, opts...)
		if err != nil {
			return err
		}
	}
	ctx.Export("experimentId", checkout.ExperimentId)
	ctx.Export("treatmentIds", checkout.CurrentIteration.TreatmentIds())
	return nil
}

func run() error {
	for _, name := range []string{"LD_TOP_VARIATION", "LD_BOTTOM_VARIATION"} {
		if os.Getenv(name) == "" {
			return fmt.Errorf("%s is not set", name)
		}
	}
	ctx := context.Background()
	command, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{
		Root:             os.Getenv("LD_PULUMI_ROOT"),
		SkipVersionCheck: true,
	})
	if err != nil {
		return err
	}
	stack, err := auto.UpsertStackInlineSource(ctx, "dev", "ld-native-go", program,
		auto.WorkDir(os.Getenv("LD_WORK_DIR")), auto.Pulumi(command))
	if err != nil {
		return err
	}
	var stdout string
	switch action := os.Getenv("LD_ACTION"); action {
	case "up":
		result, err := stack.Up(ctx, optup.Color("never"))
		if err != nil {
			return err
		}
		stdout = result.StdOut
	case "preview":
		result, err := stack.Preview(ctx, optpreview.Diff(), optpreview.Color("never"))
		if err != nil {
			return err
		}
		stdout = result.StdOut
	case "preview-no-changes":
		result, err := stack.Preview(ctx, optpreview.ExpectNoChanges(), optpreview.Color("never"))
		if err != nil {
			return err
		}
		stdout = result.StdOut
	case "refresh":
		result, err := stack.Refresh(ctx, optrefresh.Color("never"))
		if err != nil {
			return err
		}
		stdout = result.StdOut
	case "destroy":
		result, err := stack.Destroy(ctx, optdestroy.Color("never"))
		if err != nil {
			return err
		}
		stdout = result.StdOut
	default:
		return fmt.Errorf("unknown LD_ACTION %q", action)
	}
	outputs, err := stack.Outputs(ctx)
	if err != nil {
		return err
	}
	plain := map[string]any{}
	for name, output := range outputs {
		plain[name] = output.Value
	}
	line, err := json.Marshal(map[string]any{"stdout": stdout, "outputs": plain})
	if err != nil {
		return err
	}
	fmt.Println(string(line))
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
