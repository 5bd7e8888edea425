#!/usr/bin/env bash
# The project's checks: lint, format, types and tests. Run from any directory.
#
#   scripts/test.sh [pytest arguments...]
#
# Creates .venv if missing and installs the project with its dev extras first. With Go on the
# machine it also builds the real Pulumi CLI (scripts/install-pulumi.sh: about 5 minutes the
# first time, a second after) so that tests/e2e runs real `pulumi` commands; without Go those
# tests skip, unless E2E_REQUIRED=1 (CI), which makes a missing CLI a failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"

if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating virtualenv $VENV"
    "$PYTHON" -m venv "$VENV"
fi
echo "==> pip install -e .[dev]"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT[dev]"

if command -v go >/dev/null 2>&1; then
    echo "==> scripts/install-pulumi.sh"
    bash "$ROOT/scripts/install-pulumi.sh"
    # The native provider's e2e: the YAML language host, the SDK generator, npm packages.
    echo "==> scripts/install-native-e2e.sh"
    bash "$ROOT/scripts/install-native-e2e.sh"
elif [ "${E2E_REQUIRED:-}" = "1" ]; then
    echo "E2E_REQUIRED=1 but Go is not installed: the real Pulumi CLI cannot be built" >&2
    exit 1
fi

echo "==> ruff check"
"$VENV/bin/ruff" check .
echo "==> ruff format --check"
"$VENV/bin/ruff" format --check .
echo "==> mypy src/launchdarkly_experiments src/ld_emulator"
"$VENV/bin/mypy" src/launchdarkly_experiments src/ld_emulator
# Tests run in worker processes, one per core (PYTEST_WORKERS overrides: 0 runs them in this
# process): each test starts its own emulator, backend and PULUMI_HOME, so none share state.
echo "==> pytest (-n ${PYTEST_WORKERS:-auto})"
"$VENV/bin/python" -m pytest -n "${PYTEST_WORKERS:-auto}" "$@"
