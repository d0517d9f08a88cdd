/** qr_codes rows: the metadata of every distinct image, and the qr.generated events that announce them. */
import { camelCaseRow, type EventData, outboxBatch, outboxInsert, outboxWakeUp } from '@meshmart/kit';
import { currentTraceContext } from '@meshmart/kit/tracing';
import type pg from 'pg';
import type { Format, Level, NormalizedOptions } from './options.ts';

/** What a qr.generated says about the request; the code's id is the row's. */
export type Announcement = Omit<EventData<'qr.generated'>, 'qrId'>;

/** qr.generated for the code `qrId`, in the trace of the request that wrote it. */
function generatedEvent(qrId: string, announcement: Announcement) {
  return outboxBatch('qr.generated', [{ data: { qrId, ...announcement }, traceContext: currentTraceContext() }]);
}

/** A stored image: its content rendered with its normalized options. */
export interface QrRecord extends NormalizedOptions {
  id: string;
  ownerId: string;
  content: string;
  cacheKey: string;
  blobName: string;
  byteLength: number;
  /** RFC 3339. */
  createdAt: string;
}

interface Row {
  id: string;
  owner_id: string;
  content: string;
  format: Format;
  size: number;
  error_correction: Level;
  margin: number;
  dark_color: string;
  light_color: string;
  cache_key: string;
  blob_name: string;
  byte_length: number;
  created_at: Date;
}

const COLUMNS =
  'id, owner_id, content, format, size, error_correction, margin, dark_color, light_color, cache_key, blob_name, byte_length, created_at';

function fromRow(r: Row): QrRecord {
  return { ...camelCaseRow(r), createdAt: r.created_at.toISOString() };
}

export class QrRepo {
  constructor(private readonly pool: pg.Pool) {}

  async byId(id: string): Promise<QrRecord | undefined> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM qr_codes WHERE id = $1`, [id]);
    return rows[0] && fromRow(rows[0]);
  }

  async byCacheKey(key: string): Promise<QrRecord | undefined> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM qr_codes WHERE cache_key = $1`, [key]);
    return rows[0] && fromRow(rows[0]);
  }

  /**
   * Announces a stored code with qr.generated, in one statement that writes the event
   * only if the row is there; resolves whether it was (a cache entry can outlive its row).
   */
  async announce(id: string, announcement: Announcement): Promise<boolean> {
    const event = generatedEvent(id, announcement);
    const { rows } = await this.pool.query<{ announced: number }>({
      name: 'qr.announce',
      text: `WITH announced AS (
          ${outboxInsert('unnest($3::uuid[], $4::jsonb[], $5::jsonb[]) AS e(event_id, envelope, trace_context) WHERE EXISTS (SELECT 1 FROM qr_codes WHERE id = $2)', '$1')}
        )
        SELECT (SELECT count(*) FROM announced)::int AS announced,
               (SELECT count(woken) FROM (${outboxWakeUp('announced', '$1')}) AS wake) AS woken`,
      values: ['qr.generated', id, event.eventIds, event.envelopes, event.traceContexts],
    });
    return rows[0]?.announced === 1;
  }

  /**
   * Inserts the row and its qr.generated in one statement (its own transaction), unless
   * another request stored the same image first; resolves with the stored row (with the
   * database's created_at) or undefined when it lost that race, and then nothing is written.
   */
  async insert(r: Omit<QrRecord, 'createdAt'>, announcement: Announcement): Promise<QrRecord | undefined> {
    const event = generatedEvent(r.id, announcement);
    const { rows } = await this.pool.query<Row & { woken: unknown }>(
      // Not named: its result columns are the table's (see the kit's outbox relay).
      `WITH stored AS (
         INSERT INTO qr_codes (id, owner_id, content, format, size, error_correction, margin, dark_color, light_color, cache_key, blob_name, byte_length)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (cache_key) DO NOTHING
         RETURNING ${COLUMNS}
       ), announced AS (
         ${outboxInsert('unnest($14::uuid[], $15::jsonb[], $16::jsonb[]) AS e(event_id, envelope, trace_context) WHERE EXISTS (SELECT 1 FROM stored)', '$13')}
       )
       SELECT stored.*, (SELECT count(woken) FROM (${outboxWakeUp('announced', '$13')}) AS wake) AS woken FROM stored`,
      [
        r.id,
        r.ownerId,
        r.content,
        r.format,
        r.size,
        r.errorCorrection,
        r.margin,
        r.darkColor,
        r.lightColor,
        r.cacheKey,
        r.blobName,
        r.byteLength,
        'qr.generated',
        event.eventIds,
        event.envelopes,
        event.traceContexts,
      ],
    );
    const row = rows[0];
    if (!row) return undefined;
    const { woken: _, ...stored } = row;
    return fromRow(stored);
  }
}
