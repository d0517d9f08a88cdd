import type { ServiceName } from '@meshmart/kit/topology';
import { probePort } from '@meshmart/stack';
import { eventually } from './eventually.ts';

/** The sum of a metric's series on a service's /metrics whose labels include these. */
export async function metric(service: ServiceName, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${probePort(service)}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-z_:][a-z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const set = match[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) sum += Number(match[3]);
  }
  return sum;
}

/** Waits until a service follows a fault flag's value (its fault_flag_value gauge). */
export async function followed(service: ServiceName, flag: string, value: number): Promise<void> {
  await eventually(`${service} to follow ${flag} = ${value}`, async () =>
    (await metric(service, 'fault_flag_value', { flag })) === value ? true : undefined,
  );
}
