/**
 * The bench's budget table: each figure beside its target and whether it meets it.
 * Budgets are targets to read, not assertions: the bench exits non-zero only on errors.
 */
export interface Figure {
  label: string;
  /** What is measured, in the unit the budget is written in. */
  values: number[];
  /** One limit per value. */
  limits: number[];
  /** `max`: a value must not exceed its limit; `min`: it must reach it. */
  kind: 'max' | 'min';
  unit: string;
  digits?: number;
}

const fmt = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export function meetsBudget(figure: Figure): boolean {
  return figure.values.every((value, i) => {
    const limit = figure.limits[i] ?? Number.NaN;
    return Number.isFinite(value) && (figure.kind === 'max' ? value <= limit : value >= limit);
  });
}

export function budgetTable(figures: Figure[]): string {
  const rows = figures.map((f) => {
    const digits = f.digits ?? 1;
    const budget = `${f.kind === 'max' ? '≤' : '≥'} ${f.limits.map(String).join(' / ')} ${f.unit}`;
    const measured = `${f.values.map((v) => fmt(v, digits)).join(' / ')} ${f.unit}`;
    return [f.label, budget, measured, meetsBudget(f) ? '✓' : '✗'];
  });
  const header = ['figure', 'budget', 'measured', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
