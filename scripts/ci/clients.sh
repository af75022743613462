#!/usr/bin/env bash
# The client packages against the real daemon (issue #14): installs clients/python with pip and
# clients/node with npm, checks their generated files against proto/, and runs their tests,
# which start target/debug/mdsd on data written by target/debug/examples/client_testbed.
# Run after `cargo test` (which builds both binaries); builds them itself when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

export MDSD_BIN="$root/target/debug/mdsd"
export MDSD_TESTBED="$root/target/debug/examples/client_testbed"
if [ ! -x "$MDSD_BIN" ] || [ ! -x "$MDSD_TESTBED" ]; then
  cargo build --locked --bin mdsd --example client_testbed
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "== clients/python: pip install, tests (pytest)"
PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --disable-pip-version-check \
  "./clients/python[test]"
# The tests import the installed package, not the source tree.
(cd "$scratch" && python3 -m pytest -q -p no:cacheprovider "$root/clients/python/tests")

echo "== clients/node: generated descriptors are current"
python3 clients/node/scripts/descriptors.py "$scratch/mdsd.binpb"
if ! cmp -s "$scratch/mdsd.binpb" clients/node/lib/mdsd.binpb; then
  echo "error: clients/node/lib/mdsd.binpb is stale: run python3 clients/node/scripts/descriptors.py && (cd clients/node && npm run generate)" >&2
  exit 1
fi

echo "== clients/node: npm install into a fresh project"
mkdir "$scratch/consumer"
(cd "$scratch/consumer" && npm init -y >/dev/null \
  && npm install --no-audit --no-fund --silent --install-links "$root/clients/node" \
  && node -e "const m = require('@mdsd/client'); if (typeof m.Client !== 'function') process.exit(1)")

echo "== clients/node: tests (type check, node:test)"
npm ci --prefix clients/node --no-audit --no-fund --silent
(cd clients/node && npm test --silent)
