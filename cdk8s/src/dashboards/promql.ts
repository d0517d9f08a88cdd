/**
 * Pulls the metric names out of a PromQL expression, enough for the queries we write:
 * label matchers, range selectors, string literals, grouping clauses and function calls
 * are removed first, and what is left that looks like an identifier is a metric.
 */

const keywords = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'and',
  'or',
  'unless',
  'atan2',
  'inf',
  'nan',
]);

export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$[A-Za-z_][A-Za-z0-9_]*/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\()?)/g)) {
    const [token, call] = [match[0], match[1]];
    if (call || keywords.has(token.toLowerCase())) continue;
    names.add(token);
  }
  return [...names];
}
