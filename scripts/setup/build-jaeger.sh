#!/usr/bin/env bash
# Puts Jaeger v2 (an OpenTelemetry Collector build: OTLP receivers, in-memory storage,
# query API) at .tools/bin/jaeger-v2, built from its Go module: the module's v1.70.0 tag is
# Jaeger 2.7.0, the release the cluster runs (the Go module proxy serves the v2 line
# only under these v1.x tags, since the module path has no /v2). Its query extension
# keeps the v1 HTTP API (GET /api/traces?service=...) that the end-to-end tests read.
# The major is in the file name because its command line differs from v1's: a checkout
# still on v1 keeps its own binary rather than rebuilding over this one.
# Cold build on a 2-core machine: about 5 minutes with an empty Go build cache.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

module_version=v1.70.0
version=v2.7.0
if [ -x "$BIN/jaeger-v2" ] && stamp_matches jaeger-v2 "$version"; then
  say "jaeger $version: up to date"
  exit 0
fi

src=$(module_dir "github.com/jaegertracing/jaeger@$module_version")
say "jaeger: building $version (a cold build takes about 5 minutes on 2 cores)"
go_build_progress jaeger-v2 go build -C "$src" -v -trimpath \
  -ldflags "-s -w -X github.com/jaegertracing/jaeger/internal/version.latestVersion=$version" \
  -o "$BIN/jaeger-v2.new" ./cmd/jaeger
mv "$BIN/jaeger-v2.new" "$BIN/jaeger-v2"
stamp_write jaeger-v2 "$version"
say "jaeger: $("$BIN/jaeger-v2" version 2>/dev/null | tail -n 1)"
