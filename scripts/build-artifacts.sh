#!/usr/bin/env bash
# Builds every release artifact into dist/ (the release workflow and tests/e2e/test_install.py
# call it):
#
#   scripts/build-artifacts.sh
#
#   pulumi_launchdarkly_experiments-<v>-py3-none-any.whl        the provider and dynamic resource
#   pulumi_launchdarkly_experiments_sdk-<v>-py3-none-any.whl    the Python SDK
#   pulumi-launchdarkly-experiments-launchdarkly-experiments-<v>.tgz   the Node.js SDK (npm)
#   pulumi-resource-launchdarkly-experiments-v<v>-<os>-<arch>.tar.gz   the plugin, per platform
#   goproxy/                  the Go SDK module at v<v>, as a file-based GOPROXY serves it
#   SHA256SUMS                the checksums of the files above
#   RELEASE-NOTES.md          this version's section of CHANGELOG.md (the release's notes)
#
# The version is pyproject's [project] version, the only place it is written: the provider's
# metadata carries it into the plugin, the schema and the User-Agent at run time, and the
# committed schema/schema.json and sdk/ carry it into the SDKs (scripts/gen-sdk.sh; this script
# stops if they say another). With RELEASE_TAG set (the release workflow), the tag must be
# v<version>.
#
# Everything is built from a snapshot of the source (the files git tracks or would track, as
# they are in the work tree), with SOURCE_DATE_EPOCH from the last commit: the same tree gives
# the same plugin zipapps and npm package, byte for byte.
#
# Environment: PLUGIN_PLATFORMS (default: linux-amd64 linux-arm64 darwin-amd64 darwin-arm64),
# PYTHON (python3 for the build's virtualenv). Needs Python 3.11+, Go, Node.js with npm; the first
# run downloads the pinned tools and the plugin's wheels (a few minutes), later runs take about a
# minute.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/build-tools.sh
source "$ROOT/scripts/build-tools.sh"
DIST="$ROOT/dist"
BUILD="$ROOT/build/artifacts"
PLATFORMS="${PLUGIN_PLATFORMS:-linux-amd64 linux-arm64 darwin-amd64 darwin-arm64}"
PLUGIN="pulumi-resource-launchdarkly-experiments"
start=$(date +%s)

# -- tools ----------------------------------------------------------------------------------
build_venv
go_tool goproxy "$ROOT/tools/goproxy" .
GOPROXY_TOOL="$ROOT/.tools/bin/goproxy"
NODE_TOOLS="$ROOT/.tools/sdk-nodejs"
npm_tools "$NODE_TOOLS" "$ROOT/tools/sdk-nodejs"

# -- the source snapshot and its version ----------------------------------------------------
rm -rf "$BUILD" "$DIST"
mkdir -p "$BUILD/src" "$DIST"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard --deduplicate |
    tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$BUILD/src"
SRC="$BUILD/src"
SOURCE_DATE_EPOCH="$(git -C "$ROOT" log -1 --format=%ct)"
export SOURCE_DATE_EPOCH

VERSION="$("$BUILD_VENV/bin/python" - "$SRC" <<'PY'
import json, pathlib, sys, tomllib

src = pathlib.Path(sys.argv[1])
version = tomllib.loads((src / "pyproject.toml").read_text())["project"]["version"]
# What the SDKs were generated with must say the same (scripts/gen-sdk.sh rewrites them).
carried = {
    "schema/schema.json": json.loads((src / "schema/schema.json").read_text())["version"],
    "sdk/nodejs/package.json": json.loads((src / "sdk/nodejs/package.json").read_text())["version"],
    "sdk/python/pyproject.toml": tomllib.loads((src / "sdk/python/pyproject.toml").read_text())[
        "project"
    ]["version"],
}
for path in src.glob("sdk/*/**/pulumi-plugin.json"):
    carried[str(path.relative_to(src))] = json.loads(path.read_text())["version"]
stale = {path: said for path, said in carried.items() if said != version}
if stale:
    sys.exit(f"pyproject.toml says {version}, but {stale}: run scripts/gen-sdk.sh")
print(version)
PY
)"
if [ -n "${RELEASE_TAG:-}" ] && [ "$RELEASE_TAG" != "v$VERSION" ]; then
    echo "the tag $RELEASE_TAG is not v$VERSION, the version pyproject.toml says" >&2
    exit 1
fi
# The release's notes: this version's section of CHANGELOG.md, which must exist.
awk -v heading="## [$VERSION]" 'index($0, heading) == 1 { on = 1; next }
    /^## \[/ { if (on) exit } on' "$SRC/CHANGELOG.md" > "$BUILD/release-notes.md"
