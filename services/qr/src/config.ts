import { env, postgresConfigShape, serviceConfig } from '@meshmart/kit';

export const qrConfigSchema = serviceConfig('qr', {
  ...postgresConfigShape(),
  STATE_STORE: env.string('statestore'),
  BLOB_BINDING: env.string('blobstore'),
  /** How long a cache entry (content + options → code) lives in the state store. */
  QR_CACHE_TTL_SECONDS: env.int(3600, 1, 7 * 86_400),
  /** Images up to this many bytes are cached with their record; larger ones are read from the blob store. */
  QR_CACHE_MAX_IMAGE_BYTES: env.int(128 * 1024, 0, 1024 * 1024),
  /** The cache is an accelerator: a slower state store is skipped, not waited for. */
  QR_CACHE_TIMEOUT_MS: env.int(1000, 50, 10_000),
  QR_BLOB_TIMEOUT_MS: env.int(10_000, 100, 60_000),
  /** Batch items generated at once; rendering is CPU-bound, so a few keep the sidecar calls overlapping. */
  QR_BATCH_CONCURRENCY: env.int(4, 1, 16),
});
