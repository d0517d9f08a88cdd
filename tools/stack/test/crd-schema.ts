/**
 * Validates documents against the openAPIV3Schema of a Dapr CRD the way the Kubernetes
 * API server treats a structural schema: fields the schema does not declare are
 * rejected here (the API server would silently prune them, which hides typos).
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

/** The Dapr CRDs the cluster installs, kept with the manifests. */
const crdDir = new URL('../../../cdk8s/crds/dapr/', import.meta.url);

type Schema = { [key: string]: unknown };

function structural(schema: Schema): Schema {
  const out: Schema = { ...schema };
  const properties = schema.properties as Record<string, Schema> | undefined;
  if (properties) {
    out.properties = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, structural(v)]));
    if (!schema['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
  }
  if (schema.items) out.items = structural(schema.items as Schema);
  return out;
}

export function crdValidator(file: string): ValidateFunction {
  const crd = parse(readFileSync(new URL(file, crdDir), 'utf8')) as {
    spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: Schema } }> };
  };
  const version = crd.spec.versions.find((v) => v.name === 'v1alpha1');
  if (!version) throw new Error(`${file} has no v1alpha1 schema`);
  const ajv = new Ajv({ allErrors: true, strict: false });
  return ajv.compile(structural(version.schema.openAPIV3Schema));
}
