#!/usr/bin/env bash
# Soak run: the real mdsd binary under concurrent VerifyRegistration load on 127.0.0.1 while
# new BLOBs are published and refreshed in; every answer checked, daemon RSS sampled each second.
# Usage: scripts/soak.sh [seconds=180] [clients=8] [refresh-every-seconds=10]
# Output: the per-second RSS table and the totals, also saved to target/soak-<date>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-180}"
clients="${2:-8}"
refresh="${3:-10}"
log="target/soak-$(date -u +%Y%m%dT%H%M%SZ).log"
mkdir -p target
MDSD_SOAK_SECS="$secs" MDSD_SOAK_CLIENTS="$clients" MDSD_SOAK_REFRESH_SECS="$refresh" \
  cargo test --test soak -- --nocapture 2>&1 | tee "$log" | grep -E '^soak:|test result|panicked|wrong answer|failed:'
echo "full log: $log"
