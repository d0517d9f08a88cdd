#!/usr/bin/env bash
# Everything the local stack needs beyond node_modules, each step skipped when already
# done: Debian packages, then daprd, FerretDB and Jaeger built from their Go modules into
# .tools/bin (git-ignored). Safe to run again; `npm run setup` runs it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"

started=$(now)

step "Debian packages" bash "$here/debian-packages.sh"
go_bin=$(bash "$here/go-toolchain.sh")
[ -n "$go_bin" ] && export PATH="$go_bin:$PATH"
# go build already keeps every core busy, so the builds run one after another.
step "daprd" bash "$here/build-daprd.sh"
step "FerretDB" bash "$here/build-ferretdb.sh"
step "Jaeger" bash "$here/build-jaeger.sh"
say "setup done in $(fmt_duration $(( $(now) - started )))"
