#!/usr/bin/env bash
# Instructions per VerifyRegistration of the real server, counted by callgrind: repeatable for the
# same binary and vector whatever else the machine does (timing A/Bs on a busy 2-core machine are
# not). The server is started under valgrind with the BLOB `scripts/load.sh` generates, warmed up,
# its counters zeroed, then CALLS calls are made at 100/s and the counters dumped. Loopback only;
# the server is stopped by its pid. Figures: BENCHMARKS.md "gRPC load run".
#
#   scripts/load-callgrind.sh                                  # the release build in $CARGO_TARGET_DIR
#   MDSD_BIN=/path/to/other/mdsd scripts/load-callgrind.sh     # another build, same vector
#   VECTOR=w3c-none-es256 scripts/load-callgrind.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target-bench}
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --bin mdsd --example loadgen
B=$CARGO_TARGET_DIR/release
MDSD=${MDSD_BIN:-$B/mdsd}
LOADGEN=${LOADGEN_BIN:-$B/examples/loadgen}
VECTOR=${VECTOR:-java-webauthn-server-packed-RealExamples-YubiKey5Nfc}
W=${LOAD_DIR:-/tmp/mdsd-load}
GRPC=127.0.0.1:${PORT:-50081}
SECS=${SECS:-10}                 # at 100 calls/s: 1,000 calls
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 2; }
[ -f "$W/blobs/blob-1000.jwt" ] || "$LOADGEN" gen-blob "$W/blobs" 1
STATE=$(mktemp -d)
OUT=$(mktemp -d)
PID=
stop() { [ -z "$PID" ] || kill "$PID" 2>/dev/null || true; rm -rf "$STATE"; }
trap stop EXIT
valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" "$MDSD" serve \
    --listen "$GRPC" --state-dir "$STATE" --mds-url "file://$W/blobs/blob-1000.jwt" \
    --mds-root "$W/blobs/root.der" --crl-file "$W/blobs/root.crl" --crl-file "$W/blobs/ca.crl" \
    --refresh-jitter-percent 0 >"$OUT/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 600); do "$MDSD" health --target "$GRPC" >/dev/null 2>&1 && break; sleep 1; done
"$LOADGEN" run "$GRPC" "$VECTOR" 4 50 4 4 >/dev/null          # warm-up (chain cache, connections)
callgrind_control -z "$PID" >/dev/null
RESULT=$("$LOADGEN" run "$GRPC" "$VECTOR" 4 100 "$SECS" 4 | grep RESULT)
callgrind_control -d "$PID" >/dev/null
sleep 1
CALLS=$(sed -n 's/.* calls=\([0-9]*\) .*/\1/p' <<<"$RESULT")
TOTAL=$(callgrind_annotate "$OUT/callgrind.out.1" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
echo "$RESULT"
echo "CALLGRIND vector=$VECTOR calls=$CALLS instructions=$TOTAL per_call=$((TOTAL / CALLS)) profile=$OUT/callgrind.out.1"
