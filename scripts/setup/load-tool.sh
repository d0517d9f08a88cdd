#!/usr/bin/env bash
# Puts Artillery (MPL-2.0; open-loop arrival rates and multi-step user journeys) at
# .tools/artillery, pinned below, for `npm run load`. It is a tool, not a dependency of
# the workspaces: its own tree (cloud SDKs, an older OpenTelemetry line) stays out of
# package-lock.json. Install scripts are skipped: they only fetch a browser for
# Playwright scenarios, which meshmart does not use.
# Prints the path of the artillery command.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

version=2.0.34
dir=$TOOLS/artillery
bin=$dir/node_modules/.bin/artillery
if [ -x "$bin" ] && stamp_matches artillery "$version"; then
  printf '%s\n' "$bin"
  exit 0
fi
say "artillery: installing $version into ${dir#"$ROOT"/} (once; about a minute)" >&2
rm -rf "$dir"
mkdir -p "$dir"
printf '{ "private": true }\n' > "$dir/package.json"
npm install --prefix "$dir" --ignore-scripts --no-audit --no-fund --loglevel=error "artillery@$version" >&2
stamp_write artillery "$version"
printf '%s\n' "$bin"
