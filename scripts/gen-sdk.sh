#!/usr/bin/env bash
# Regenerates the native provider's schema and SDKs:
#
#   scripts/gen-sdk.sh [OUT]     (default OUT: sdk/; the freshness test passes a temp dir)
#
# 1. schema/schema.json from the domain models (python -m launchdarkly_experiments.native.schema);
# 2. OUT/nodejs, OUT/go, OUT/python from that schema, with pulumi's own code generators at the
#    pulumi/pkg version the CLI is built from (tools/sdkgen). `pulumi package gen-sdk` would do
#    the same through the language hosts pulumi-language-{nodejs,go,python}, which the Go module
#    proxy here does not serve.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/sdk}"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
SDKGEN="$ROOT/.tools/bin/sdkgen"
# Pulumi's Go SDK version the Go SDK's go.mod requires (the CLI's version).
PULUMI_GO_SDK="v3.274.1"

if [ "$OUT" = "$ROOT/sdk" ]; then
    "$PY" -m launchdarkly_experiments.native.schema > "$ROOT/schema/schema.json"
    echo "schema/schema.json regenerated"
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if [ ! -x "$SDKGEN" ]; then
    mkdir -p "$ROOT/.tools/bin"
    go build -C "$ROOT/tools/sdkgen" -o "$SDKGEN" .
fi
"$SDKGEN" "$ROOT/schema/schema.json" "$tmp"

# The Go SDK is used through a replace directive (tests/e2e/native/go): give it a module.
cat > "$tmp/go/go.mod" <<GOMOD
module github.com/pulumi-launchdarkly-experiments/sdk/go

go 1.26.6

require github.com/pulumi/pulumi/sdk/v3 $PULUMI_GO_SDK
GOMOD

mkdir -p "$OUT"
for lang in nodejs go python; do
    rm -rf "${OUT:?}/$lang"
    cp -r "$tmp/$lang" "$OUT/$lang"
done
echo "$OUT/{nodejs,go,python} regenerated"
