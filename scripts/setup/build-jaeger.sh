#!/usr/bin/env bash
# Puts Jaeger all-in-one (OTLP receivers, in-memory storage, query API and UI server)
# at .tools/bin/jaeger, built from its Go module. v1.62.0 keeps the v1 query API
# (GET /api/traces?service=...) that the end-to-end tests read traces through.
# Cold build on a 2-core machine: 2m15s with the modules already downloaded and an empty
# Go build cache.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

version=v1.62.0
if [ -x "$BIN/jaeger" ] && stamp_matches jaeger "$version"; then
  say "jaeger $version: up to date"
  exit 0
fi

src=$(module_dir "github.com/jaegertracing/jaeger@$version")
say "jaeger: building $version (a cold build takes about 2 minutes on 2 cores)"
go_build_progress jaeger go build -C "$src" -v -trimpath \
  -ldflags "-s -w -X github.com/jaegertracing/jaeger/pkg/version.latestVersion=$version" \
  -o "$BIN/jaeger.new" ./cmd/all-in-one
mv "$BIN/jaeger.new" "$BIN/jaeger"
stamp_write jaeger "$version"
say "jaeger: $("$BIN/jaeger" version 2>/dev/null | head -n 1)"
