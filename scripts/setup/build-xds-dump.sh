#!/usr/bin/env bash
# Puts xds-dump (tools/xds-dump: asks istiod for the Envoy configuration of one proxy and
# prints it as JSON) at .tools/bin/xds-dump for the loopback cluster tests. Its go.mod
# pins istio.io/istio at the snapshot tools/istio builds istiod from, so the xDS client
# and the server are the same Istio; the build stops if the two pins differ.
# On the shared 2-core machine: 15s right after pilot-discovery (1 package compiled: the
# other 866, Envoy's protos and Istio's included, are pilot-discovery's, in the Go build
# cache); 3s after a change to main.go; 6m13s with an empty Go build cache.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src=$ROOT/tools/xds-dump
version=$(go_mod_version "$src/go.mod" istio.io/istio)
[ -n "$version" ] || die "no istio.io/istio requirement in $src/go.mod"
istiod_version=$(go_mod_version "$ROOT/tools/istio/go.mod" istio.io/istio)
[ "$version" = "$istiod_version" ] ||
  die "tools/xds-dump pins istio $version but tools/istio pins $istiod_version"
want="$version $(files_hash "$src/go.mod" "$src/go.sum" "$src"/*.go)"

if [ -x "$BIN/xds-dump" ] && stamp_matches xds-dump "$want"; then
  say "xds-dump $version: up to date"
  exit 0
fi

say "xds-dump: building against istio $version"
# Same -trimpath as pilot-discovery, so the shared packages come from the build cache.
go_build_progress xds-dump go build -C "$src" -v -trimpath \
  -ldflags "$(istio_version_ldflags "$src")" \
  -o "$BIN/xds-dump.new" .
mv "$BIN/xds-dump.new" "$BIN/xds-dump"
stamp_write xds-dump "$want"
say "xds-dump: built from $(go version -m "$BIN/xds-dump" | awk '$2 == "istio.io/istio" { print $2 " " $3 }')"
