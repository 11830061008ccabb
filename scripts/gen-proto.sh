#!/usr/bin/env bash
# Regenerates the TypeScript types of proto/ into packages/api/src/generated.
# The generator writes extensionless relative imports; NodeNext ESM needs ".js".
set -euo pipefail
cd "$(dirname "$0")/.."
out=packages/api/src/generated
rm -rf "$out"
npx proto-loader-gen-types --keepCase --longs String --enums String --defaults --oneofs \
  --grpcLib @grpc/grpc-js -I proto -O "$out" skiff/v1/api.proto skiff/v1/node.proto
find "$out" -name '*.ts' -print0 | xargs -0 sed -i -E "s#(from '\.{1,2}/[^']*)';#\1.js';#"
