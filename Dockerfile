# mdsd container image: multi-stage build, small non-root runtime.
#
#   docker build -t mdsd .
#   docker run --rm -p 50051:50051 -p 9464:9464 -v mdsd-state:/var/lib/mdsd mdsd
#
# The runtime image listens on 0.0.0.0 inside the container (plaintext gRPC: put TLS in front,
# set MDSD_TLS_CERT/MDSD_TLS_KEY, or run it as a loopback-only sidecar, see deploy/kubernetes).
# Health: `mdsd health` (gRPC grpc.health.v1) — also what the HEALTHCHECK below runs.

# --- build -------------------------------------------------------------------------------------
FROM docker.io/library/rust:1.89-slim-bookworm AS build
WORKDIR /src
# Dependencies first, so source edits do not rebuild them.
COPY Cargo.toml Cargo.lock build.rs ./
COPY proto ./proto
COPY crates ./crates
COPY src ./src
COPY data ./data
RUN cargo build --release --locked --bin mdsd \
 && install -D -m 0755 target/release/mdsd /out/usr/local/bin/mdsd \
 && install -d -m 0750 /out/var/lib/mdsd

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
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/mdsd", "health", "--target", "127.0.0.1:50051"]
ENTRYPOINT ["/usr/local/bin/mdsd"]
CMD ["serve"]
