#!/usr/bin/env bash
# Bring the dev stack up against the local LaunchDarkly emulator, from a fresh clone.
#
#   scripts/up.sh            (from any directory)
#
# 1. creates .venv if missing and installs the project into it (pip install -e .);
# 2. starts ld-emulator on 127.0.0.1:8765 (data in .ld-emulator.db, token dev-token) unless one
#    already answers GET /_emulator/health, and waits until it is healthy;
# 3. the Pulumi CLI: the one on PATH (a user's machine), else the real CLI built from its Go
#    modules into .tools/bin by scripts/install-pulumi.sh (about 5 minutes the first time, seconds
#    after), else it says what was done and how to install it, exit code 3;
# 4. uses a local state backend (.pulumi-state/), runs `pulumi up --yes --stack dev` (through the
#    Automation API when no Python language host is installed: scripts/pulumi_inline.py) and
#    lists the experiments the emulator now holds.
#
# Environment: PORT (default 8765), PYTHON (default python3), PULUMI_CONFIG_PASSPHRASE (default
# empty: the dev stack holds no secrets).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PORT="${PORT:-8765}"
HOST=127.0.0.1
URL="http://${HOST}:${PORT}"
TOKEN=dev-token
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
LOG="$ROOT/.ld-emulator.log"
PIDFILE="$ROOT/.ld-emulator.pid"

say() { printf '==> %s\n' "$*"; }

healthy() {
    "$VENV/bin/python" - "$URL/_emulator/health" <<'PY' >/dev/null 2>&1
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as answer:
    sys.exit(0 if answer.status == 200 else 1)
PY
}

# -- 1. virtualenv and project --------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtualenv $VENV"
    "$PYTHON" -m venv "$VENV"
fi
say "installing the project into .venv (pip install -e .)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT"

# -- 2. emulator ----------------------------------------------------------------------------
EMULATOR_PID=""
if healthy; then
    say "an emulator already answers at $URL; using it"
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        EMULATOR_PID="$(cat "$PIDFILE")"
    fi
else
    say "starting ld-emulator at $URL (log: $LOG)"
    nohup "$VENV/bin/ld-emulator" --host "$HOST" --port "$PORT" \
        --data "$ROOT/.ld-emulator.db" --token "$TOKEN" >"$LOG" 2>&1 &
    EMULATOR_PID=$!
    echo "$EMULATOR_PID" >"$PIDFILE"
    for _ in $(seq 1 100); do
        if healthy; then break; fi
        if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
            echo "ld-emulator exited before it became healthy; its log ($LOG):" >&2
            cat "$LOG" >&2
            exit 1
        fi
        sleep 0.1
    done
    if ! healthy; then
        echo "ld-emulator did not answer $URL/_emulator/health within 10 s; log: $LOG" >&2
        exit 1
    fi
fi
say "emulator healthy at $URL${EMULATOR_PID:+ (PID $EMULATOR_PID)}"

export LAUNCHDARKLY_ACCESS_TOKEN="$TOKEN"
export LAUNCHDARKLY_API_HOST="$URL"
STOP_HINT="kill ${EMULATOR_PID:-<its PID>}"

# -- 3. the Pulumi CLI ----------------------------------------------------------------------
# A user's own `pulumi` wins; otherwise build the real CLI from its Go modules (.tools/bin).
if command -v pulumi >/dev/null 2>&1; then
    PULUMI="$(command -v pulumi)"
    say "using the Pulumi CLI on PATH: $PULUMI ($("$PULUMI" version))"
elif command -v go >/dev/null 2>&1; then
    say "no Pulumi CLI on PATH; building it from Go modules (scripts/install-pulumi.sh)"
    bash "$ROOT/scripts/install-pulumi.sh"
    PULUMI="$ROOT/.tools/bin/pulumi"
    export PATH="$ROOT/.tools/bin:$PATH"
    # Keep the CLI's own files inside the project and away from the internet.
    export PULUMI_HOME="${PULUMI_HOME:-$ROOT/.tools/pulumi-home}"
    export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
else
    cat >&2 <<EOF

The Pulumi CLI is not installed and Go is not available to build it, so the dev stack was not
deployed.

Done so far:
  - virtualenv .venv with the project installed (pip install -e .)
  - LaunchDarkly emulator running at $URL${EMULATOR_PID:+ with PID $EMULATOR_PID}
    (token: $TOKEN, data: .ld-emulator.db, log: .ld-emulator.log); stop it with: $STOP_HINT

Install the Pulumi CLI (or Go 1.24+, from which this script builds it), then run
scripts/up.sh again:
  curl -fsSL https://get.pulumi.com | sh
  (or see https://www.pulumi.com/docs/install/)
EOF
    exit 3
fi
LANGUAGE_HOST=""
if command -v pulumi-language-python >/dev/null 2>&1 ||
    [ -x "$(dirname "$PULUMI")/pulumi-language-python" ]; then
    LANGUAGE_HOST=yes
fi

export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
mkdir -p "$ROOT/.pulumi-state"
# PULUMI_BACKEND_URL logs this run in to a local file backend without changing the user's
# default backend for other projects.
export PULUMI_BACKEND_URL="file://$ROOT/.pulumi-state"
say "using the local state backend $PULUMI_BACKEND_URL"

# -- 4. pulumi up ---------------------------------------------------------------------------
if [ -n "$LANGUAGE_HOST" ]; then
    "$PULUMI" stack select dev --create
    say "pulumi up --yes --stack dev"
    "$PULUMI" up --yes --stack dev
else
    # No Python language host (the Go module proxy does not serve it): the same `pulumi up`
    # through the Automation API, which runs __main__.py in-process and drives the real CLI.
    say "pulumi up --yes --stack dev, as an Automation API inline program (no Python language host)"
    PULUMI_CLI="$PULUMI" "$VENV/bin/python" "$ROOT/scripts/pulumi_inline.py" --cwd "$ROOT" \
        --stack dev up --yes
fi

say "experiments in shop/dev on the emulator:"
"$VENV/bin/python" - "$URL" "$TOKEN" <<'PY'
import json, sys, urllib.request

url, token = sys.argv[1], sys.argv[2]
request = urllib.request.Request(
    f"{url}/api/v2/projects/shop/environments/dev/experiments?expand=treatments",
    headers={"Authorization": token},
)
with urllib.request.urlopen(request, timeout=10) as answer:
    items = json.load(answer).get("items", [])
if not items:
    print("  (none)")
for item in items:
    current = item.get("currentIteration") or {}
    arms = ", ".join(
        f"{t['name']} {t['allocationPercent']}%" for t in current.get("treatments") or []
    )
    print(f"  {item['key']:<28} {current.get('status', '-'):<12} {item['name']}  [{arms}]")
PY
echo
say "done. The emulator keeps running at $URL${EMULATOR_PID:+ (PID $EMULATOR_PID)}; stop it with: $STOP_HINT"
