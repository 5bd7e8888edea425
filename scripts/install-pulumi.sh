#!/usr/bin/env bash
# Build the real Pulumi CLI from its Go modules into .tools/bin (git-ignored), idempotently.
#
#   scripts/install-pulumi.sh          (from any directory; prints what it did)
#
# Why from Go modules: our machines reach the Go module proxy but no binary download site, so
# get.pulumi.com and release archives cannot work. tools/pulumi/go.mod pins the release and
# repeats the non-local replace lines of pulumi's own go.mod files; `go build` does the rest.
# Nothing of Pulumi's source is kept in this repository: only that go.mod/go.sum and this script.
#
# Installed into .tools/bin:
#   pulumi                          the CLI (engine, local backend, secrets providers)
#   pulumi-resource-pulumi-python   the dynamic-provider shim (a file of the sdk/v3 module)
#   pulumi-language-python-exec     the Python program runner (a file of the sdk/v3 module)
#   pulumi-language-python          the Python language host, only where the proxy serves it
#
# When the Python language host cannot be had, programs run as Automation API inline programs
# (scripts/pulumi_inline.py), which need no language host.
#
# A second run checks the stamp and returns in about a second; Go's module and build caches
# (GOMODCACHE, GOCACHE) are left where the machine keeps them, so a rebuild is fast too.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODULE="$ROOT/tools/pulumi"
BIN="$ROOT/.tools/bin"
STAMP="$ROOT/.tools/pulumi.stamp"
LANGUAGE_HOST_MODULE="github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3"

say() { printf '==> %s\n' "$*"; }

if ! command -v go >/dev/null 2>&1; then
    echo "install-pulumi: the Go toolchain (go 1.24 or newer) is needed to build the Pulumi CLI" >&2
    exit 2
fi

cd "$MODULE"
# The release is the version of github.com/pulumi/pulumi/pkg/v3 that tools/pulumi/go.mod requires.
VERSION="$(go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)"
WANT="$VERSION $(sha256sum go.mod go.sum | sha256sum | cut -c1-16) $(go env GOVERSION)"

if [ -x "$BIN/pulumi" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
    say "Pulumi CLI $VERSION already built in .tools/bin (stamp matches); nothing to do"
    exit 0
fi

mkdir -p "$BIN"
say "building the Pulumi CLI $VERSION from Go modules (the first build takes about 5 minutes)"
start=$(date +%s)
GOFLAGS=-mod=readonly go build \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$VERSION" \
    -o "$BIN/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
say "built .tools/bin/pulumi in $(($(date +%s) - start)) s"

# The dynamic-provider shim and the Python program runner are plain files in the sdk/v3 module.
SDK_DIR="$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
install -m 0755 "$SDK_DIR/python/dist/pulumi-resource-pulumi-python" "$BIN/"
install -m 0755 "$SDK_DIR/python/cmd/pulumi-language-python-exec" "$BIN/"
say "installed pulumi-resource-pulumi-python and pulumi-language-python-exec from $SDK_DIR"

# The Python language host is its own, untagged module. Ask the proxy whether it serves it.
if go list -m -versions "$LANGUAGE_HOST_MODULE" >/dev/null 2>&1 &&
    [ -n "$(go list -m -versions -f '{{.Versions}}' "$LANGUAGE_HOST_MODULE" 2>/dev/null | tr -d '[]')" ]; then
    say "the Go module proxy lists $LANGUAGE_HOST_MODULE; build it by hand if you need it"
else
    say "the Go module proxy does not serve $LANGUAGE_HOST_MODULE:" \
        "Python programs run as Automation API inline programs (scripts/pulumi_inline.py)"
fi

echo "$WANT" >"$STAMP"
"$BIN/pulumi" version >/dev/null
say "done: $("$BIN/pulumi" version) in $BIN"
