/**
 * Rebuilds the index from catalog, for a cold start or a lost index: reads every product
 * page by page through the sidecar, applies each as a snapshot (index-writer.ts says
 * how it orders against events arriving meanwhile), then removes what the index shows
 * but catalog no longer has. Progress lives in the database, so any instance answers
 * for it and only one rebuild runs at a time.
 */

import { randomUUID } from 'node:crypto';
import { searchErrors } from '@meshmart/contracts/search';
import { isUniqueViolation, type Logger, Problem, problems, type Sidecar } from '@meshmart/kit';
import type pg from 'pg';
import { z } from 'zod';
import type { CatalogProduct, IndexWriter } from './index-writer.ts';
import { rebuildProducts } from './metrics.ts';

export interface RebuildProgress {
  id: string;
  status: 'running' | 'done' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  /** Products catalog reported when the rebuild began. */
  catalogTotal: number | null;
  read: number;
  indexed: number;
  removed: number;
  error: string | null;
}

const catalogPage = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      category: z.string(),
      description: z.string(),
      priceMinor: z.number(),
      currency: z.string(),
      updatedAt: z.string(),
      stock: z.number().int().nonnegative().optional(),
    }),
  ),
  total: z.number(),
});

interface RebuildRow {
  id: string;
  status: RebuildProgress['status'];
  started_at: Date;
  finished_at: Date | null;
  catalog_total: number | null;
  read: number;
  indexed: number;
  removed: number;
  error: string | null;
}

const view = (r: RebuildRow): RebuildProgress => ({
  id: r.id,
  status: r.status,
  startedAt: r.started_at.toISOString(),
  finishedAt: r.finished_at?.toISOString() ?? null,
  catalogTotal: r.catalog_total,
  read: r.read,
  indexed: r.indexed,
  removed: r.removed,
  error: r.error,
});

export class Rebuilds {
  constructor(
    private readonly deps: {
      pool: pg.Pool;
      writer: IndexWriter;
      sidecar: Sidecar;
      logger: Logger;
      pageSize: number;
      catalogTimeoutMs: number;
      staleMs: number;
    },
  ) {}

  /** The latest rebuild, running or finished; undefined before the first. */
  async latest(): Promise<RebuildProgress | undefined> {
    const { rows } = await this.deps.pool.query<RebuildRow>('SELECT * FROM rebuilds ORDER BY started_at DESC LIMIT 1');
    return rows[0] && view(rows[0]);
  }

  /** Starts a rebuild in the background and answers at once; 409 while one runs. */
  async start(): Promise<RebuildProgress> {
    const { pool } = this.deps;
    // A run whose instance died stops blocking new ones once its progress is stale.
    await pool.query(
      `UPDATE rebuilds SET status = 'failed', finished_at = now(), error = 'abandoned: no progress'
       WHERE status = 'running' AND progressed_at < now() - make_interval(secs => $1)`,
      [this.deps.staleMs / 1000],
    );
    let row: RebuildRow;
    try {
      const { rows } = await pool.query<RebuildRow>(`INSERT INTO rebuilds (id, status) VALUES ($1, 'running') RETURNING *`, [
        randomUUID(),
      ]);
      row = rows[0] as RebuildRow;
    } catch (err) {
      if (isUniqueViolation(err)) throw problems.conflict('a rebuild is already running', searchErrors.rebuildRunning);
      throw err;
    }
    void this.run(row.id, row.started_at);
    return view(row);
  }

  private async run(id: string, startedAt: Date): Promise<void> {
    const { pool, logger } = this.deps;
    try {
      await this.copyCatalog(id, startedAt);
      await pool.query(`UPDATE rebuilds SET status = 'done', finished_at = now(), progressed_at = now() WHERE id = $1`, [id]);
      logger.info('search index rebuilt from catalog', { rebuild_id: id });
    } catch (err) {
      const message = err instanceof Problem ? `${err.title}: ${err.detail ?? ''}` : (err as Error).message;
      logger.error('search index rebuild failed', { rebuild_id: id, err: message });
      await pool
        .query(`UPDATE rebuilds SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1`, [id, message])
        .catch((e: unknown) => logger.error('could not record the failed rebuild', { err: (e as Error).message }));
    }
  }

  private async copyCatalog(id: string, startedAt: Date): Promise<void> {
    const { pool, writer, pageSize } = this.deps;
    const seen = new Set<string>();
    for (let offset = 0; ; offset += pageSize) {
      const page = await this.catalogPage(offset);
      let indexed = 0;
      for (const item of page.items) {
        seen.add(item.id);
        if (await writer.applySnapshot(item as CatalogProduct)) indexed += 1;
      }
      rebuildProducts.inc({ outcome: 'indexed' }, indexed);
      await pool.query(
        `UPDATE rebuilds SET catalog_total = coalesce(catalog_total, $2), read = read + $3, indexed = indexed + $4,
                progressed_at = now() WHERE id = $1`,
        [id, page.total, page.items.length, indexed],
      );
      if (page.items.length < pageSize) break;
    }
    // Pages by offset can skip a product when another is deleted meanwhile, so each
    // product not seen is asked for by id before it leaves the index.
    for (const productId of await writer.unseenSince(startedAt, seen)) {
      if (await this.stillInCatalog(productId)) continue;
      if (await writer.removeMissing(productId)) {
        rebuildProducts.inc({ outcome: 'removed' });
        await pool.query('UPDATE rebuilds SET removed = removed + 1, progressed_at = now() WHERE id = $1', [id]);
      }
    }
  }

  private async catalogPage(offset: number): Promise<z.infer<typeof catalogPage>> {
    const response = await this.deps.sidecar.invoke(
      'catalog',
      `/products?sort=created&limit=${this.deps.pageSize}&offset=${offset}`,
      { timeoutMs: this.deps.catalogTimeoutMs },
    );
    return catalogPage.parse(response.body);
  }

  private async stillInCatalog(productId: string): Promise<boolean> {
    try {
      await this.deps.sidecar.invoke('catalog', `/products/${encodeURIComponent(productId)}`, {
        timeoutMs: this.deps.catalogTimeoutMs,
      });
      return true;
    } catch (err) {
      if (err instanceof Problem && err.status === 404) return false;
      throw err;
    }
  }
}
