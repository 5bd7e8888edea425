module github.com/pulumi-launchdarkly-experiments/pulumi-launchdarkly-experiments/sdk

go 1.26.6

require github.com/pulumi/pulumi/sdk/v3 v3.274.1
