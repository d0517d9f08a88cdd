/** What every chart is built from; tests pass other topologies through the same door. */
import type { ServiceSpec } from '@meshmart/kit/topology';
import type { LoadSettings } from './load/load-job.ts';
import type { IstioFaultProfile } from './mesh/faults.ts';
import type { SecretValues } from './secret-values.ts';
import type { Sizing } from './settings.ts';

export interface SynthContext {
  services: readonly ServiceSpec[];
  sizing: Sizing;
  secrets: SecretValues;
  /** Grafana dashboards to provision: file name → dashboard JSON. */
  dashboards: ReadonlyMap<string, string>;
  /** Istio fault injection on invocation hops; none unless asked for (mesh/faults.ts). */
  istioFaults?: readonly IstioFaultProfile[];
  /** The load Job (load/load-job.ts); none unless asked for. */
  load?: LoadSettings;
}

/** The same declared edges the call-graph test compares with Jaeger's traces. */
export { callersOf } from '@meshmart/kit/call-graph';
