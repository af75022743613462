#!/bin/sh
# Runs every fuzz target in turn, one process at a time, for SECONDS each (default 300), logging
# to fuzz/logs/<target>.log. Run from fuzz/ after `cargo +nightly run --example seeds`.
# Builds once (`cargo fuzz build`), then runs the binaries directly so that source changes
# made meanwhile do not trigger rebuilds between targets. NOBUILD=1 skips the build (to continue
# a campaign on the binaries of an earlier run while the source tree is being edited).
set -u
SECONDS_EACH=${1:-300}
shift || true
TARGETS=${*:-"attestation_object jws_blob x509_path crl auth_data cose_key att_stmt tpm_structs android_key_cert safetynet_jws passkey_providers metadata_statement"}
BIN=target/x86_64-unknown-linux-gnu/release
mkdir -p logs artifacts
[ -n "${NOBUILD:-}" ] || cargo +nightly fuzz build || exit 1
for t in $TARGETS; do
    mkdir -p "corpus/$t" "artifacts/$t"
    echo "== $t $(date -u +%FT%TZ)"
    "$BIN/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        > "logs/$t.log" 2>&1
    echo "   exit $? $(grep -E '^#[0-9]+' "logs/$t.log" | tail -1)"
done
