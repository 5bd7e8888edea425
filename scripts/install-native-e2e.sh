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
STAMPS="$ROOT/.tools/stamps"
mkdir -p "$BIN" "$STAMPS"

# fresh NAME FILE...: true when the stamp NAME matches the files' checksum
fresh() {
    local name="$1"; shift
    [ -f "$STAMPS/$name" ] && [ "$(cat "$@" | sha256sum)" = "$(cat "$STAMPS/$name")" ]
}
stamp() {
    local name="$1"; shift
    cat "$@" | sha256sum > "$STAMPS/$name"
}

go_tool() {  # go_tool NAME MODULE_DIR PACKAGE
    local name="$1" dir="$2" package="$3"
    if [ -x "$BIN/$name" ] && fresh "$name" "$dir/go.mod" "$dir/go.sum" $(ls "$dir"/*.go 2>/dev/null); then
        echo "==> $name: up to date"
        return
    fi
    echo "==> building $name (first build downloads modules: a few minutes)"
    go build -C "$dir" -o "$BIN/$name" "$package"
    stamp "$name" "$dir/go.mod" "$dir/go.sum" $(ls "$dir"/*.go 2>/dev/null)
}

if ! command -v go >/dev/null; then
    echo "error: Go 1.24+ is needed (https://go.dev/dl/)" >&2
    exit 1
fi
go_tool pulumi-language-yaml "$ROOT/tools/pulumi-yaml" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml
go_tool sdkgen "$ROOT/tools/sdkgen" .

echo "==> Go modules of the Go e2e program"
(cd "$ROOT/tests/e2e/native/go" && go mod download)

TS="$ROOT/tests/e2e/native/typescript"
NODE_DIR="$ROOT/.tools/node"
if command -v npm >/dev/null; then
    if [ -d "$NODE_DIR/node_modules" ] && fresh node "$TS/package.json" "$TS/package-lock.json"; then
        echo "==> node_modules: up to date"
    else
        echo "==> npm ci into $NODE_DIR"
        mkdir -p "$NODE_DIR"
        cp "$TS/package.json" "$TS/package-lock.json" "$NODE_DIR/"
        (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
        stamp node "$TS/package.json" "$TS/package-lock.json"
    fi
else
    echo "==> no npm: the TypeScript e2e test will be skipped"
fi

if [ -x "$BIN/pulumi" ] || command -v pulumi >/dev/null; then
    echo "==> pulumi CLI: $( [ -x "$BIN/pulumi" ] && echo "$BIN/pulumi" || command -v pulumi)"
else
    echo "==> no pulumi CLI in $BIN or on PATH: build it with scripts/install-pulumi.sh," \
         "or link one into $BIN; the e2e tests skip until then"
fi
