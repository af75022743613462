#!/usr/bin/env bash
# Side-by-side run against the peers (issue #6): python-fido2 (PyPI `fido2`) and SimpleWebAuthn
# (npm `@simplewebauthn/server`) beside mdsd, each in process and warm, on the inputs of mdsd's
# benchmarks:
#   - BLOB verification + parse: the real 2024-12 BLOB (with the real GlobalSign CRLs, at
#     2024-09-03T12:00Z) and the generated 16.8 MB BLOB (examples/gen_big_blob.rs, test PKI,
#     at 2024-06-01);
#   - registration verification: java-webauthn-server-packed-RealExamples-YubiKey5Nfc (packed
#     x5c) and w3c-none-es256 (none), against the 2024-12 BLOB's metadata.
# A manual benchmark, not part of CI. Needs python3 (with venv), node >= 20 and npm, cargo, and
# the package registries (PyPI, npm) for the first install. See scripts/peers/README.md.
#
#   scripts/peers/run.sh                      # install, build, run everything, print the table
#   CARGO_TARGET_DIR=/tmp/t scripts/peers/run.sh
#   N=9 N_PY=3 scripts/peers/run.sh           # fewer BLOB runs (python-fido2 takes seconds each)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SHARED=${SHARED:-$(cd "$REPO/../shared/testdata" && pwd)}
OUT=${OUT:-$HERE/out}
N=${N:-15}             # timed BLOB runs for mdsd and SimpleWebAuthn
N_PY=${N_PY:-5}        # timed BLOB runs for python-fido2 (≈ 1 s and ≈ 4 s each)
WARMUP=${WARMUP:-2}    # untimed BLOB runs first (python-fido2: 1)

B=$SHARED/blobs
REAL=$B/s1r-J_fido-mds3__2024-12-02__blob.jwt
REAL_AT=2024-09-03T12:00:00Z   # inside the leaf's, the CA's and both CRLs' validity
BIG_AT=2024-06-01T00:00:00Z    # inside the test PKI's and its CRLs' validity (mdsd_test_support::big_blob)
CRL_ROOT=$B/webauthn4j__root-r3.crl
CRL_CA=$B/webauthn4j__gsextendvalsha2g3r3.crl
# The CRLDistributionPoints of the real BLOB's x5c (SimpleWebAuthn fetches these; the stub in
# bench_simplewebauthn.mjs serves the local files under these URLs).
URL_ROOT=http://crl.globalsign.com/root-r3.crl
URL_CA=http://crl.globalsign.com/gs/gsextendvalsha2g3r3.crl
VECTORS=$SHARED/attestations/vectors.json
PACKED=java-webauthn-server-packed-RealExamples-YubiKey5Nfc
NONE=w3c-none-es256

say() { printf '\n== %s\n' "$*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# ---- install the peers (pinned) -----------------------------------------------------------------
say "installing python-fido2 (requirements.txt) into $HERE/.venv"
[ -x "$HERE/.venv/bin/python" ] || python3 -m venv "$HERE/.venv"
"$HERE/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
say "installing @simplewebauthn/server (package-lock.json) into $HERE/node_modules"
npm ci --prefix "$HERE" --silent --no-audit --no-fund
PY=$HERE/.venv/bin/python

# ---- build mdsd's timer and the BLOB generator ------------------------------------------------
say "building examples peer_inputs and gen_big_blob (release)"
cd "$REPO"
cargo build --release --quiet --example peer_inputs --example gen_big_blob
TARGET=${CARGO_TARGET_DIR:-$REPO/target}
case $TARGET in /*) ;; *) TARGET=$REPO/$TARGET ;; esac
EX=$TARGET/release/examples

mkdir -p "$OUT"
BIG=$OUT/bigblob
if [ ! -s "$BIG/blob.jwt" ]; then
  say "generating the 16.8 MB BLOB into $BIG"
  "$EX/gen_big_blob" "$BIG" >&2
fi

RES=$OUT/results.jsonl
: > "$RES"
meta() { printf '{"peer":"meta","what":"%s","value":"%s"}\n' "$1" "$2" >> "$RES"; }
meta "date (UTC)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
meta "machine" "$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
meta "runtimes" "$(python3 --version 2>&1), node $(node --version), $(rustc --version | cut -d' ' -f1-2)"
meta "mdsd commit" "$(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- src || echo ' (+ uncommitted changes in src/)')"
meta "load average at start" "$(load)"

run() { # run NAME CMD...: one process, its JSON lines into $RES
  say "$1 (load $(load))"
  shift
  "$@" | tee -a "$RES" >&2
}

# ---- BLOB verification + parse: one process per (implementation, BLOB) for its peak RSS --------
run "mdsd: real 2024-12 BLOB" "$EX/peer_inputs" blob --label real_2024_12 --blob "$REAL" \
  --crl "$CRL_ROOT" --crl "$CRL_CA" --at "$REAL_AT" --n "$N" --warmup "$WARMUP"
run "SimpleWebAuthn: real 2024-12 BLOB" node "$HERE/bench_simplewebauthn.mjs" blob \
  --label real_2024_12 --blob "$REAL" --crl "$URL_ROOT=$CRL_ROOT" --crl "$URL_CA=$CRL_CA" \
  --at "$REAL_AT" --n "$N" --warmup "$WARMUP"
run "python-fido2: real 2024-12 BLOB" "$PY" "$HERE/bench_fido2.py" blob --label real_2024_12 \
  --blob "$REAL" --root "$B/webauthn4j__root-r3.crt" --n "$N_PY" --warmup 1

# The generated BLOB's test certificates carry no CRLDistributionPoints: mdsd is given both CRLs
# (and requires them); SimpleWebAuthn has no URL to fetch and checks no revocation;
# python-fido2 never does.
run "mdsd: generated BLOB" "$EX/peer_inputs" blob --label generated_16mb --blob "$BIG/blob.jwt" \
  --root "$BIG/root.der" --crl "$BIG/root.crl" --crl "$BIG/ca.crl" --at "$BIG_AT" \
  --n "$N" --warmup "$WARMUP"
run "SimpleWebAuthn: generated BLOB" node "$HERE/bench_simplewebauthn.mjs" blob \
  --label generated_16mb --blob "$BIG/blob.jwt" --root "$BIG/root.der" --at "$BIG_AT" \
  --n "$N" --warmup "$WARMUP"
run "python-fido2: generated BLOB" "$PY" "$HERE/bench_fido2.py" blob --label generated_16mb \
  --blob "$BIG/blob.jwt" --root "$BIG/root.der" --n "$N_PY" --warmup 1

# ---- registration verification against the 2024-12 metadata -----------------------------------
run "mdsd: attestations" "$EX/peer_inputs" att --vectors "$VECTORS" --blob "$REAL" \
  --crl "$CRL_ROOT" --crl "$CRL_CA" --blob-at "$REAL_AT" --id "$PACKED" --id "$NONE"
run "SimpleWebAuthn: attestations" node "$HERE/bench_simplewebauthn.mjs" att \
  --vectors "$VECTORS" --blob "$REAL" --crl "$URL_ROOT=$CRL_ROOT" --crl "$URL_CA=$CRL_CA" \
  --blob-at "$REAL_AT" --id "$PACKED" --id "$NONE"
run "python-fido2: attestations" "$PY" "$HERE/bench_fido2.py" att --vectors "$VECTORS" \
  --blob "$REAL" --root "$B/webauthn4j__root-r3.crt" --id "$PACKED" --id "$NONE"

meta "load average at end" "$(load)"
say "results: $RES"
python3 "$HERE/table.py" "$RES" | tee "$OUT/table.md"
