#!/usr/bin/env bash
# The project's checks: lint, format, types and tests. Run from any directory.
#
#   scripts/test.sh [pytest arguments...]
#
# Creates .venv if missing and installs the project with its dev extras first.
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

echo "==> ruff check"
"$VENV/bin/ruff" check .
echo "==> ruff format --check"
"$VENV/bin/ruff" format --check .
echo "==> mypy src/launchdarkly_experiments src/ld_emulator"
"$VENV/bin/mypy" src/launchdarkly_experiments src/ld_emulator
echo "==> pytest"
"$VENV/bin/python" -m pytest "$@"
