/** Synthesizes the cluster manifests in-process, into a temp dir, and reads them back. */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServiceSpec, services as topologyServices } from '@meshmart/kit/topology';
import { parseAllDocuments } from 'yaml';
import { buildApp } from '../../src/app.ts';
import { readDashboards } from '../../src/dashboards/dashboard-files.ts';
import type { LoadSettings } from '../../src/load/load-job.ts';
import type { IstioFaultProfile } from '../../src/mesh/faults.ts';
import { SecretValues } from '../../src/secret-values.ts';
import { type SizeName, sizings } from '../../src/settings.ts';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field in the tests.
  [key: string]: any;
}

export interface Synthesized {
  objects: K8sObject[];
  files: string[];
}

export function synthesize(
  options: {
    services?: readonly ServiceSpec[];
    size?: SizeName;
    seed?: Buffer;
    istioFaults?: readonly IstioFaultProfile[];
    load?: LoadSettings;
  } = {},
): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'meshmart-synth-'));
  try {
    buildApp(
      {
        services: options.services ?? topologyServices,
        sizing: sizings[options.size ?? 'default'],
        secrets: SecretValues.fromSeed(options.seed ?? randomBytes(48)),
        dashboards: readDashboards(),
        ...(options.istioFaults && { istioFaults: options.istioFaults }),
        ...(options.load && { load: options.load }),
      },
      outdir,
    ).synth();
    const files = readdirSync(outdir)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    const objects = files.flatMap((f) =>
      parseAllDocuments(readFileSync(join(outdir, f), 'utf8'))
        .map((d) => d.toJSON() as K8sObject | null)
        .filter((o): o is K8sObject => o !== null),
    );
    return { objects, files };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export function ofKind(objects: K8sObject[], kind: string, namespace?: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace));
}

export function named(objects: K8sObject[], kind: string, name: string, namespace?: string): K8sObject {
  const found = ofKind(objects, kind, namespace).find((o) => o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${namespace ?? ''}/${name}`);
  return found;
}
