#!/usr/bin/env bash
# Installs what the native provider's e2e tests (tests/e2e/native) and scripts/gen-sdk.sh need,
# into the git-ignored .tools/ of this checkout. Idempotent: each part is rebuilt only when its
# pinned inputs (go.sum, package-lock.json) change.
#
#   .tools/bin/pulumi-language-yaml   the YAML language host, from github.com/pulumi/pulumi-yaml
#   .tools/bin/sdkgen                 the SDK generator (tools/sdkgen)
#   .tools/node/node_modules          @pulumi/pulumi and typescript for the TypeScript program
#   Go module cache                   what the Go e2e program needs (go mod download)
#
# Needs Go 1.24+ and, for the TypeScript part, Node.js 18+ with npm. The Pulumi CLI itself comes
# from scripts/install-pulumi.sh (or any `pulumi` on PATH); the Node.js, Go and Python language
# hosts are not needed: those programs run as Automation API inline programs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.tools/bin"
# shellcheck source=scripts/build-tools.sh
source "$ROOT/scripts/build-tools.sh"
mkdir -p "$BIN"

if ! command -v go >/dev/null; then
    echo "error: Go 1.24+ is needed (https://go.dev/dl/)" >&2
    exit 1
fi
go_tool pulumi-language-yaml "$ROOT/tools/pulumi-yaml" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml
go_tool sdkgen "$ROOT/tools/sdkgen" .

echo "==> Go modules of the Go e2e program"
(cd "$ROOT/tests/e2e/native/go" && go mod download)

if command -v npm >/dev/null; then
    npm_tools "$ROOT/.tools/node" "$ROOT/tests/e2e/native/typescript"
else
    echo "==> no npm: the TypeScript e2e test will be skipped"
fi

if [ -x "$BIN/pulumi" ] || command -v pulumi >/dev/null; then
    echo "==> pulumi CLI: $( [ -x "$BIN/pulumi" ] && echo "$BIN/pulumi" || command -v pulumi)"
else
    echo "==> no pulumi CLI in $BIN or on PATH: build it with scripts/install-pulumi.sh," \
         "or link one into $BIN; the e2e tests skip until then"
fi
