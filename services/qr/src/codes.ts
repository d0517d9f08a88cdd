/**
 * Generating and fetching codes. The same content with the same normalized options is
 * one code: the state store answers repeats without rendering, PostgreSQL's unique
 * cache key catches what the state store missed (expired, down, or a concurrent twin),
 * and only a real miss renders, stores the image and writes a row. Every request, hit
 * or miss, announces qr.generated through the outbox in the statement that proves the
 * row exists (one round trip: the insert and its event, or the event only if the row is there).
 */
import { randomUUID } from 'node:crypto';
import type { QrCache } from './cache.ts';
import { blobName, type ImageStore } from './images.ts';
import { generated } from './metrics.ts';
import { cacheKey, type NormalizedOptions } from './options.ts';
import type { Announcement, QrRecord, QrRepo } from './qr-store.ts';
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

function announcement(code: Pick<QrRecord, 'format' | 'size'>, request: GenerateRequest, cached: boolean): Announcement {
  return {
    ownerId: request.ownerId,
    format: code.format,
    size: code.size,
    cached,
    batch: request.batch,
    at: new Date().toISOString(),
  };
}

export class QrCodes {
  constructor(
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
      if (await this.repo.announce(hit.record.id, announcement(hit.record, request, true))) {
        return { record: hit.record, image, cached: true };
      }
      // The entry outlived its row (e.g. a restored database): forget it and start over.
      await this.cache.drop(key);
    }

    const stored = await this.repo.byCacheKey(key);
    if (stored) {
      const image = await this.images.load(stored.blobName);
      await this.announceStored(stored, request);
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
    const inserted = await this.repo.insert(candidate, announcement(candidate, request, false));
    let outcome: { record: QrRecord; cached: boolean };
    if (inserted) {
      outcome = { record: inserted, cached: false };
    } else {
      // A concurrent identical request stored it first; its image is byte for byte ours.
      const winner = await this.repo.byCacheKey(key);
      if (!winner) throw new Error(`qr code with cache key ${key} vanished while being stored`);
      await this.announceStored(winner, request);
      await this.images.remove(candidate.blobName);
      outcome = { record: winner, cached: true };
    }
    await this.cache.put(outcome.record, image);
    return { ...outcome, image };
  }

  /** Announces a row just read; qr rows are never deleted, so one that is gone is a broken database. */
  private async announceStored(record: QrRecord, request: GenerateRequest): Promise<void> {
    if (!(await this.repo.announce(record.id, announcement(record, request, true)))) {
      throw new Error(`qr code ${record.id} vanished while being announced`);
    }
  }

  async get(id: string): Promise<{ record: QrRecord; image: Buffer } | undefined> {
    const record = await this.repo.byId(id);
    if (!record) return undefined;
    return { record, image: await this.images.load(record.blobName) };
  }
}
