#!/usr/bin/env bash
# Build plangate's container image without a registry: the runtime stage of the
# Dockerfile (Debian bookworm with postgresql-15 and plangate) from a binary already
# built and the postgres:15 image ci/container-runtime.sh makes from Debian's packages.
# Usage: ci/plangate-image.sh [PLANGATE_BINARY] (default target/release/plangate);
# tags localhost/plangate:local.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
binary="${1:-$here/../target/release/plangate}"
[ -x "$binary" ] || { echo "plangate-image: no plangate binary at $binary (cargo build --release)" >&2; exit 2; }

PLANGATE_IMAGES="postgres:15" bash "$here/container-runtime.sh" >&2

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
cp "$binary" "$ctx/plangate"
cat >"$ctx/Containerfile" <<'CONTAINERFILE'
FROM localhost/postgres:15
COPY plangate /usr/local/bin/plangate
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PLANGATE_CACHE_DIR=/work/.plangate-cache
WORKDIR /work
ENTRYPOINT ["plangate"]
CMD ["check"]
CONTAINERFILE
podman build --quiet --network=none -t localhost/plangate:local "$ctx" >/dev/null
echo "plangate-image: built localhost/plangate:local ($("$binary" --version))"
