#!/usr/bin/env bash
# Install plangate for the GitHub Action: the release binary for this runner (checked
# against its published SHA-256), else, when there is none (an unreleased ref, another
# platform), built from the action's own source with cargo.
# Env: PLANGATE_VERSION (a release tag, or "latest"), PLANGATE_REPO (owner/name),
# PLANGATE_SOURCE (the action's folder), RUNNER_OS, RUNNER_ARCH, and a bin folder on PATH
# (PLANGATE_BIN, default ~/.local/bin).
set -euo pipefail

bin="${PLANGATE_BIN:-$HOME/.local/bin}"
mkdir -p "$bin"

case "${RUNNER_OS:-Linux}/${RUNNER_ARCH:-X64}" in
    Linux/X64) target=x86_64-unknown-linux-musl ;;
    Linux/ARM64) target=aarch64-unknown-linux-musl ;;
    macOS/X64) target=x86_64-apple-darwin ;;
    macOS/ARM64) target=aarch64-apple-darwin ;;
    *) target="" ;;
esac

version="${PLANGATE_VERSION:-latest}"
if [ -n "$target" ] && [ -n "${PLANGATE_REPO:-}" ]; then
    if [ "$version" = latest ]; then
        base="https://github.com/$PLANGATE_REPO/releases/latest/download"
    else
        base="https://github.com/$PLANGATE_REPO/releases/download/$version"
    fi
    archive="plangate-$target.tar.gz"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    if curl -fsSL --retry 3 -o "$tmp/$archive" "$base/$archive" \
        && curl -fsSL --retry 3 -o "$tmp/$archive.sha256" "$base/$archive.sha256"; then
        (cd "$tmp" && sha256sum -c "$archive.sha256" >/dev/null) || {
            echo "plangate: $archive does not match its published SHA-256" >&2
            exit 1
        }
        tar -xzf "$tmp/$archive" -C "$tmp"
        install -m 0755 "$tmp/plangate" "$bin/plangate"
        echo "plangate: installed $("$bin/plangate" --version) from the $version release"
        exit 0
    fi
    echo "plangate: no $version release for $target; building from source"
fi

cargo install --locked --root "$(dirname "$bin")" --path "${PLANGATE_SOURCE:?the action folder}"
echo "plangate: built $("$bin/plangate" --version)"
