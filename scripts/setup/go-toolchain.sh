#!/usr/bin/env bash
# Makes sure a Go toolchain can build tools/daprd. Any Go from 1.21 on fetches the exact
# release a go.mod asks for by itself (GOTOOLCHAIN=auto); without one, the same
# toolchain module is fetched from the Go module proxy into .tools/go.
# Prints the folder to put first on PATH, or nothing when the installed go will do.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

wanted=go$(awk '$1 == "go" { print $2; exit }' "$ROOT/tools/daprd/go.mod")

if command -v go > /dev/null; then
  minor=$(go env GOVERSION | sed -nE 's/^go1\.([0-9]+).*/\1/p')
  if [ -n "$minor" ] && [ "$minor" -ge 21 ]; then exit 0; fi
fi

dir=$TOOLS/go
fetched_release_bin "$dir" "$wanted" "$dir/bin/go" env GOVERSION && exit 0
arch=$(release_arch amd64)
proxy=${GOPROXY:-https://proxy.golang.org}
proxy=${proxy%%,*}
say "go: fetching $wanted" >&2
tmp=$(mktemp -d)
curl -fsSL -o "$tmp/go.zip" "$proxy/golang.org/toolchain/@v/v0.0.1-$wanted.linux-$arch.zip"
unzip -q "$tmp/go.zip" -d "$tmp"
rm -rf "$dir"
mv "$tmp/golang.org/toolchain@v0.0.1-$wanted.linux-$arch" "$dir"
rm -rf "$tmp"
chmod +x "$dir/bin/"* "$dir/pkg/tool/"*/* 2> /dev/null || true
printf '%s\n' "$dir/bin"
