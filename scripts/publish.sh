#!/usr/bin/env bash
# Publishes the packages scripts/build-artifacts.sh put in dist/ (the release workflow's last
# step; the GitHub release with the plugin tarballs is made before it):
#
#   scripts/publish.sh
#
#   PyPI   both wheels (twine)                  needs PYPI_TOKEN (an API token)
#   npm    the Node.js SDK package              needs NPM_TOKEN (an automation token)
#   Go     the tag sdk/v<version> on this commit, pushed to origin: the proxy serves the SDK
#          from it                              needs PUSH_GO_TAG=1 and git push rights
#
# Without its token a step checks everything it can (twine check, npm publish --dry-run, that
# the tag is free or already on this commit) and says it skipped the upload; the script then
# exits 0. With a token, a failed upload fails the script.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIST="$ROOT/dist"
# shellcheck source=scripts/build-tools.sh
source "$ROOT/scripts/build-tools.sh"
VERSION="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$ROOT/pyproject.toml")"
WHEELS=("$DIST/pulumi_launchdarkly_experiments-$VERSION-py3-none-any.whl"
        "$DIST/pulumi_launchdarkly_experiments_sdk-$VERSION-py3-none-any.whl")
NPM_TARBALL="$DIST/pulumi-launchdarkly-experiments-launchdarkly-experiments-$VERSION.tgz"
GO_TAG="sdk/v$VERSION"

for file in "${WHEELS[@]}" "$NPM_TARBALL"; do
    if [ ! -f "$file" ]; then
        echo "missing $file: run scripts/build-artifacts.sh first" >&2
        exit 1
    fi
done
(cd "$DIST" && sha256sum --quiet -c SHA256SUMS)

# -- PyPI -----------------------------------------------------------------------------------
publish_venv
say "PyPI: twine check"
"$PUBLISH_VENV/bin/twine" check --strict "${WHEELS[@]}"
if [ -n "${PYPI_TOKEN:-}" ]; then
    say "PyPI: uploading $(basename -a "${WHEELS[@]}" | tr '\n' ' ')"
    TWINE_USERNAME=__token__ TWINE_PASSWORD="$PYPI_TOKEN" \
        "$PUBLISH_VENV/bin/twine" upload --non-interactive "${WHEELS[@]}"
else
    say "PyPI: skipped the upload (PYPI_TOKEN is not set)"
fi

# -- npm ------------------------------------------------------------------------------------
if [ -n "${NPM_TOKEN:-}" ]; then
    say "npm: publishing $(basename "$NPM_TARBALL")"
    npmrc="$(mktemp)"
    trap 'rm -f "$npmrc"' EXIT
    printf '//registry.npmjs.org/:_authToken=%s\n' "$NPM_TOKEN" > "$npmrc"
    NPM_CONFIG_USERCONFIG="$npmrc" npm publish --access public "$NPM_TARBALL"
else
    say "npm: publish --dry-run"
    npm publish --dry-run --access public --loglevel=error "$NPM_TARBALL"
    say "npm: skipped the upload (NPM_TOKEN is not set)"
fi

# -- Go -------------------------------------------------------------------------------------
head="$(git -C "$ROOT" rev-parse HEAD)"
if tagged="$(git -C "$ROOT" rev-parse -q --verify "refs/tags/$GO_TAG^{commit}")"; then
    if [ "$tagged" != "$head" ]; then
        echo "the tag $GO_TAG exists on $tagged, not on this commit $head" >&2
        exit 1
    fi
    say "Go: $GO_TAG is already on this commit"
fi
if [ "${PUSH_GO_TAG:-}" = "1" ]; then
    git -C "$ROOT" tag -f "$GO_TAG" "$head" >/dev/null
    git -C "$ROOT" push origin "refs/tags/$GO_TAG"
    say "Go: pushed $GO_TAG; go get ...sdk@v$VERSION works once the proxy has fetched it"
else
    say "Go: skipped pushing $GO_TAG (PUSH_GO_TAG is not 1)"
fi
