// Writes a file-based Go module proxy entry (see main.go and scripts/build-artifacts.sh).
module github.com/pulumi-launchdarkly-experiments/tools/goproxy

go 1.26.6

require golang.org/x/mod v0.42.0
