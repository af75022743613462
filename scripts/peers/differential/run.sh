#!/usr/bin/env bash
# Differential run of trust verdicts: mdsd (examples/differential.rs), python-fido2
# (fido2_verdicts.py) and SimpleWebAuthn (swa_verdicts.mjs) judge the same cases (the 130 shared
# vectors and the adversarial cases the example generates from them) against the same real
# metadata (the 2024-12 BLOB, no 121, verified with the real GlobalSign CRLs at
# 2024-09-03T12:00Z); compare.py joins the verdicts on case id and writes a Markdown report.
# Not timed, not part of CI. See scripts/peers/differential/README.md.
#
#   scripts/peers/differential/run.sh                 # install, build, run, report
#   PROFILE=release scripts/peers/differential/run.sh # build the example in release
#   CARGO_TARGET_DIR=/tmp/t scripts/peers/differential/run.sh
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEERS=$(cd "$HERE/.." && pwd)
REPO=$(cd "$PEERS/../.." && pwd)
SHARED=${SHARED:-$(cd "$REPO/../shared/testdata" && pwd)}
OUT=${OUT:-$PEERS/out/differential}
PROFILE=${PROFILE:-debug} # the run is about verdicts, not speed: no release build needed

B=$SHARED/blobs
BLOB=$B/s1r-J_fido-mds3__2024-12-02__blob.jwt
BLOB_AT=2024-09-03T12:00:00Z # inside the leaf's, the CA's and both CRLs' validity
BLOB_ROOT=$B/webauthn4j__root-r3.crt
CRL_ROOT=$B/webauthn4j__root-r3.crl
CRL_CA=$B/webauthn4j__gsextendvalsha2g3r3.crl
# The CRLDistributionPoints of the BLOB's x5c (SimpleWebAuthn fetches these; the stub serves
# the local files under these URLs).
URL_ROOT=http://crl.globalsign.com/root-r3.crl
URL_CA=http://crl.globalsign.com/gs/gsextendvalsha2g3r3.crl
VECTORS=$SHARED/attestations/vectors.json

say() { printf '\n== %s\n' "$*" >&2; }

# ---- install the peers (pinned; the same steps as ../run.sh) -----------------------------------
say "installing python-fido2 (requirements.txt) into $PEERS/.venv"
[ -x "$PEERS/.venv/bin/python" ] || python3 -m venv "$PEERS/.venv"
"$PEERS/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$PEERS/requirements.txt"
say "installing @simplewebauthn/server (package-lock.json) into $PEERS/node_modules"
npm ci --prefix "$PEERS" --silent --no-audit --no-fund
PY=$PEERS/.venv/bin/python

# ---- build mdsd's side ----------------------------------------------------------------------------
say "building example differential ($PROFILE)"
cd "$REPO"
if [ "$PROFILE" = release ]; then
  nice -n 5 cargo build --release --quiet --example differential
else
  nice -n 5 cargo build --quiet --example differential
fi
TARGET=${CARGO_TARGET_DIR:-$REPO/target}
case $TARGET in /*) ;; *) TARGET=$REPO/$TARGET ;; esac
EX=$TARGET/$PROFILE/examples/differential

mkdir -p "$OUT"
rm -rf "$OUT/anchors"

# SimpleWebAuthn's built-in attestation roots (Apple WebAuthn Root CA, Google hardware
# attestation roots, GlobalSign Root CA for SafetyNet) become mdsd's operator extra anchors, so
# that both start from the same non-MDS roots.
say "SimpleWebAuthn's built-in attestation roots -> $OUT/anchors"
node "$HERE/swa_verdicts.mjs" roots "$OUT/anchors" >&2
ANCHORS=()
for f in "$OUT"/anchors/*.pem; do ANCHORS+=(--anchor "$f"); done

say "mdsd: writing the cases ($OUT/cases.json) and judging them"
"$EX" --vectors "$VECTORS" --blob "$BLOB" --crl "$CRL_ROOT" --crl "$CRL_CA" --blob-at "$BLOB_AT" \
  "${ANCHORS[@]}" --cases-out "$OUT/cases.json" > "$OUT/mdsd.jsonl"

say "python-fido2: judging"
"$PY" -W ignore "$HERE/fido2_verdicts.py" --cases "$OUT/cases.json" --blob "$BLOB" \
  --root "$BLOB_ROOT" > "$OUT/fido2.jsonl"

say "SimpleWebAuthn: judging"
node "$HERE/swa_verdicts.mjs" judge --cases "$OUT/cases.json" --blob "$BLOB" --blob-at "$BLOB_AT" \
  --crl "$URL_ROOT=$CRL_ROOT" --crl "$URL_CA=$CRL_CA" > "$OUT/swa.jsonl"

# ---- report -----------------------------------------------------------------------------------
jq_escape() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
{
  echo "{"
  echo "\"date (UTC)\": $(jq_escape "$(date -u +%Y-%m-%dT%H:%M:%SZ)"),"
  echo "\"mdsd commit\": $(jq_escape "$(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- src || echo ' (+ uncommitted changes in src/)')"),"
  echo "\"python-fido2\": $(jq_escape "$("$PY" -c 'from importlib.metadata import version; print(version("fido2"))')"),"
  echo "\"@simplewebauthn/server\": $(jq_escape "$(node -p "require('$PEERS/node_modules/@simplewebauthn/server/package.json').version")"),"
  echo "\"runtimes\": $(jq_escape "$(python3 --version 2>&1), node $(node --version), $(rustc --version | cut -d' ' -f1-2)"),"
  echo "\"metadata\": $(jq_escape "$(basename "$BLOB") verified at $BLOB_AT with $(basename "$CRL_ROOT") and $(basename "$CRL_CA")"),"
  echo "\"mdsd extra anchors\": $(jq_escape "$(cd "$OUT/anchors" && ls | tr '\n' ' ')"),"
  echo "\"cases\": $(jq_escape "$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(len(c), "(", sum(x.get("source")=="shared" for x in c), "shared,", sum(x.get("source")=="generated" for x in c), "generated )")' "$OUT/cases.json")")"
  echo "}"
} > "$OUT/meta.json"

python3 "$HERE/compare.py" --cases "$OUT/cases.json" --mdsd "$OUT/mdsd.jsonl" \
  --fido2 "$OUT/fido2.jsonl" --swa "$OUT/swa.jsonl" --meta "$OUT/meta.json" \
  --json "$OUT/joined.json" > "$OUT/report.md"
say "report: $OUT/report.md (verdicts: $OUT/{mdsd,fido2,swa}.jsonl, joined: $OUT/joined.json)"
sed -n '/^## Counts per format/,/^## Adversarial/p' "$OUT/report.md" | sed '$d'
