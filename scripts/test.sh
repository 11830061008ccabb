#!/usr/bin/env bash
# The test command: installs what is missing, builds, type-checks the suites,
# then runs every unit and end-to-end test (real etcd, real gRPC, real ctl).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npx tsc -p test --noEmit
exec npx vitest run "$@"
