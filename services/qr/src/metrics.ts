/** qr's business metrics (names in docs/CONTRACTS.md). */
import { counter, histogram, SUB_SECOND_BUCKETS } from '@meshmart/kit';

export const generated = counter(
  'qr_generated_total',
  'Codes handed out, single or in a batch, by format and whether the cache served them',
  ['format', 'cached'],
);

export const renderSeconds = histogram('qr_render_seconds', 'Time to render one code, by format', ['format'], SUB_SECOND_BUCKETS);

export const batchItems = counter('qr_batch_items_total', 'Batch items by outcome: generated, cached or failed', ['outcome']);

// Every series exists from the start at 0, so dashboards see "none yet" rather than no data.
for (const format of ['png', 'svg'] as const) {
  renderSeconds.zero({ format });
  for (const cached of ['true', 'false'] as const) generated.inc({ format, cached }, 0);
}
for (const outcome of ['generated', 'cached', 'failed'] as const) batchItems.inc({ outcome }, 0);
