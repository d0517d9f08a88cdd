#!/usr/bin/env bash
# Puts kube-apiserver at .tools/bin/kube-apiserver for the loopback control plane,
# built from the k8s.io/kubernetes module pinned in tools/control-plane/go.mod (its
# README explains the pin and the replaces), with the release stamped into `--version`.
# Cold build on the shared 2-core machine: 4m50s (1,591 packages) with only daprd's,
# Jaeger's and etcd's builds in the Go build cache.
# `kube-apiserver --version`: Kubernetes v1.37.2
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src=$ROOT/tools/control-plane
version=$(go_mod_version "$src/go.mod" k8s.io/kubernetes)
[ -n "$version" ] || die "no k8s.io/kubernetes requirement in $src/go.mod"
want="$version $(files_hash "$src/go.mod" "$src/go.sum")"

if [ -x "$BIN/kube-apiserver" ] && stamp_matches kube-apiserver "$want"; then
  say "kube-apiserver $version: up to date"
  exit 0
fi

say "kube-apiserver: building $version (a first build takes about 5 minutes on 2 cores)"
go_build_progress kube-apiserver go build -C "$src" -v -trimpath \
  -ldflags "$(kube_version_ldflags "$src")" \
  -o "$BIN/kube-apiserver.new" k8s.io/kubernetes/cmd/kube-apiserver
mv "$BIN/kube-apiserver.new" "$BIN/kube-apiserver"
stamp_write kube-apiserver "$want"
say "kube-apiserver: $("$BIN/kube-apiserver" --version)"
