/**
 * The hot cache in the Dapr state store: cache key → the code's record and, when small,
 * its image. Only an accelerator: a failure reading or writing it is a miss.
 */
import { type Logger, type Sidecar, StateCache } from '@meshmart/kit';
import { z } from 'zod';
import type { QrRecord } from './qr-store.ts';

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

type Stored = z.infer<typeof entrySchema>;

export class QrCache {
  private readonly cache: StateCache<Stored>;

  constructor(private readonly o: QrCacheOptions) {
    this.cache = new StateCache({
      state: o.sidecar,
      store: o.store,
      prefix: 'qr:',
      ttlSeconds: o.ttlSeconds,
      parse: (value) => entrySchema.safeParse(value).data,
      name: 'qr cache',
      logger: o.logger,
    });
  }

  async get(cacheKey: string): Promise<CacheEntry | undefined> {
    const read = await this.cache.read(cacheKey);
    if (read.result !== 'hit' || read.value.record.cacheKey !== cacheKey) return undefined;
    const { record, image } = read.value;
    return { record, image: image === undefined ? undefined : Buffer.from(image, 'base64') };
  }

  async put(record: QrRecord, image: Buffer): Promise<void> {
    await this.cache.write(record.cacheKey, {
      record,
      ...(image.length <= this.o.maxImageBytes && { image: image.toString('base64') }),
    });
  }

  async drop(cacheKey: string): Promise<void> {
    await this.cache.remove(cacheKey);
  }
}
