#!/usr/bin/env bash
# Puts kube-controller-manager at .tools/bin/kube-controller-manager for the loopback
# control plane, built from the k8s.io/kubernetes module pinned in
# tools/control-plane/go.mod (its README explains the pin and the replaces), with the
# release stamped into `--version`.
# Cold build on the shared 2-core machine: 1m37s (363 packages) right after
# kube-apiserver, whose packages it mostly shares; alone, about as long as kube-apiserver.
# `kube-controller-manager --version`: Kubernetes v1.37.2
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src=$ROOT/tools/control-plane
version=$(go_mod_version "$src/go.mod" k8s.io/kubernetes)
[ -n "$version" ] || die "no k8s.io/kubernetes requirement in $src/go.mod"
want="$version $(files_hash "$src/go.mod" "$src/go.sum")"

if [ -x "$BIN/kube-controller-manager" ] && stamp_matches kube-controller-manager "$want"; then
  say "kube-controller-manager $version: up to date"
  exit 0
fi

say "kube-controller-manager: building $version (a first build takes about 1.5 minutes after kube-apiserver on 2 cores)"
go_build_progress kube-controller-manager go build -C "$src" -v -trimpath \
  -ldflags "$(kube_version_ldflags "$src")" \
  -o "$BIN/kube-controller-manager.new" k8s.io/kubernetes/cmd/kube-controller-manager
mv "$BIN/kube-controller-manager.new" "$BIN/kube-controller-manager"
stamp_write kube-controller-manager "$want"
say "kube-controller-manager: $("$BIN/kube-controller-manager" --version)"
