/**
 * The backing stores and who may reach them, derived from the topology: owners of a
 * PostgreSQL or MongoDB database, and the apps whose Dapr components point at Redis,
 * RabbitMQ or the SMTP sink. The data chart deploys a store only if it has clients, and
 * the AuthorizationPolicies admit exactly these clients.
 */
import {
  credentialSecrets as credentials,
  storePorts as ports,
  type StoreName,
  secretPurpose,
  storeHost,
} from '@meshmart/kit/deployment/cluster-target';
import { appsUsing, type ServiceName, type ServiceSpec } from '@meshmart/kit/topology';

export { credentials, ports, type StoreName, secretPurpose, storeHost };

export interface StoreAccess {
  store: StoreName;
  /** Port the clients use; the only port the policy opens. */
  port: number;
  clients: ServiceName[];
}

export function postgresOwners(services: readonly ServiceSpec[]): Array<{ service: ServiceName; database: string }> {
  return services.flatMap((s) => (s.postgresDatabase ? [{ service: s.name, database: s.postgresDatabase }] : []));
}

export function mongoOwners(services: readonly ServiceSpec[]): Array<{ service: ServiceName; database: string }> {
  return services.flatMap((s) => (s.mongoDatabase ? [{ service: s.name, database: s.mongoDatabase }] : []));
}

/** Redis backs both the state store and the configuration store. */
export function redisClients(services: readonly ServiceSpec[]): ServiceName[] {
  return [...new Set([...appsUsing('statestore', services), ...appsUsing('configstore', services)])];
}

export function storeAccess(services: readonly ServiceSpec[]): StoreAccess[] {
  const all: StoreAccess[] = [
    { store: 'postgres', port: ports.postgres, clients: postgresOwners(services).map((o) => o.service) },
    { store: 'mongo', port: ports.mongo, clients: mongoOwners(services).map((o) => o.service) },
    { store: 'redis', port: ports.redis, clients: redisClients(services) },
    { store: 'rabbitmq', port: ports.amqp, clients: appsUsing('pubsub', services) },
    { store: 'mailpit', port: ports.smtp, clients: appsUsing('smtp', services) },
  ];
  return all.filter((a) => a.clients.length > 0);
}

export const rabbitmqUser = 'meshmart';
