#!/usr/bin/env bash
# Puts a Dapr 1.17 sidecar at .tools/bin/daprd: the Dapr CLI's own daprd when it is a
# 1.17 release, otherwise a build of tools/daprd (dapr's runtime with only the
# components meshmart uses; tools/daprd/README.md explains the pinned versions).
# Cold build on a 2-core machine: 3m04s with the modules already downloaded and an
# empty Go build cache (1,438 packages); a rebuild after editing main.go takes ~1 min.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# dapr.yaml's runtimePath: the Dapr CLI runs <runtimePath>/.dapr/bin/daprd, which is
# tools/dapr-run/daprd (tokens, loopback listeners) in front of the daprd below.
mkdir -p "$TOOLS/dapr-cli/.dapr/bin"
ln -sfn "$ROOT/tools/dapr-run/daprd" "$TOOLS/dapr-cli/.dapr/bin/daprd"

src=$ROOT/tools/daprd
dapr_version=$(awk '$1 == "github.com/dapr/dapr" && $2 ~ /^v/ { print $2; exit }' "$src/go.mod")
[ -n "$dapr_version" ] || die "no github.com/dapr/dapr requirement in $src/go.mod"
want="$dapr_version $(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)"

if [ -x "$BIN/daprd" ] && stamp_matches daprd "$want"; then
  say "daprd $dapr_version: up to date"
  exit 0
fi

cli_daprd=$HOME/.dapr/bin/daprd
if [ -x "$cli_daprd" ]; then
  cli_version=$("$cli_daprd" --version 2> /dev/null || true)
  if [[ $cli_version == 1.17.* ]]; then
    cp "$cli_daprd" "$BIN/daprd"
    stamp_write daprd "$want"
    say "daprd: using the Dapr CLI's daprd $cli_version"
    exit 0
  fi
fi

# dapr's cmd/daprd/components panics at start unless built with tags that compile the
# whole cloud component catalogue. tools/daprd/go.mod replaces dapr with this copy,
# whose only change is that guard file.
writable_module_copy "github.com/dapr/dapr@$dapr_version" \
  "printf '// Components are registered by meshmart'\\''s tools/daprd/main.go.\npackage components\n' > cmd/daprd/components/zz_notag.go" \
  > /dev/null

say "daprd: building dapr $dapr_version (a cold build takes about 3 minutes on 2 cores)"
go_build_progress daprd go build -C "$src" -v -trimpath \
  -ldflags "-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=${dapr_version#v}" \
  -o "$BIN/daprd.new" .
mv "$BIN/daprd.new" "$BIN/daprd"
stamp_write daprd "$want"
say "daprd: $("$BIN/daprd" --version)"
