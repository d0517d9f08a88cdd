#!/usr/bin/env bash
# Puts istioctl at .tools/bin/istioctl for the loopback control plane,
# built from the istio.io/istio release-branch snapshot pinned in tools/istio/go.mod
# (its README says which Istio minor that is and why).
# Cold build on the shared 2-core machine: 1m00s (294 packages) right after
# pilot-discovery, whose packages it mostly shares.
# `istioctl version --remote=false --short`: client version: 1.31-dev
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src=$ROOT/tools/istio
version=$(go_mod_version "$src/go.mod" istio.io/istio)
[ -n "$version" ] || die "no istio.io/istio requirement in $src/go.mod"
want="$version $(files_hash "$src/go.mod" "$src/go.sum")"

if [ -x "$BIN/istioctl" ] && stamp_matches istioctl "$want"; then
  say "istioctl $version: up to date"
  exit 0
fi

say "istioctl: building istio $version (a first build takes about 1 minute after pilot-discovery on 2 cores)"
go_build_progress istioctl go build -C "$src" -v -trimpath \
  -ldflags "$(istio_version_ldflags "$src")" \
  -o "$BIN/istioctl.new" istio.io/istio/istioctl/cmd/istioctl
mv "$BIN/istioctl.new" "$BIN/istioctl"
stamp_write istioctl "$want"
say "istioctl: $("$BIN/istioctl" version --remote=false --short)"
