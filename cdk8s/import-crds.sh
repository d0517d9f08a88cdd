#!/usr/bin/env bash
# Generates cdk8s/imports/dapr.io.ts, typed constructs for the Dapr kinds, from the CRDs
# in cdk8s/crds/dapr with `cdk8s import` (the cdk8s-cli devDependency), as buf generates
# proto/gen: the output is not committed. `npm run gen` and the synth run it, and it runs
# from any folder (`bash cdk8s/import-crds.sh` from the root). It does nothing while the
# CRDs, this script and the root package-lock.json are those of the last run: the lockfile
# pins the CLI and the packages that write its output (json2jsii, codemaker). The one edit
# afterwards makes the generated type imports type-only, as this repository's TypeScript
# settings (verbatimModuleSyntax) require.
set -euo pipefail
script=$(realpath "${BASH_SOURCE[0]}")
cd "$(dirname "$script")"
crds=(crds/dapr/components.yaml crds/dapr/configuration.yaml crds/dapr/resiliency.yaml crds/dapr/subscription.yaml)
out=imports/dapr.io.ts
stamp=imports/.inputs
cli_package=$(node -p 'require.resolve("cdk8s-cli/package.json")')
cli=cdk8s-cli@$(node -p 'require(process.argv[1]).version' "$cli_package")
inputs="$cli $(cat "${crds[@]}" "$script" ../package-lock.json | sha256sum | cut -c1-16)"
if [ -f "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; then exit 0; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for crd in "${crds[@]}"; do
  cat "$crd"
  echo '---'
done > "$work/dapr-crds.yaml"
# From the scratch folder: the CLI rewrites the cdk8s.yaml of the folder it runs in. Without
# --no-check-upgrade it asks the npm registry for a newer CLI on every run.
(cd "$work" && node "$(dirname "$cli_package")/bin/cdk8s" import --no-check-upgrade "dapr:=$work/dapr-crds.yaml" --language typescript --output "$work/out" > /dev/null)
mkdir -p imports
sed -e "s/^import { ApiObject, ApiObjectMetadata, GroupVersionKind } from 'cdk8s';/import { ApiObject, type ApiObjectMetadata, type GroupVersionKind } from 'cdk8s';/" \
  "$work/out/dapr-dapr.io.ts" > "$out.tmp"
mv "$out.tmp" "$out"
printf '%s' "$inputs" > "$stamp"
echo "generated cdk8s/$out ($cli)"
