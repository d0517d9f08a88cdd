#!/usr/bin/env bash
# From a fresh clone to a runnable stack: node_modules (installed only when missing or
# older than package-lock.json), generated code (`npm run gen`: the gRPC code from proto/
# and the typed Dapr constructs in cdk8s/imports), then the Debian packages and Go tools of
# scripts/setup/all.sh. Cheap when everything is in place; `npm start` runs it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# npm rewrites node_modules/.package-lock.json on every install: it marks the last one.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "▸ node_modules"
  npm ci --no-audit --no-fund
fi
npm run gen --if-present --silent
bash scripts/setup/all.sh