if ! grep -q '[^[:space:]]' "$BUILD/release-notes.md"; then
    echo "CHANGELOG.md has no section '## [$VERSION]'" >&2
    exit 1
fi
say "building $VERSION into dist/ (sources as of $(date -u -d "@$SOURCE_DATE_EPOCH" +%FT%TZ))"

pip_wheel() {  # pip_wheel DIR: a wheel of the project in DIR, into dist/
    "$BUILD_VENV/bin/python" -m pip wheel --quiet --disable-pip-version-check --no-deps \
        --no-build-isolation --wheel-dir "$DIST" "$1"
}

# -- the provider's wheel -------------------------------------------------------------------
say "provider wheel"
pip_wheel "$SRC"
PROVIDER_WHEEL="$DIST/pulumi_launchdarkly_experiments-$VERSION-py3-none-any.whl"
[ -f "$PROVIDER_WHEEL" ]

# -- the plugin: one zipapp per platform, in the tarball the engine installs -----------------
pex_platform() {  # os-arch -> pex's platform tag
    case "$1" in
        linux-amd64) echo manylinux2014_x86_64 ;;
        linux-arm64) echo manylinux2014_aarch64 ;;
        darwin-amd64) echo macosx_11_0_x86_64 ;;
        darwin-arm64) echo macosx_11_0_arm64 ;;
        *) echo "unknown platform $1 (linux-amd64, linux-arm64, darwin-amd64, darwin-arm64)" >&2
           return 1 ;;
    esac
}
for platform in $PLATFORMS; do
    say "plugin for $platform"
    tag="$(pex_platform "$platform")"
    targets=()
    for python in $PLUGIN_PYTHON_VERSIONS; do
        targets+=(--platform "$tag-cp-$python-cp$python")
    done
    out="$BUILD/plugin/$platform"
    mkdir -p "$out"
    # --sh-boot: /bin/sh finds a CPython 3.11-3.14 on PATH and starts the zipapp with it;
    # --venv: the first start installs it into a virtualenv under PEX_ROOT (~/.cache/pex),
    # later starts go straight there.
    "$BUILD_VENV/bin/pex" \
        --lock "$SRC/tools/plugin/pex.lock" --pip-version "$PEX_PIP_VERSION" \
        --project "$PROVIDER_WHEEL" \
        --console-script "$PLUGIN" \
        --venv --sh-boot \
        --interpreter-constraint "$PLUGIN_PYTHONS" "${targets[@]}" \
        --output-file "$out/$PLUGIN" >/dev/null
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
        -C "$out" -cf - "$PLUGIN" | gzip -n > "$DIST/$PLUGIN-v$VERSION-$platform.tar.gz"
done

# -- the Python SDK's wheel -----------------------------------------------------------------
say "Python SDK wheel"
pip_wheel "$SRC/sdk/python"

# -- the Node.js SDK: compiled JavaScript and declarations, packed for npm --------------------
say "Node.js SDK package"
NODE_BUILD="$BUILD/nodejs"
cp -r "$SRC/sdk/nodejs" "$NODE_BUILD"
ln -s "$NODE_TOOLS/node_modules" "$NODE_BUILD/node_modules"
(cd "$NODE_BUILD" && ./node_modules/.bin/tsc)
# The package is bin/ (tsconfig's outDir), with its package.json and README, as Pulumi's own
# SDK packages are laid out.
cp "$NODE_BUILD/package.json" "$NODE_BUILD/README.md" "$NODE_BUILD/bin/"
(cd "$NODE_BUILD/bin" && npm pack --pack-destination "$DIST" --loglevel=error >/dev/null)

# -- the Go SDK: the module sdk/ at v<version>, in a file-based module proxy -------------------
say "Go SDK module in dist/goproxy"
GO_MODULE="$(sed -n 's/^module //p' "$SRC/sdk/go.mod")"
"$GOPROXY_TOOL" "$DIST/goproxy" "$GO_MODULE" "v$VERSION" "$SRC/sdk" \
    "$(date -u -d "@$SOURCE_DATE_EPOCH" +%FT%TZ)"

(cd "$DIST" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%P\n' | sort |
    xargs sha256sum > SHA256SUMS)
cp "$BUILD/release-notes.md" "$DIST/RELEASE-NOTES.md"
say "done in $(($(date +%s) - start)) s:"
(cd "$DIST" && ls -l --block-size=K $(cat SHA256SUMS | awk '{print $2}') | awk '{print "    " $5 "  " $9}')
