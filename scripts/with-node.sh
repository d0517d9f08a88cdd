#!/usr/bin/env bash
# Runs a command under the project's Node (scripts/setup/node.sh fetches it when the
# machine's is older), first on PATH so that every node, npm and npx the command starts
# uses it too. The package.json scripts go through here: npm itself may run on an older
# node. With --bootstrap, scripts/bootstrap.sh runs first, under the same Node.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

node_bin=$(bash "$root/scripts/setup/node.sh")
if [ -n "$node_bin" ]; then export PATH="$node_bin:$PATH"; fi
if [ "${1:-}" = --bootstrap ]; then
  shift
  bash "$root/scripts/bootstrap.sh"
fi
exec "$@"
