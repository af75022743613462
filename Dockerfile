# mdsd container image: multi-stage build, small non-root runtime with a read-only root.
#
#   docker build -t mdsd .
#   podman build --format docker -t mdsd .     # podman/buildah: see HEALTHCHECK below
#   docker run --rm --read-only -p 50051:50051 -p 9464:9464 -v mdsd-state:/var/lib/mdsd mdsd
#
# The runtime image listens on 0.0.0.0 inside the container (plaintext gRPC: put TLS in front,
# set MDSD_TLS_CERT/MDSD_TLS_KEY, or run it as a loopback-only sidecar, see deploy/kubernetes).
# It writes nothing outside /var/lib/mdsd (the state directory: one mdsd per directory, locked),
# so it runs with a read-only root filesystem. Health: `mdsd health` (gRPC grpc.health.v1).
#
# CI (scripts/ci/container.sh) checks what can be checked without a container engine: this
# build stage's COPY/RUN steps compile as written, and the runtime stage assembled from the
# locally built binary runs read-only as uid 65532 until `mdsd health` says SERVING.

# --- build -------------------------------------------------------------------------------------
FROM docker.io/library/rust:1.89-slim-bookworm AS build
WORKDIR /src

# 1. Dependencies. Only the manifests, with stand-in sources for every target cargo must find:
#    the workspace crates' libraries (every member's manifest must be there, even those the
#    binary does not use: test support, the Rust client), the build script, and each
#    [[bench]]/[[example]]/[[test]] declared in Cargo.toml. This layer is rebuilt only when a manifest or Cargo.lock changes.
COPY Cargo.toml Cargo.lock ./
COPY crates/mdsd-core/Cargo.toml crates/mdsd-core/
COPY crates/mdsd-test-support/Cargo.toml crates/mdsd-test-support/
COPY crates/mdsd-client/Cargo.toml crates/mdsd-client/
RUN mkdir -p src crates/mdsd-core/src crates/mdsd-test-support/src crates/mdsd-client/src \
 && echo 'fn main() {}' > build.rs \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs crates/mdsd-core/src/lib.rs crates/mdsd-test-support/src/lib.rs \
      crates/mdsd-client/src/lib.rs \
 && for target in $(awk -F'"' '/^\[\[(bench|example|test)\]\]/ { kind = $0 } /^\[[a-z]/ { kind = "" } \
        kind != "" && /^name *=/ { dir = kind ~ /bench/ ? "benches" : kind ~ /example/ ? "examples" : "tests"; \
        print dir "/" $2 ".rs" }' Cargo.toml); do \
      mkdir -p "$(dirname "$target")" && echo 'fn main() {}' > "$target"; \
    done
RUN cargo build --release --locked --bin mdsd

# 2. The sources. Copied files keep their build-context times, which can be older than the
#    stand-ins: touch them so that cargo rebuilds every workspace crate from the real code.
COPY build.rs ./
COPY proto ./proto
COPY crates/mdsd-core ./crates/mdsd-core
COPY src ./src
COPY data ./data
RUN touch build.rs src/main.rs src/lib.rs crates/mdsd-core/src/lib.rs
RUN cargo build --release --locked --bin mdsd

# 3. Split debug info: the runtime gets the stripped binary (≈ 12 MB instead of ≈ 75 MB), the
#    line tables stay in this stage for symbolising crash reports:
#    `docker build --target build -t mdsd-build .`, then copy /out/debug/mdsd.debug out of it.
RUN install -d -m 0755 /out/usr/local/bin /out/debug \
 && install -d -m 0750 /out/var/lib/mdsd \
 && objcopy --only-keep-debug target/release/mdsd /out/debug/mdsd.debug \
 && objcopy --strip-all --add-gnu-debuglink=/out/debug/mdsd.debug \
      target/release/mdsd /out/usr/local/bin/mdsd

# --- runtime -----------------------------------------------------------------------------------
# distroless/cc: glibc + libgcc + CA certificates, no shell; :nonroot runs as uid/gid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/usr/local/bin/mdsd /usr/local/bin/mdsd
COPY --from=build --chown=65532:65532 /out/var/lib/mdsd /var/lib/mdsd
USER 65532:65532
ENV MDSD_LISTEN=0.0.0.0:50051 \
    MDSD_ADMIN_LISTEN=0.0.0.0:9464 \
    MDSD_STATE_DIR=/var/lib/mdsd \
    MDSD_LOG_FORMAT=json \
    MALLOC_MMAP_THRESHOLD_=1048576
# glibc keeps large freed buffers in its arenas: after BLOB refreshes (16 MB each) RSS grew to
# ≈ 106 MB with nothing live; with allocations ≥ 1 MiB served by mmap (returned on free) eight
# refreshes peak at 58–65 MB and settle at 30–37 MB (BENCHMARKS.md, "Across BLOB refreshes").
VOLUME ["/var/lib/mdsd"]
EXPOSE 50051 9464
# HEALTHCHECK is a Docker image-format field: the OCI format has no place for it, so podman
# and buildah (OCI by default) drop it with a warning. Build with `--format docker` to keep
# it. Kubernetes ignores it either way and uses the pod's probes (deploy/kubernetes).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/mdsd", "health", "--target", "127.0.0.1:50051"]
ENTRYPOINT ["/usr/local/bin/mdsd"]
CMD ["serve"]
