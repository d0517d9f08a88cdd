#!/usr/bin/env bash
# Puts pilot-discovery, istiod's discovery server (what the istiod image runs), at
# .tools/bin/pilot-discovery for the loopback control plane, built from the istio.io/istio
# release-branch snapshot pinned in tools/istio/go.mod (its README says which Istio
# minor that is and why).
# Cold build on the shared 2-core machine: 6m53s (1,423 packages) with the Kubernetes
# builds in the Go build cache (none of their k8s.io packages match: Istio uses v0.36).
# `pilot-discovery version --short`: client version: 1.31-dev
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src=$ROOT/tools/istio
version=$(go_mod_version "$src/go.mod" istio.io/istio)
[ -n "$version" ] || die "no istio.io/istio requirement in $src/go.mod"
want="$version $(files_hash "$src/go.mod" "$src/go.sum")"

if [ -x "$BIN/pilot-discovery" ] && stamp_matches pilot-discovery "$want"; then
  say "pilot-discovery $version: up to date"
  exit 0
fi

say "pilot-discovery: building istio $version (a first build takes about 7 minutes on 2 cores)"
go_build_progress pilot-discovery go build -C "$src" -v -trimpath \
  -ldflags "$(istio_version_ldflags "$src")" \
  -o "$BIN/pilot-discovery.new" istio.io/istio/pilot/cmd/pilot-discovery
mv "$BIN/pilot-discovery.new" "$BIN/pilot-discovery"
stamp_write pilot-discovery "$want"
say "pilot-discovery: $("$BIN/pilot-discovery" version --short)"
