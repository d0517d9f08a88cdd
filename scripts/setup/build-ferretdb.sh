#!/usr/bin/env bash
# Puts FerretDB (a MongoDB wire-protocol server; the local stack runs it on SQLite) at
# .tools/bin/ferretdb, built from its Go module.
# Cold build on a 2-core machine: 58s with the modules already downloaded and an empty
# Go build cache.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

version=v1.24.2
if [ -x "$BIN/ferretdb" ] && stamp_matches ferretdb "$version"; then
  say "ferretdb $version: up to date"
  exit 0
fi

# FerretDB refuses to start without build/version/version.txt, which its release
# process generates and the module does not ship.
src=$(writable_module_copy "github.com/FerretDB/FerretDB@$version" "echo $version > build/version/version.txt")

say "ferretdb: building $version (a cold build takes about a minute on 2 cores)"
go_build_progress ferretdb go build -C "$src" -v -trimpath -ldflags "-s -w" -o "$BIN/ferretdb.new" ./cmd/ferretdb
mv "$BIN/ferretdb.new" "$BIN/ferretdb"
stamp_write ferretdb "$version"
say "ferretdb: $("$BIN/ferretdb" --version 2>&1 | head -n 1)"
