#!/usr/bin/env bash
# Regenerates cdk8s/imports/dapr.io.ts, typed constructs for the Dapr kinds, from the CRDs
# in cdk8s/crds/dapr with `cdk8s import`; run it after refreshing those CRDs. The one
# edit afterwards makes the generated type imports type-only, as this repository's
# TypeScript settings (verbatimModuleSyntax) require.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
cli_version=2.207.60
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for crd in components configuration resiliency subscription; do
  cat "crds/dapr/$crd.yaml"
  echo '---'
done > "$work/dapr-crds.yaml"
# From the scratch folder: the CLI rewrites the cdk8s.yaml of the folder it runs in.
(cd "$work" && npx -y "cdk8s-cli@$cli_version" import "dapr:=$work/dapr-crds.yaml" --language typescript --output "$work/out")
sed -e "s/^import { ApiObject, ApiObjectMetadata, GroupVersionKind } from 'cdk8s';/import { ApiObject, type ApiObjectMetadata, type GroupVersionKind } from 'cdk8s';/" \
  "$work/out/dapr-dapr.io.ts" > imports/dapr.io.ts
echo "wrote cdk8s/imports/dapr.io.ts"
