/**
 * Generating and fetching codes. The same content with the same normalized options is
 * one code: the state store answers repeats without rendering, PostgreSQL's unique
 * cache key catches what the state store missed (expired, down, or a concurrent twin),
 * and only a real miss renders, stores the image and writes a row. Every request, hit
 * or miss, announces qr.generated through the outbox in the transaction that proves the
 * row exists.
 */
import { randomUUID } from 'node:crypto';
import { enqueueEvent, inTransaction } from '@meshmart/kit';
import type pg from 'pg';
import type { QrCache } from './cache.ts';
import { blobName, type ImageStore } from './images.ts';
import { generated } from './metrics.ts';
import { cacheKey, type NormalizedOptions } from './options.ts';
import type { QrRecord, QrRepo } from './qr-store.ts';
import { renderQr } from './render.ts';

export interface Generated {
  record: QrRecord;
  image: Buffer;
  /** Served without rendering. */
  cached: boolean;
}

export interface GenerateRequest {
  content: string;
  options: NormalizedOptions;
  ownerId: string;
  batch: boolean;
}

export class QrCodes {
  constructor(
    private readonly pool: pg.Pool,
    private readonly repo: QrRepo,
    private readonly images: ImageStore,
    private readonly cache: QrCache,
  ) {}

  async generate(request: GenerateRequest): Promise<Generated> {
    const result = await this.produce(request);
    generated.inc({ format: result.record.format, cached: String(result.cached) });
    return result;
  }

  private async produce(request: GenerateRequest): Promise<Generated> {
    const key = cacheKey(request.content, request.options);
    const hit = await this.cache.get(key);
    if (hit) {
      const image = hit.image ?? (await this.images.load(hit.record.blobName));
      const confirmed = await inTransaction(this.pool, async (client) => {
        if (!(await this.repo.exists(client, hit.record.id))) return false;
        await this.announce(client, hit.record, request, true);
        return true;
      });
      if (confirmed) return { record: hit.record, image, cached: true };
      // The entry outlived its row (e.g. a restored database): forget it and start over.
      await this.cache.drop(key);
    }

    const stored = await this.repo.byCacheKey(key);
    if (stored) {
      const image = await this.images.load(stored.blobName);
      await inTransaction(this.pool, (client) => this.announce(client, stored, request, true));
      await this.cache.put(stored, image);
      return { record: stored, image, cached: true };
    }

    const image = renderQr(request.content, request.options);
    const id = randomUUID();
    const candidate = {
      id,
      ownerId: request.ownerId,
      content: request.content,
      ...request.options,
      cacheKey: key,
      blobName: blobName(id, request.options.format),
      byteLength: image.length,
    };
    // The file goes first, so a committed row never points at a missing image.
    await this.images.save(candidate.blobName, image);
    const outcome = await inTransaction(this.pool, async (client) => {
      const inserted = await this.repo.insert(client, candidate);
      if (inserted) {
        await this.announce(client, inserted, request, false);
        return { record: inserted, cached: false };
      }
      // A concurrent identical request stored it first; its image is byte for byte ours.
      const winner = await this.repo.byCacheKey(key, client);
      if (!winner) throw new Error(`qr code with cache key ${key} vanished while being stored`);
      await this.announce(client, winner, request, true);
      return { record: winner, cached: true };
    });
    if (outcome.record.id !== id) await this.images.remove(candidate.blobName);
    await this.cache.put(outcome.record, image);
    return { ...outcome, image };
  }

  private async announce(client: pg.ClientBase, record: QrRecord, request: GenerateRequest, cached: boolean): Promise<void> {
    await enqueueEvent(client, 'qr.generated', {
      qrId: record.id,
      ownerId: request.ownerId,
      format: record.format,
      size: record.size,
      cached,
      batch: request.batch,
      at: new Date().toISOString(),
    });
  }

  async get(id: string): Promise<{ record: QrRecord; image: Buffer } | undefined> {
    const record = await this.repo.byId(id);
    if (!record) return undefined;
    return { record, image: await this.images.load(record.blobName) };
  }
}
