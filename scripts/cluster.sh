#!/usr/bin/env bash
# Brings up a local Skiff cluster (its own etcd with data in .skiff/, the
# control plane) and applies manifests/. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
exec node packages/testkit/dist/dev-cluster-main.js "$@"
