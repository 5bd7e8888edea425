# Sourced by scripts/build-artifacts.sh, lock-plugin.sh, publish.sh and install-native-e2e.sh:
# the project's own tools, each installed once into the git-ignored .tools/ and again only when
# its pinned inputs change (a stamp of their checksum). Expects ROOT.

BUILD_VENV="$ROOT/.tools/build-venv"
PUBLISH_VENV="$ROOT/.tools/publish-venv"
STAMPS="$ROOT/.tools/stamps"
# The interpreters the plugin runs on, and the pip pex resolves with (pex pins its own list).
PLUGIN_PYTHONS="CPython>=3.11,<3.15"
PEX_PIP_VERSION="26.2.1"
PLUGIN_PYTHON_VERSIONS="311 312 313 314"

say() { printf '==> %s\n' "$*"; }

# fresh NAME FILE...: true when the stamp NAME matches the files' checksum
fresh() {
    local name="$1"; shift
    [ -f "$STAMPS/$name" ] && [ "$(cat "$@" | sha256sum)" = "$(cat "$STAMPS/$name")" ]
}
stamp() {
    local name="$1"; shift
    mkdir -p "$STAMPS"
    cat "$@" | sha256sum > "$STAMPS/$name"
}

# go_tool NAME MODULE_DIR PACKAGE: .tools/bin/NAME built from a module of tools/
go_tool() {
    local name="$1" dir="$2" package="$3"
    local inputs=("$dir/go.mod" "$dir/go.sum") file
    for file in "$dir"/*.go; do
        if [ -e "$file" ]; then inputs+=("$file"); fi
    done
    if [ -x "$ROOT/.tools/bin/$name" ] && fresh "$name" "${inputs[@]}"; then
        say "$name: up to date"
        return
    fi
    say "building $name (a first build downloads modules: up to a few minutes)"
    go build -C "$dir" -o "$ROOT/.tools/bin/$name" "$package"
    stamp "$name" "${inputs[@]}"
}

# npm_tools DIR SOURCE_DIR: node_modules in DIR exactly as SOURCE_DIR's package-lock.json says
npm_tools() {
    local dir="$1" source="$2" name
    name="$(basename "$dir")"
    if [ -d "$dir/node_modules" ] && fresh "$name" "$source/package.json" "$source/package-lock.json"; then
        say "$name: node_modules up to date"
        return
    fi
    say "npm ci into ${dir#"$ROOT/"}"
    rm -rf "$dir" && mkdir -p "$dir"
    cp "$source/package.json" "$source/package-lock.json" "$dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    stamp "$name" "$source/package.json" "$source/package-lock.json"
}

# tool_venv DIR REQUIREMENTS [PIP OPTIONS...]: a virtualenv with exactly these requirements
tool_venv() {
    local dir="$1" requirements="$2"
    shift 2
    local name
    name="$(basename "$dir")"
    if [ -x "$dir/bin/python" ] && fresh "$name" "$requirements"; then
        return
    fi
    say "installing ${requirements#"$ROOT/"} into .tools/$name"
    rm -rf "$dir"
    "${PYTHON:-python3}" -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@" -r "$requirements"
    stamp "$name" "$requirements"
}

# build_venv: pex and setuptools, as tools/packaging/requirements.txt pins them (with hashes)
build_venv() { tool_venv "$BUILD_VENV" "$ROOT/tools/packaging/requirements.txt" --require-hashes; }
# publish_venv: twine, as tools/packaging/publish-requirements.txt pins it
publish_venv() { tool_venv "$PUBLISH_VENV" "$ROOT/tools/packaging/publish-requirements.txt"; }
