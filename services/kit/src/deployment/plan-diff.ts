/**
 * Local and cluster plans side by side: every setting either the same on both targets or
 * different with the target reason the plan gives for it. A difference without a reason
 * is drift between the two printers' inputs and fails `unexplainedDifferences`.
 */
import type { DeploymentPlan } from './plan.ts';
import type { Explained } from './target.ts';

export interface PlanFact {
  /** `component pubsub`, `service orders`, `resiliency`. */
  subject: string;
  key: string;
  value: string | undefined;
  explained?: Explained;
}

export interface PlanDifference {
  subject: string;
  key: string;
  local: string | undefined;
  cluster: string | undefined;
  explained?: Explained;
}

/** A value as a person reads it: literal, `secret <name>/<key>`, or generated per run. */
export function describeValue(v: unknown): string | undefined {
  if (v === undefined || typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null) {
    if ('value' in v && typeof v.value === 'string') return v.value;
    const ref = 'secretKeyRef' in v ? v.secretKeyRef : 'secret' in v ? v.secret : undefined;
    if (typeof ref === 'object' && ref !== null && 'name' in ref && 'key' in ref) return `secret ${ref.name}/${ref.key}`;
    if ('generated' in v) return `generated per run (${String(v.generated)})`;
  }
  return JSON.stringify(v);
}

/** Every setting of a plan as subject, key and printed value. */
export function planFacts(plan: DeploymentPlan): PlanFact[] {
  const facts: PlanFact[] = [];
  for (const c of plan.components) {
    const subject = `component ${c.name}`;
    facts.push({ subject, key: 'type', value: c.type, explained: c.explained.type });
    facts.push({ subject, key: 'scopes', value: c.scopes.join(',') });
    for (const { name, ...v } of c.metadata)
      facts.push({ subject, key: name, value: describeValue(v), explained: c.explained[name] });
    for (const [name, explained] of Object.entries(c.explained)) {
      if (name !== 'type' && !c.metadata.some((m) => m.name === name))
        facts.push({ subject, key: name, value: undefined, explained });
    }
  }
  for (const s of plan.services) {
    const subject = `service ${s.name}`;
    const present = new Set<string>();
    for (const { name, source } of s.env) {
      present.add(`env.${name}`);
      facts.push({ subject, key: `env.${name}`, value: describeValue(source), explained: s.explained[`env.${name}`] });
    }
    for (const { name, source } of s.storedSecrets) {
      present.add(`secretStore.${name}`);
      facts.push({
        subject,
        key: `secretStore.${name}`,
        value: describeValue(source),
        explained: s.explained[`secretStore.${name}`],
      });
    }
    for (const [field, value] of Object.entries(s.sidecar)) {
      present.add(`sidecar.${field}`);
      facts.push({ subject, key: `sidecar.${field}`, value: describeValue(value), explained: s.explained[`sidecar.${field}`] });
    }
    for (const [key, explained] of Object.entries(s.explained)) {
      if (!present.has(key)) facts.push({ subject, key, value: undefined, explained });
    }
  }
  const { targets, explained } = plan.resiliency;
  const keys = new Set([
    ...Object.keys(targets.apps).map((a) => `apps.${a}`),
    ...Object.entries(targets.components).flatMap(([c, d]) => Object.keys(d).map((way) => `components.${c}.${way}`)),
    ...Object.keys(explained),
  ]);
  for (const key of keys) {
    const [kind, name, way] = key.split('.') as ['apps' | 'components', string, string | undefined];
    const direction = kind === 'apps' ? targets.apps[name] : targets.components[name]?.[way as 'inbound' | 'outbound'];
    facts.push({ subject: 'resiliency', key, value: describeValue(direction), explained: explained[key] });
  }
  facts.push({ subject: 'subscriptions', key: 'deadLetterTopic', value: plan.subscriptions.deadLetterTopic });
  return facts;
}

/** Both plans' settings joined by subject and key, in the local plan's order. */
export function planDiff(local: DeploymentPlan, cluster: DeploymentPlan): PlanDifference[] {
  const id = (f: PlanFact) => `${f.subject}\u0000${f.key}`;
  const clusterFacts = new Map(planFacts(cluster).map((f) => [id(f), f]));
  const rows: PlanDifference[] = [];
  for (const f of planFacts(local)) {
    const other = clusterFacts.get(id(f));
    clusterFacts.delete(id(f));
    rows.push({
      subject: f.subject,
      key: f.key,
      local: f.value,
      cluster: other?.value,
      explained: f.explained ?? other?.explained,
    });
  }
  for (const f of clusterFacts.values()) {
    rows.push({ subject: f.subject, key: f.key, local: undefined, cluster: f.value, explained: f.explained });
  }
  return rows;
}

export function unexplainedDifferences(rows: readonly PlanDifference[]): PlanDifference[] {
  return rows.filter((r) => r.local !== r.cluster && !r.explained);
}

/** The diff as text: `=` same on both, `~` differs with its reason, `!` differs without one. */
export function renderPlanDiff(rows: readonly PlanDifference[], options: { onlyComponents?: boolean } = {}): string {
  const lines: string[] = [];
  let subject = '';
  for (const r of rows) {
    if (options.onlyComponents && !r.subject.startsWith('component ')) continue;
    if (r.subject !== subject) {
      subject = r.subject;
      lines.push(`${subject}`);
    }
    const show = (v: string | undefined) => v ?? '(not set)';
    if (r.local === r.cluster) lines.push(`  = ${r.key}: ${show(r.local)}`);
    else {
      lines.push(`  ${r.explained ? '~' : '!'} ${r.key}`);
      lines.push(`      local:   ${show(r.local)}`);
      lines.push(`      cluster: ${show(r.cluster)}`);
      lines.push(r.explained ? `      why (${r.explained.reason}): ${r.explained.why}` : '      why: NOT EXPLAINED (drift)');
    }
  }
  return `${lines.join('\n')}\n`;
}
