# plangate with Postgres' server binaries inside: a CI job runs `plangate check` with the
# local backend, no Docker-in-Docker (GitLab's shared runners, Kubernetes runners).
#
#   docker build -t plangate .
#   docker run --rm -v "$PWD:/work" plangate check
#
# Build the binary on Debian's oldest supported base the runtime shares (bookworm), then
# copy it next to postgresql-15. ci/plangate-image.sh builds the same runtime image from a
# binary already built, without a registry.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
RUN cargo build --release --locked && strip target/release/plangate

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/plangate /usr/local/bin/plangate
# Postgres refuses to run as root; plangate starts it as the `postgres` account the
# package created. The world cache lives in the mounted project unless told otherwise.
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PLANGATE_CACHE_DIR=/work/.plangate-cache
WORKDIR /work
ENTRYPOINT ["plangate"]
CMD ["check"]
