/** Wires orders to the real world: PostgreSQL, its sidecar, users and inventory over gRPC, catalog and payments over HTTP. */
import {
  accessTokenVerifierFromConfig,
  createLogger,
  createPool,
  initMetrics,
  type RunningServer,
  Sidecar,
  serveService,
  sidecarGrpcClient,
} from '@meshmart/kit';
import { InventoryServiceClient } from '@meshmart/proto/inventory/v1/inventory';
import { UsersInternalServiceClient } from '@meshmart/proto/users/v1/users';
import { createOrders } from './app.ts';
import type { OrdersConfig } from './config.ts';
import { StockAndPrices } from './inventory-client.ts';
import { PaymentsClient } from './payments-client.ts';
import { UsersDirectory } from './users-client.ts';

export async function startOrders(config: OrdersConfig, options: { handleSignals?: boolean } = {}): Promise<RunningServer> {
  const logger = createLogger('orders', config.LOG_LEVEL);
  initMetrics('orders');
  const pool = createPool(config.DATABASE_URL, config.DB_POOL_MAX);
  const daprApiToken = config.DAPR_API_TOKEN;
  const sidecar = new Sidecar({ daprHttpPort: config.DAPR_HTTP_PORT, daprApiToken });
  const grpcTarget = { daprGrpcPort: config.DAPR_GRPC_PORT, daprApiToken };
  const inventory = new StockAndPrices(sidecarGrpcClient(InventoryServiceClient, 'inventory', grpcTarget), sidecar, {
    lookupMs: config.GRPC_TIMEOUT_MS,
    stockMoveMs: config.INVENTORY_TIMEOUT_MS,
  });

  const orders = await createOrders({
    config,
    logger,
    pool,
    sidecar,
    verifier: accessTokenVerifierFromConfig(config),
    users: new UsersDirectory(sidecarGrpcClient(UsersInternalServiceClient, 'users', grpcTarget), config.GRPC_TIMEOUT_MS),
    catalog: inventory,
    inventory,
    payments: new PaymentsClient(sidecar, config.PAYMENTS_TIMEOUT_MS),
  });

  return serveService(orders.app, config, {
    logger,
    handleSignals: options.handleSignals,
    onDrain: orders.setDraining,
    onShutdown: [() => orders.stop(config.SHUTDOWN_GRACE_MS), () => pool.end()],
  });
}
