/** The environment a service starts with: the local plan's, printed as process variables. */
import type { EnvVar } from '@meshmart/kit/deployment/environment';
import type { ServiceName, ServiceSpec } from '@meshmart/kit/topology';
import { localServicePlan } from './local-plan.ts';
import type { Tokens } from './sidecar.ts';

function literal(v: EnvVar): string | undefined {
  return 'value' in v.source ? v.source.value : undefined;
}

/** Variables that differ per service; tokens excluded, as dapr.yaml carries none. */
export function serviceVariables(name: ServiceName, topology?: readonly ServiceSpec[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of localServicePlan(name, topology).env) {
    const value = literal(v);
    if (value !== undefined) env[v.name] = value;
    else if (!('generated' in v.source)) throw new Error(`${name}: ${v.name} has no local value`);
  }
  return env;
}

export function serviceEnv(name: ServiceName, tokens: Tokens, topology?: readonly ServiceSpec[]): NodeJS.ProcessEnv {
  const generated: Record<string, string> = {};
  for (const v of localServicePlan(name, topology).env) {
    if ('generated' in v.source) generated[v.name] = tokens[v.source.generated];
  }
  const planned = serviceVariables(name, topology);
  return { ...process.env, ...planned, ...nodeOptions(planned.NODE_OPTIONS, process.env.NODE_OPTIONS), ...generated };
}

/**
 * The plan's Node flags, then the developer's own (`--inspect`, a larger heap): a flag
 * given twice takes its last value, so the shell can still override the plan's.
 */
export function nodeOptions(planned: string | undefined, inherited: string | undefined): { NODE_OPTIONS?: string } {
  const joined = [planned, inherited].filter((flags) => flags?.trim()).join(' ');
  return joined ? { NODE_OPTIONS: joined } : {};
}
