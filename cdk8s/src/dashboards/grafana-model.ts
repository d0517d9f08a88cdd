/** Renders a dashboard definition as Grafana's dashboard JSON model (schemaVersion 39). */
import { datasourceUids } from '../observability/grafana-provisioning.ts';
import type { Dashboard, Panel } from './definitions.ts';

const prometheus = { type: 'prometheus', uid: datasourceUids.prometheus };
const panelHeight = 8;

function panelJson(panel: Panel, id: number, x: number, y: number, width: number): object {
  const kind = panel.kind ?? 'timeseries';
  return {
    id,
    type: kind,
    title: panel.title,
    description: panel.description,
    datasource: prometheus,
    gridPos: { h: panelHeight, w: width, x, y },
    fieldConfig: {
      defaults: { unit: panel.unit, ...(kind === 'timeseries' ? { custom: { lineWidth: 1, fillOpacity: 10 } } : {}) },
      overrides: [],
    },
    options:
      kind === 'stat'
        ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none' }
        : { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
    targets: panel.queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: prometheus,
      expr: q.expr,
      legendFormat: q.legend,
      range: true,
    })),
  };
}

export function grafanaDashboard(dashboard: Dashboard): object {
  const panels: object[] = [];
  let id = 1;
  let y = 0;
  for (const row of dashboard.rows) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    for (const panel of row.panels) {
      const width = panel.width ?? 12;
      if (x + width > 24) {
        x = 0;
        y += panelHeight;
      }
      panels.push(panelJson(panel, id++, x, y, width));
      x += width;
    }
    y += panelHeight;
  }
  return {
    uid: dashboard.uid,
    title: dashboard.title,
    description: dashboard.description,
    tags: ['meshmart'],
    editable: false,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-30m', to: 'now' },
    refresh: '10s',
    timezone: 'browser',
    templating: {
      list: dashboard.variables.map((v) => ({
        name: v.name,
        label: v.label,
        type: 'query',
        datasource: prometheus,
        definition: v.query,
        query: { query: v.query, refId: `${v.name}-values` },
        refresh: 2,
        includeAll: true,
        multi: true,
        allValue: '.+',
        current: { selected: true, text: ['All'], value: ['$__all'] },
        sort: 1,
      })),
    },
    annotations: { list: [] },
    links: [],
    panels,
  };
}
