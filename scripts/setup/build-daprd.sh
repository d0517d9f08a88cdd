#!/usr/bin/env bash
# Puts a Dapr 1.17 sidecar at .tools/bin/daprd: a build of tools/daprd (dapr's runtime
# with only the components meshmart uses and a fix to the RabbitMQ component;
# tools/daprd/README.md explains the pinned versions and the patch). Never the Dapr CLI's
# own daprd: it lacks the fix and would lose events when the broker goes away mid-publish.
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
patches=("$src"/patches/*.patch)
want="$dapr_version $(cat "$src/go.mod" "$src/go.sum" "$src/main.go" "${patches[@]}" | sha256sum | cut -c1-16)"

if [ -x "$BIN/daprd" ] && stamp_matches daprd "$want"; then
  say "daprd $dapr_version: up to date"
  exit 0
fi

# dapr's cmd/daprd/components panics at start unless built with tags that compile the
# whole cloud component catalogue. tools/daprd/go.mod replaces dapr with this copy,
# whose only change is that guard file.
writable_module_copy "github.com/dapr/dapr@$dapr_version" \
  "printf '// Components are registered by meshmart'\\''s tools/daprd/main.go.\npackage components\n' > cmd/daprd/components/zz_notag.go" \
  > /dev/null

# tools/daprd/go.mod points components-contrib at this copy: see the patch for why.
contrib_version=$(awk '$1 == "github.com/dapr/components-contrib" && $2 ~ /^v/ { print $2; exit }' "$src/go.mod")
writable_module_copy "github.com/dapr/components-contrib@$contrib_version" \
  "for p in ${patches[*]}; do patch -p1 --quiet < \"\$p\"; done" \
  "components-contrib@$contrib_version-meshmart" "${patches[@]}" \
  > /dev/null

say "daprd: building dapr $dapr_version (a cold build takes about 3 minutes on 2 cores)"
go_build_progress daprd go build -C "$src" -v -trimpath \
  -ldflags "-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=${dapr_version#v}" \
  -o "$BIN/daprd.new" .
mv "$BIN/daprd.new" "$BIN/daprd"
stamp_write daprd "$want"
say "daprd: $("$BIN/daprd" --version)"
