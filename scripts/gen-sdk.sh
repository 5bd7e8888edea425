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

# The Go SDK's module is sdk/ (as in Pulumi's own providers): tagged sdk/vX.Y.Z, imported as
# <module>/go/launchdarklyexperiments. The module path is the schema's importBasePath less that.
GO_PACKAGE="$(sed -n 's/.*"importBasePath": "\(.*\)",*$/\1/p' "$ROOT/schema/schema.json")"
cat > "$tmp/go.mod" <<GOMOD
module ${GO_PACKAGE%/go/launchdarklyexperiments}

go 1.26.6

require github.com/pulumi/pulumi/sdk/v3 $PULUMI_GO_SDK
GOMOD

# The Python SDK's import package is pulumi_launchdarkly_experiments, but that name, normalized,
# is this project's own distribution (the provider and the dynamic resource, pyproject.toml): the
# SDK is distributed under its own name, with the same import package.
# Its pyproject.toml names README.md beside it: the generated one, copied up.
sed -i 's/^\( *\)name = "pulumi_launchdarkly_experiments"$/\1name = "pulumi-launchdarkly-experiments-sdk"/' \
    "$tmp/python/pyproject.toml"
grep -q '^ *name = "pulumi-launchdarkly-experiments-sdk"$' "$tmp/python/pyproject.toml"
cp "$tmp/python/pulumi_launchdarkly_experiments/README.md" "$tmp/python/README.md"

mkdir -p "$OUT"
for lang in nodejs go python; do
    rm -rf "${OUT:?}/$lang"
    cp -r "$tmp/$lang" "$OUT/$lang"
done
cp "$tmp/go.mod" "$OUT/go.mod"
echo "$OUT/{go.mod,nodejs,go,python} regenerated"
