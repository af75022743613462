#!/usr/bin/env bash
# Loopback gRPC load run of `mdsd serve` (issue #6): cold start with a persisted 16 MiB BLOB,
# VerifyRegistration at several offered rates for two real vectors, and a run across BLOB
# refreshes (peak RSS of each refresh). Loopback only (127.0.0.1); every run is bounded in time
# (SECS, ≤ 120 s in loadgen); the server started here is stopped by its pid on exit. Figures: BENCHMARKS.md "gRPC load run".
#
#   scripts/load.sh                 # everything (≈ 3 min plus the build)
#   SECS=5 RATES="5000 0" scripts/load.sh
#   SKIP_BUILD=1 scripts/load.sh    # use the binaries already in $CARGO_TARGET_DIR/release
#   MDSD_BIN=/path/to/mdsd SKIP_BUILD=1 scripts/load.sh   # another server build
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target-bench}
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --bin mdsd --example loadgen
B=$CARGO_TARGET_DIR/release
MDSD=${MDSD_BIN:-$B/mdsd}                    # another server build to compare
LOADGEN=${LOADGEN_BIN:-$B/examples/loadgen}
W=${LOAD_DIR:-/tmp/mdsd-load}
SECS=${SECS:-10}
RATES=${RATES:-"2000 5000 10000 15000 0"}   # offered calls/s; 0 = closed loop
CONC=${CONC:-64}                             # concurrent calls in flight (at most)
CONNS=${CONNS:-4}                            # HTTP/2 connections
VECTORS=${VECTORS:-"java-webauthn-server-packed-RealExamples-YubiKey5Nfc w3c-none-es256"}
GRPC=127.0.0.1:${PORT:-50071}
ADMIN=127.0.0.1:${ADMIN_PORT:-9471}

[ -f "$W/blobs/blob-1003.jwt" ] || "$LOADGEN" gen-blob "$W/blobs" 4
PID=
stop() {
    # The server is loadgen's child, not this shell's: `wait` cannot reap it, so poll until it has
    # drained and exited (else the next start races it for the port and health answers from the
    # old process).
    if [ -n "$PID" ]; then
        kill "$PID" 2>/dev/null || true
        for _ in $(seq 1 500); do kill -0 "$PID" 2>/dev/null || break; sleep 0.01; done
    fi
    PID=
}
trap stop EXIT
serve() {
    # Starts the server through loadgen's cold-start timer; sets PID.
    local out
    out=$("$LOADGEN" coldstart "$GRPC" -- "$MDSD" serve --listen "$GRPC" \
        --admin-listen "$ADMIN" --state-dir "$W/state" --mds-url "file://$W/source.jwt" \
        --mds-root "$W/blobs/root.der" --crl-file "$W/blobs/root.crl" --crl-file "$W/blobs/ca.crl" \
        --refresh-jitter-percent 0 --admin-token-file "$W/admin.token" \
        --admin-refresh-min-interval 1s)
    echo "$out  (load: $(cut -d' ' -f1-3 /proc/loadavg))"
    PID=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$out")
}
blob_no() { curl -s "http://$ADMIN/metrics" | sed -n 's/^mdsd_blob_no \(.*\)/\1/p; s/^blob_no \(.*\)/\1/p'; }

rm -rf "$W/state" && mkdir -p "$W/state"
# POST /refresh (the refresh run below) needs a bearer token from admin_token_file.
[ -s "$W/admin.token" ] || (umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$W/admin.token")
cp "$W/blobs/blob-1000.jwt" "$W/source.jwt"
echo "== first start (empty state dir: reads and verifies the 16 MiB BLOB from the file source)"
serve
echo "== cold start with the BLOB persisted in the state dir (3 runs)"
for _ in 1 2 3; do stop; serve; done

for v in $VECTORS; do
    for r in $RATES; do
        echo "== $v rate=$r concurrency=$CONC connections=$CONNS ${SECS}s (load: $(cut -d' ' -f1-3 /proc/loadavg))"
        "$LOADGEN" run "$GRPC" "$v" "$CONC" "$r" "$SECS" "$CONNS" "$PID"
    done
done

[ "${REFRESH:-1}" = 1 ] || exit 0          # REFRESH=0: skip the refresh run
echo "== across refreshes: 30 s at ${REFRESH_RATE:-5000}/s, a new BLOB (no 1001..1003) every 7 s"
echo "   blob no before: $(blob_no)"
"$LOADGEN" run "$GRPC" "${VECTORS%% *}" "$CONC" "${REFRESH_RATE:-5000}" 30 "$CONNS" "$PID" &
LG=$!
mb() { awk -v k="$1:" '$1 == k { printf "%.1f MB", $2 / 1024 }' "/proc/$PID/status"; }
for no in 1001 1002 1003; do
    sleep 7
    # Peak RSS of this refresh alone: "5" resets the process's VmHWM to its current RSS.
    echo 5 > "/proc/$PID/clear_refs" 2>/dev/null || true
    before=$(mb VmRSS)
    cp "$W/blobs/blob-$no.jwt" "$W/source.jwt.tmp" && mv "$W/source.jwt.tmp" "$W/source.jwt"
    curl -s -X POST -H "Authorization: Bearer $(cat "$W/admin.token")" "http://$ADMIN/refresh" >/dev/null
    sleep 2
    echo "   refresh to $no triggered at $(date -u +%T); serving no=$(blob_no);" \
        "RSS before $before, peak $(mb VmHWM), after $(mb VmRSS)"
done
wait "$LG"
echo "   blob no after: $(blob_no)"
