#!/usr/bin/env bash
# Install what plangate's tests need on a Debian machine, idempotently: Postgres server
# binaries (the local backend), an unprivileged `postgres` account (Postgres refuses to
# run as root), and Chromium (the HTML report is checked in a real browser).
set -euo pipefail

need=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
    need+=(postgresql)
fi
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# The GitHub Action's scripts read the pull request's event with jq, as on GitHub's runners.
command -v jq >/dev/null 2>&1 || need+=(jq)

if [ "${#need[@]}" -gt 0 ]; then
    echo "ci: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi
