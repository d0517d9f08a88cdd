/** qr declared: its database, the state-store cache, the blob binding, the gRPC service on an app-protocol gRPC port. */
import { defineService } from '@meshmart/kit';
import { QRServiceService } from '@meshmart/proto/qr/v1/qr';
import { QrCache } from './cache.ts';
import { QrCodes } from './codes.ts';
import { qrConfigSchema } from './config.ts';
import { qrHandlers } from './grpc.ts';
import { ImageStore } from './images.ts';
import { migrations } from './migrations.ts';
import { QrRepo } from './qr-store.ts';

export const service = defineService({
  name: 'qr',
  config: qrConfigSchema,
  postgres: { migrations },
  compose: ({ config, logger, pool, sidecarWith }) => {
    const cache = new QrCache({
      sidecar: sidecarWith(config.QR_CACHE_TIMEOUT_MS),
      store: config.STATE_STORE,
      ttlSeconds: config.QR_CACHE_TTL_SECONDS,
      maxImageBytes: config.QR_CACHE_MAX_IMAGE_BYTES,
      logger,
    });
    const images = new ImageStore(sidecarWith(config.QR_BLOB_TIMEOUT_MS), config.BLOB_BINDING);
    const codes = new QrCodes(new QrRepo(pool), images, cache);
    return {
      grpc: [{ definition: QRServiceService, handlers: qrHandlers(codes, { batchConcurrency: config.QR_BATCH_CONCURRENCY }) }],
    };
  },
});
