/** qr_codes rows: the metadata of every distinct image. */
import { camelCaseRow } from '@meshmart/kit';
import type pg from 'pg';
import type { Format, Level, NormalizedOptions } from './options.ts';

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

  async byCacheKey(key: string, client: pg.ClientBase | pg.Pool = this.pool): Promise<QrRecord | undefined> {
    const { rows } = await client.query<Row>(`SELECT ${COLUMNS} FROM qr_codes WHERE cache_key = $1`, [key]);
    return rows[0] && fromRow(rows[0]);
  }

  async exists(client: pg.ClientBase, id: string): Promise<boolean> {
    const { rowCount } = await client.query('SELECT 1 FROM qr_codes WHERE id = $1', [id]);
    return rowCount === 1;
  }

  /**
   * Inserts the row unless another request stored the same image first; resolves with
   * the stored row (with the database's created_at) or undefined when it lost that race.
   */
  async insert(client: pg.ClientBase, r: Omit<QrRecord, 'createdAt'>): Promise<QrRecord | undefined> {
    const { rows } = await client.query<Row>(
      `INSERT INTO qr_codes (id, owner_id, content, format, size, error_correction, margin, dark_color, light_color, cache_key, blob_name, byte_length)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (cache_key) DO NOTHING
       RETURNING ${COLUMNS}`,
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
      ],
    );
    return rows[0] && fromRow(rows[0]);
  }
}
