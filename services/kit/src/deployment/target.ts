/**
 * The two places meshmart runs, and the only reasons a setting may differ between them.
 * A setting that differs without one of these reasons is drift, and the plan-diff test
 * fails on it.
 */
export const targets = ['local', 'cluster'] as const;
export type Target = (typeof targets)[number];

export const targetReasons = {
  address: 'where a server is reached: loopback ports on one machine, in-cluster DNS names in the cluster',
  secret: 'how a credential arrives: fixed development values on loopback, Kubernetes Secrets in the cluster',
  storage: 'where files live: a folder under .data/ locally, a volume mounted into daprd in the cluster',
  mesh: 'what stands in front of an app: nothing locally, Envoy (Istio) in the cluster',
  observation: 'who watches: tests and a developer right after the request locally, dashboards over time in the cluster',
} as const;
export type TargetReason = keyof typeof targetReasons;

/** Why a setting has a value per target. */
export interface Explained {
  reason: TargetReason;
  why: string;
}

/** A value for each target, with the reason it differs; `undefined` leaves it out on that target. */
export interface PerTarget<T> {
  local: T | undefined;
  cluster: T | undefined;
  explained?: Explained;
}

export const same = <T>(value: T): PerTarget<T> => ({ local: value, cluster: value });

export const byTarget = <T>(explained: Explained, local: T | undefined, cluster: T | undefined): PerTarget<T> => ({
  local,
  cluster,
  explained,
});

/** Settings keyed by name, resolved for one target: the values present there and every reason. */
export function resolve<T>(
  settings: Record<string, PerTarget<T>>,
  target: Target,
): { values: Array<[string, T]>; explained: Record<string, Explained> } {
  const values: Array<[string, T]> = [];
  const explained: Record<string, Explained> = {};
  for (const [name, setting] of Object.entries(settings)) {
    if (setting.explained) explained[name] = setting.explained;
    const v = target === 'local' ? setting.local : setting.cluster;
    if (v !== undefined) values.push([name, v]);
  }
  return { values, explained };
}
