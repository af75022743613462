#!/usr/bin/env bash
# Kubernetes manifests and Prometheus rules, checked offline:
#   - deploy/kubernetes/*.yaml against the Kubernetes API schemas (kubernetes-validate from
#     PyPI, schemas bundled: no cluster), strict (unknown fields are errors);
#   - the rules this repository relies on (scripts/ci/k8s_rules.py): native sidecar, per-pod
#     state, per-container securityContext, probes on the admin listener, no readiness probe on
#     the sidecar, a mirror with Service, PodDisruptionBudget and NetworkPolicy selecting it,
#     metrics annotations pointing at a non-loopback port;
#   - deploy/prometheus/alerts.yml with `promtool check rules` (Debian package prometheus).
# The dashboard's and the rules' metric names are checked against a running daemon's /metrics
# by tests/deploy_files.rs (part of `cargo test`).
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)

if ! command -v kubernetes-validate >/dev/null; then
  PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --disable-pip-version-check \
    kubernetes-validate==1.37.0
fi
if ! command -v promtool >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

kubernetes-validate --strict --quiet deploy/kubernetes/*.yaml
python3 scripts/ci/k8s_rules.py deploy/kubernetes/*.yaml
promtool check rules deploy/prometheus/alerts.yml
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["panels"], "no panels"' \
  deploy/grafana/mdsd.json
echo "k8s: manifests, rules and dashboard checked in $(( $(date +%s) - started )) s"
