/**
 * The hot cache in the Dapr state store: cache key → the code's record and, when small,
 * its image. Only an accelerator: any failure reading or writing it is logged and the
 * request goes on as a miss.
 */
import type { Logger, Sidecar } from '@meshmart/kit';
import { z } from 'zod';
import type { QrRecord } from './qr-repo.ts';

const entrySchema = z.object({
  record: z.object({
    id: z.string(),
    ownerId: z.string(),
    content: z.string(),
    format: z.enum(['png', 'svg']),
    size: z.number().int(),
    errorCorrection: z.enum(['L', 'M', 'Q', 'H']),
    margin: z.number().int(),
    darkColor: z.string(),
    lightColor: z.string(),
    cacheKey: z.string(),
    blobName: z.string(),
    byteLength: z.number().int(),
    createdAt: z.string(),
  }),
  image: z.base64().optional(),
});

export interface CacheEntry {
  record: QrRecord;
  image?: Buffer | undefined;
}

export interface QrCacheOptions {
  sidecar: Sidecar;
  store: string;
  ttlSeconds: number;
  /** Larger images are left to the blob store. */
  maxImageBytes: number;
  logger: Logger;
}

export class QrCache {
  constructor(private readonly o: QrCacheOptions) {}

  private key(cacheKey: string): string {
    return `qr:${cacheKey}`;
  }

  async get(cacheKey: string): Promise<CacheEntry | undefined> {
    try {
      const { value } = await this.o.sidecar.getState<unknown>(this.o.store, this.key(cacheKey));
      if (value === undefined) return undefined;
      const parsed = entrySchema.safeParse(value);
      if (!parsed.success || parsed.data.record.cacheKey !== cacheKey) return undefined;
      return {
        record: parsed.data.record,
        image: parsed.data.image === undefined ? undefined : Buffer.from(parsed.data.image, 'base64'),
      };
    } catch (err) {
      this.o.logger.warn('qr cache read failed; treating it as a miss', { err: (err as Error).message });
      return undefined;
    }
  }

  async put(record: QrRecord, image: Buffer): Promise<void> {
    const value = {
      record,
      ...(image.length <= this.o.maxImageBytes && { image: image.toString('base64') }),
    };
    try {
      await this.o.sidecar.saveState(this.o.store, { key: this.key(record.cacheKey), value, ttlSeconds: this.o.ttlSeconds });
    } catch (err) {
      this.o.logger.warn('qr cache write failed', { err: (err as Error).message });
    }
  }

  async drop(cacheKey: string): Promise<void> {
    await this.o.sidecar.deleteState(this.o.store, this.key(cacheKey)).catch((err: unknown) => {
      this.o.logger.warn('qr cache delete failed', { err: (err as Error).message });
    });
  }
}
