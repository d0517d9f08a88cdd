/**
 * The generated parts of docs/CONTRACTS.md: the environment each service starts with and
 * the Dapr components, both printed from the two deployment plans. The prose around them
 * stays hand-written; `npm run stack -- write-contracts` rewrites only what lies between
 * the markers, and a unit test fails when the committed page differs.
 */
import { envMeanings } from '@meshmart/kit/deployment/environment';
import { type DeploymentPlan, deploymentPlan } from '@meshmart/kit/deployment/plan';
import { describeValue } from '@meshmart/kit/deployment/plan-diff';
import { services } from '@meshmart/kit/topology';

export const contractsDocPath = 'docs/CONTRACTS.md';

const markers = (section: string) => ({
  begin: `<!-- generated: ${section}, from the deployment plan by \`npm run stack -- write-contracts\`; do not edit -->`,
  end: `<!-- end generated: ${section} -->`,
});

const code = (v: string) => `\`${v.replaceAll('|', '\\|')}\``;

/** One variable's values over the services that get it: a single value, or one per service. */
function cell(values: Array<{ service: string; value: string | undefined }>): string {
  const set = values.filter((v) => v.value !== undefined);
  if (set.length === 0) return 'not set';
  const distinct = new Set(set.map((v) => v.value));
  const missing = values.length - set.length;
  const only =
    missing > 0
      ? ` (not set for ${values
          .filter((v) => v.value === undefined)
          .map((v) => v.service)
          .join(', ')})`
      : '';
  if (distinct.size === 1) return `${code(set[0]?.value ?? '')}${only}`;
  const [first] = set;
  return `per service, e.g. ${first?.service}: ${code(first?.value ?? '')}${only}`;
}

function who(names: string[]): string {
  return names.length === services.length ? 'all' : names.join(', ');
}

export function environmentTable(local: DeploymentPlan, cluster: DeploymentPlan): string {
  const order: string[] = [];
  for (const plan of [local, cluster]) {
    for (const s of plan.services) for (const v of s.env) if (!order.includes(v.name)) order.push(v.name);
  }
  const valuesOf = (plan: DeploymentPlan, variable: string, names: string[]) =>
    names.map((service) => {
      const found = plan.services.find((s) => s.name === service)?.env.find((v) => v.name === variable);
      return { service, value: found ? describeValue(found.source) : undefined };
    });
  const rows = order.map((variable) => {
    const meaning = envMeanings[variable];
    if (!meaning) throw new Error(`${variable} has no meaning in services/kit/src/deployment/environment.ts`);
    const names = services
      .map((s) => s.name)
      .filter((name) =>
        [local, cluster].some((p) => p.services.find((s) => s.name === name)?.env.some((v) => v.name === variable)),
      );
    const why = [local, cluster]
      .flatMap((p) => p.services.map((s) => s.explained[`env.${variable}`]))
      .find((e) => e !== undefined);
    return `| ${code(variable)} | ${who(names)} | ${meaning} | ${cell(valuesOf(local, variable, names))} | ${cell(valuesOf(cluster, variable, names))} | ${why ? `${why.reason}: ${why.why}` : 'same on both'} |`;
  });
  return ['| variable | who | meaning | local | cluster | why they differ |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

export function componentsTable(local: DeploymentPlan, cluster: DeploymentPlan): string {
  const rows = local.components.map((c) => {
    const other = cluster.components.find((o) => o.name === c.name);
    return `| ${code(c.name)} | ${code(c.type)} | ${other ? code(other.type) : 'not used'} | ${c.scopes.join(', ')} |`;
  });
  return ['| name | local type | cluster type | scopes |', '|---|---|---|---|', ...rows].join('\n');
}

function replaceSection(doc: string, section: string, content: string): string {
  const { begin, end } = markers(section);
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${contractsDocPath} lacks the markers of the ${section} section`);
  return `${doc.slice(0, from + begin.length)}\n${content}\n${doc.slice(to)}`;
}

/** The page with its generated sections printed from the plans; the rest untouched. */
export function renderContractsDoc(doc: string): string {
  const local = deploymentPlan('local');
  const cluster = deploymentPlan('cluster');
  return replaceSection(
    replaceSection(doc, 'environment', environmentTable(local, cluster)),
    'components',
    componentsTable(local, cluster),
  );
}
