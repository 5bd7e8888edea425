#!/usr/bin/env bash
# Re-pins what the plugin's zipapp is built from: tools/plugin/pex.lock, a pex lock of this
# project's [project] dependencies for CPython 3.11 to 3.14 on Linux and macOS (every wheel of
# every platform, with its hash). Run it after changing the dependencies in pyproject.toml (the
# build then fails saying the lock does not satisfy them) or to take newer versions; commit the
# result. Needs PyPI; about 2 minutes.
#
#   scripts/lock-plugin.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/build-tools.sh
source "$ROOT/scripts/build-tools.sh"
build_venv

# debugpy (a dependency of the pulumi SDK, for debugging programs through the language host) is
# never imported by a provider plugin: left out, it saves 4 MB per interpreter.
"$BUILD_VENV/bin/pex3" lock create \
    --style universal --target-system linux --target-system mac \
    --interpreter-constraint "$PLUGIN_PYTHONS" \
    --pip-version "$PEX_PIP_VERSION" \
    --project "$ROOT" --exclude debugpy \
    --elide-unused-requires-dist --indent 1 \
    -o "$ROOT/tools/plugin/pex.lock"
echo "tools/plugin/pex.lock written"
