/** qr's business metrics (names in docs/CONTRACTS.md). */
import { counter, registry } from '@meshmart/kit';
import client from 'prom-client';

export const generated = counter(
  'qr_generated_total',
  'Codes handed out, single or in a batch, by format and whether the cache served them',
  ['format', 'cached'],
);

export const renderSeconds = new client.Histogram({
  name: 'qr_render_seconds',
  help: 'Time to render one code, by format',
  labelNames: ['format'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  registers: [registry],
});

export const batchItems = counter('qr_batch_items_total', 'Batch items by outcome: generated, cached or failed', ['outcome']);

// Every series exists from the start at 0, so dashboards see "none yet" rather than no data.
for (const format of ['png', 'svg'] as const) {
  renderSeconds.zero({ format });
  for (const cached of ['true', 'false'] as const) generated.inc({ format, cached }, 0);
}
for (const outcome of ['generated', 'cached', 'failed'] as const) batchItems.inc({ outcome }, 0);
