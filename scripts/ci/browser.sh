#!/usr/bin/env bash
# The real-browser tests (issue #14): Debian's Chromium, headless, registers passkeys with CDP
# virtual authenticators on the demo relying party (examples/browser-demo) against the real
# daemon; then the SimpleWebAuthn drop-in (examples/simplewebauthn). Called by .ci/run after
# `cargo test`, so target/debug/mdsd exists; installs Chromium and the npm packages itself.
# playwright-core drives /usr/bin/chromium and never downloads a browser.
set -euo pipefail
# Each npm test is cut off after 10 minutes: a hung browser must not hold CI.
cd "$(dirname "$0")/../.."
start=$SECONDS

if ! command -v chromium >/dev/null 2>&1; then
  echo "-- installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
chromium --version 2>/dev/null || true

echo "-- building the daemon and the test-MDS writer (no-ops after cargo test)"
cargo build --locked --quiet --bin mdsd --example browser_test_mds

echo "-- npm packages"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm ci --prefix examples/browser-demo --no-audit --no-fund --silent
npm ci --prefix examples/simplewebauthn --no-audit --no-fund --silent

report="${BROWSER_TEST_REPORT:-$(mktemp -t mdsd-browser-report.XXXXXX.json)}"
echo "-- browser test (what each virtual authenticator produced: $report)"
BROWSER_TEST_REPORT="$report" timeout -k 10 600 npm test --prefix examples/browser-demo --silent

echo "-- SimpleWebAuthn drop-in"
timeout -k 10 600 npm test --prefix examples/simplewebauthn --silent

echo "-- browser tests took $((SECONDS - start)) s"
