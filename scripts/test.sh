#!/usr/bin/env bash
# `npm test`: everything CI checks, runnable on a fresh clone, under the project's Node
# (package.json runs it through scripts/with-node.sh). Installs what is missing (npm
# packages, Debian packages, daprd/FerretDB/Jaeger builds and the control-plane binaries
# of the cluster level, cached under .tools/), then lints, typechecks and runs
# unit, integration, cluster and end-to-end tests in one mocha run.
# TEST_LEVEL=unit|int|cluster|e2e|fault narrows the run.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
step() { printf '\n\033[1m== %s\033[0m (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

step "bootstrap: dependencies, code generation, infrastructure binaries"
echo "node $(node --version) ($(command -v node))"
bash scripts/bootstrap.sh
if [ -z "${TEST_LEVEL:-}" ] || [ "${TEST_LEVEL}" = cluster ]; then
  step "control-plane binaries for the cluster level"
  bash scripts/setup/cluster-tools.sh
fi

step "lint and format (biome)"
npx biome check .

step "proto lint (buf)"
npm run --silent lint -w @meshmart/proto

step "typecheck (tsc --strict)"
npx tsc -p tsconfig.json --noEmit
npx tsc -p services/web/ui/tsconfig.json

step "tests${TEST_LEVEL:+ ($TEST_LEVEL)}"
npx mocha "$@"

step "done"
