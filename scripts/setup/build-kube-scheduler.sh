#!/usr/bin/env bash
# Puts kube-scheduler at .tools/bin/kube-scheduler for the loopback control plane,
# built from the k8s.io/kubernetes module pinned in tools/control-plane/go.mod (its
# README explains the pin and the replaces), with the release stamped into `--version`.
# Cold build on the shared 2-core machine: 17s (6 packages) right after kube-apiserver
# and kube-controller-manager, whose packages it shares.
# `kube-scheduler --version`: Kubernetes v1.37.2
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src=$ROOT/tools/control-plane
version=$(go_mod_version "$src/go.mod" k8s.io/kubernetes)
[ -n "$version" ] || die "no k8s.io/kubernetes requirement in $src/go.mod"
want="$version $(files_hash "$src/go.mod" "$src/go.sum")"

if [ -x "$BIN/kube-scheduler" ] && stamp_matches kube-scheduler "$want"; then
  say "kube-scheduler $version: up to date"
  exit 0
fi

say "kube-scheduler: building $version (a first build takes about 20 seconds after kube-apiserver on 2 cores)"
go_build_progress kube-scheduler go build -C "$src" -v -trimpath \
  -ldflags "$(kube_version_ldflags "$src")" \
  -o "$BIN/kube-scheduler.new" k8s.io/kubernetes/cmd/kube-scheduler
mv "$BIN/kube-scheduler.new" "$BIN/kube-scheduler"
stamp_write kube-scheduler "$want"
say "kube-scheduler: $("$BIN/kube-scheduler" --version)"
