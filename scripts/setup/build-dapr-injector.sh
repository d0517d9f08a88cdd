#!/usr/bin/env bash
# Puts the Dapr sidecar injector at .tools/bin/dapr-injector for the loopback control
# plane, built from github.com/dapr/dapr/cmd/injector at the Dapr release of
# tools/daprd (tools/dapr-injector/go.mod pins the same version and the same
# durabletask-go replace; the injector needs none of daprd's patched files).
# Cold build on the shared 2-core machine: 5s (14 packages) right after daprd, whose
# packages it shares; 2m43s with an empty Go build cache.
# It has no --version flag (it logs "Starting Dapr Sidecar Injector -- version 1.17.5" at
# start); `go version -m` shows the dapr module it was built from:
# github.com/dapr/dapr v1.17.5
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

src=$ROOT/tools/dapr-injector
version=$(go_mod_version "$src/go.mod" github.com/dapr/dapr)
[ -n "$version" ] || die "no github.com/dapr/dapr requirement in $src/go.mod"
daprd_version=$(go_mod_version "$ROOT/tools/daprd/go.mod" github.com/dapr/dapr)
[ "$version" = "$daprd_version" ] ||
  die "tools/dapr-injector pins dapr $version but tools/daprd pins $daprd_version"
# Dapr 1.17.5 binds the webhook and healthz listeners to every interface: the webhook
# ignores --listen-address (it listens on ":<port>", not on the server's Addr) and the
# healthz server takes no address. The loopback cluster runs only what listens on
# 127.0.0.1, so the build overlays those two files with copies that bind there.
overlay_version=loopback-listen-1
want="$version $(files_hash "$src/go.mod" "$src/go.sum") $overlay_version"

if [ -x "$BIN/dapr-injector" ] && stamp_matches dapr-injector "$want"; then
  say "dapr-injector $version: up to date"
  exit 0
fi

say "dapr-injector: building dapr $version (a first build takes about 5 seconds after daprd on 2 cores)"
# Go refuses overlays of files in the module cache, so the build replaces dapr with a
# copy (outside the cache) in which only those two lines differ.
copy=$TOOLS/src/dapr-injector-$version
if [ ! -f "$copy/.meshmart-$overlay_version" ]; then
  rm -rf "$copy" && mkdir -p "$TOOLS/src"
  cp -R "$(module_dir "github.com/dapr/dapr@$version")" "$copy"
  chmod -R u+w "$copy"
  sed -i 's|tls.Listen("tcp", fmt.Sprintf(":%d", i.port), tlsConfig)|tls.Listen("tcp", i.server.Addr, tlsConfig)|' \
    "$copy/pkg/injector/service/injector.go"
  sed -i 's|net.Listen("tcp", fmt.Sprintf(":%d", s.port))|net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", s.port))|' \
    "$copy/pkg/healthz/server/server.go"
  grep -q 'i.server.Addr, tlsConfig' "$copy/pkg/injector/service/injector.go" &&
    grep -q '"127.0.0.1:%d"' "$copy/pkg/healthz/server/server.go" ||
    die "dapr $version: the injector's listeners are not where the loopback build expects them"
  touch "$copy/.meshmart-$overlay_version"
fi
modfile=$TOOLS/src/dapr-injector.go.mod
{ cat "$src/go.mod"; printf '\nreplace github.com/dapr/dapr => %s\n' "$copy"; } > "$modfile"
cp "$src/go.sum" "${modfile%.mod}.sum"

go_build_progress dapr-injector go build -C "$src" -v -trimpath -modfile "$modfile" \
  -ldflags "-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=${version#v}" \
  -o "$BIN/dapr-injector.new" github.com/dapr/dapr/cmd/injector
mv "$BIN/dapr-injector.new" "$BIN/dapr-injector"
stamp_write dapr-injector "$want"
say "dapr-injector: built from $(go version -m "$BIN/dapr-injector" | awk '$2 == "github.com/dapr/dapr" { print $2 " " $3 }')"
