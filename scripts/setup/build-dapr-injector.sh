#!/usr/bin/env bash
# Puts the Dapr sidecar injector at .tools/bin/dapr-injector for the loopback control
# plane, built from github.com/dapr/dapr/cmd/injector at the Dapr release of
# tools/daprd (tools/dapr-injector/go.mod pins the same version and the same
# durabletask-go replace; the injector needs none of daprd's patched files).
# Cold build on the shared 2-core machine: 5s (14 packages) right after daprd, whose
# packages it shares; 2m43s with an empty Go build cache.
# It has no --version flag (it logs "Starting Dapr Sidecar Injector -- version 1.17.5" at
# start); `go version -m` shows the dapr module it was built from:
# github.com/dapr/dapr v1.17.5
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src=$ROOT/tools/dapr-injector
version=$(go_mod_version "$src/go.mod" github.com/dapr/dapr)
[ -n "$version" ] || die "no github.com/dapr/dapr requirement in $src/go.mod"
daprd_version=$(go_mod_version "$ROOT/tools/daprd/go.mod" github.com/dapr/dapr)
[ "$version" = "$daprd_version" ] ||
  die "tools/dapr-injector pins dapr $version but tools/daprd pins $daprd_version"
want="$version $(files_hash "$src/go.mod" "$src/go.sum")"

if [ -x "$BIN/dapr-injector" ] && stamp_matches dapr-injector "$want"; then
  say "dapr-injector $version: up to date"
  exit 0
fi

say "dapr-injector: building dapr $version (a first build takes about 5 seconds after daprd on 2 cores)"
go_build_progress dapr-injector go build -C "$src" -v -trimpath \
  -ldflags "-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=${version#v}" \
  -o "$BIN/dapr-injector.new" github.com/dapr/dapr/cmd/injector
mv "$BIN/dapr-injector.new" "$BIN/dapr-injector"
stamp_write dapr-injector "$want"
say "dapr-injector: built from $(go version -m "$BIN/dapr-injector" | awk '$2 == "github.com/dapr/dapr" { print $2 " " $3 }')"
