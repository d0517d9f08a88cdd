#!/usr/bin/env bash
# Puts etcd at .tools/bin/etcd, the store behind the loopback control plane's
# kube-apiserver, built from go.etcd.io/etcd/server/v3 (whose module root is the etcd
# command) as pinned in tools/control-plane/go.mod.
# Cold build on the shared 2-core machine: 19s (339 packages) with daprd's and Jaeger's
# builds already in the Go build cache; 1m23s with an empty Go build cache.
# `etcd --version`: etcd Version: 3.7.3 / Git SHA: v3.7.3
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src=$ROOT/tools/control-plane
version=$(go_mod_version "$src/go.mod" go.etcd.io/etcd/server/v3)
[ -n "$version" ] || die "no go.etcd.io/etcd/server/v3 requirement in $src/go.mod"
want="$version $(files_hash "$src/go.mod" "$src/go.sum")"

if [ -x "$BIN/etcd" ] && stamp_matches etcd "$want"; then
  say "etcd $version: up to date"
  exit 0
fi

say "etcd: building $version (a first build takes about 20 seconds on 2 cores)"
go_build_progress etcd go build -C "$src" -v -trimpath \
  -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$version" \
  -o "$BIN/etcd.new" go.etcd.io/etcd/server/v3
mv "$BIN/etcd.new" "$BIN/etcd"
stamp_write etcd "$want"
say "etcd: $("$BIN/etcd" --version | head -n 1)"
