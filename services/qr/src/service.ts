/** Wires qr together: config, database, sidecar, blob binding, the gRPC service and the admin port. */
import {
  createApp,
  createGrpcServer,
  createLogger,
  finishApp,
  initMetrics,
  openDatabase,
  type RunningServer,
  Sidecar,
  serveGrpcService,
  sidecarReadiness,
  startOutboxRelay,
} from '@meshmart/kit';
import { QRServiceService } from '@meshmart/proto/qr/v1/qr';
import { QrCache } from './cache.ts';
import { QrCodes } from './codes.ts';
import type { QrConfig } from './config.ts';
import { ImageStore } from './images.ts';
import { migrations } from './migrations.ts';
import { qrHandlers } from './qr-grpc.ts';
import { QrRepo } from './qr-repo.ts';

export async function startQr(config: QrConfig, options: { handleSignals?: boolean } = {}): Promise<RunningServer> {
  const logger = createLogger('qr', config.LOG_LEVEL);
  initMetrics('qr');
  const pool = await openDatabase(config.DATABASE_URL, migrations, logger);

  const daprApiToken = config.DAPR_API_TOKEN;
  const sidecar = new Sidecar({ daprHttpPort: config.DAPR_HTTP_PORT, daprApiToken });
  const cacheSidecar = sidecar.withTimeout(config.QR_CACHE_TIMEOUT_MS);
  const blobSidecar = sidecar.withTimeout(config.QR_BLOB_TIMEOUT_MS);
  const cache = new QrCache({
    sidecar: cacheSidecar,
    store: config.STATE_STORE,
    ttlSeconds: config.QR_CACHE_TTL_SECONDS,
    maxImageBytes: config.QR_CACHE_MAX_IMAGE_BYTES,
    logger,
  });
  const codes = new QrCodes(pool, new QrRepo(pool), new ImageStore(blobSidecar, config.BLOB_BINDING), cache);

  const admin = createApp({
    service: 'qr',
    logger,
    appToken: config.APP_API_TOKEN,
    readiness: [{ name: 'postgres', check: async () => void (await pool.query('SELECT 1')) }, ...sidecarReadiness(sidecar, 'qr')],
  });
  const grpc = createGrpcServer({ logger, appToken: config.APP_API_TOKEN });
  grpc.addService(QRServiceService, qrHandlers(codes, { batchConcurrency: config.QR_BATCH_CONCURRENCY }));

  const relay = startOutboxRelay({ pool, publisher: sidecar, logger });
  return serveGrpcService(finishApp(admin), grpc.server, config, {
    logger,
    handleSignals: options.handleSignals,
    onDrain: admin.setDraining,
    onShutdown: [() => relay.stop(), () => pool.end()],
  });
}
