/**
 * Schema validation of synthesized objects: Kubernetes core kinds with kubernetes-models,
 * Istio kinds with @kubernetes-models/istio, Dapr kinds with the CRDs of the Dapr release
 * the cluster runs (cdk8s/crds/dapr). The Dapr schemas are made strict — an unknown
 * field fails — because the API server would silently prune it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from './synth.ts';

/** Schemas and CRDs kept in this repository (cdk8s/crds, cdk8s/schemas). */
export const cdk8sDir = fileURLToPath(new URL('../../', import.meta.url));
const daprCrdDir = join(cdk8sDir, 'crds/dapr');

// ajv-formats is CommonJS with a default export object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Schema = Record<string, unknown>;

/** Closes every object schema that declares its properties, as the API server's pruning would. */
export function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (schema === null || typeof schema !== 'object') return schema;
  const s = Object.fromEntries(
    Object.entries(schema as Schema).map(([k, v]) => [k, k === 'enum' || k === 'required' ? v : strict(v)]),
  );
  if (s.properties && s.additionalProperties === undefined && !s['x-kubernetes-preserve-unknown-fields']) {
    s.additionalProperties = false;
  }
  return s;
}

export function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}

let daprValidators: Map<string, ValidateFunction> | undefined;

function daprValidator(apiVersion: string, kind: string): ValidateFunction {
  if (!daprValidators) {
    daprValidators = new Map();
    const ajv = newAjv();
    for (const file of readdirSync(daprCrdDir).filter((f) => f.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(readFileSync(join(daprCrdDir, file), 'utf8'))) {
        const crd = doc.toJSON();
        if (crd?.kind !== 'CustomResourceDefinition') continue;
        for (const version of crd.spec.versions) {
          daprValidators.set(
            `${crd.spec.group}/${version.name}/${crd.spec.names.kind}`,
            ajv.compile(strict(version.schema.openAPIV3Schema) as Schema),
          );
        }
      }
    }
  }
  const validator = daprValidators.get(`${apiVersion}/${kind}`);
  if (!validator) throw new Error(`no Dapr CRD schema for ${apiVersion} ${kind}`);
  return validator;
}

/** Throws with the validator's messages if the object does not match its schema. */
export async function validateObject(obj: K8sObject): Promise<void> {
  const id = `${obj.kind} ${obj.metadata?.namespace ?? ''}/${obj.metadata?.name}`;
  if (obj.apiVersion.startsWith('dapr.io/')) {
    const validate = daprValidator(obj.apiVersion, obj.kind);
    if (!validate(obj)) throw new Error(`${id}: ${JSON.stringify(validate.errors, null, 1)}`);
    return;
  }
  const modulePath = obj.apiVersion.includes('.istio.io/')
    ? `@kubernetes-models/istio/${obj.apiVersion}/${obj.kind}`
    : `kubernetes-models/${obj.apiVersion}/${obj.kind}`;
  const module = (await import(modulePath)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = module[obj.kind];
  if (!Model) throw new Error(`${id}: ${modulePath} exports no ${obj.kind}`);
  try {
    new Model(obj).validate();
  } catch (err) {
    throw new Error(`${id}: ${(err as Error).message}`);
  }
}
