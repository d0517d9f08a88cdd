/**
 * The backing stores and who may reach them, derived from the topology: owners of a
 * PostgreSQL or MongoDB database, and the apps whose Dapr components point at Redis,
 * RabbitMQ or the SMTP sink. The data chart deploys a store only if it has clients, and
 * the AuthorizationPolicies admit exactly these clients.
 */
import type { ServiceName, ServiceSpec } from '@meshmart/kit/topology';
import { usersOf } from '../context.ts';
import { fqdn } from '../naming.ts';
import { namespaces } from '../settings.ts';

export type StoreName = 'postgres' | 'mongo' | 'redis' | 'rabbitmq' | 'mailpit';

export interface StoreAccess {
  store: StoreName;
  /** Port the clients use; the only port the policy opens. */
  port: number;
  clients: ServiceName[];
}

export const ports = {
  postgres: 5432,
  mongo: 27017,
  redis: 6379,
  amqp: 5672,
  rabbitmqManagement: 15672,
  smtp: 1025,
  mailpitUi: 8025,
} as const;

export function storeHost(store: StoreName): string {
  return fqdn(store, namespaces.data);
}

export function postgresOwners(services: readonly ServiceSpec[]): Array<{ service: ServiceName; database: string }> {
  return services.flatMap((s) => (s.postgresDatabase ? [{ service: s.name, database: s.postgresDatabase }] : []));
}

export function mongoOwners(services: readonly ServiceSpec[]): Array<{ service: ServiceName; database: string }> {
  return services.flatMap((s) => (s.mongoDatabase ? [{ service: s.name, database: s.mongoDatabase }] : []));
}

/** Redis backs both the state store and the configuration store. */
export function redisClients(services: readonly ServiceSpec[]): ServiceName[] {
  return [...new Set([...usersOf(services, 'statestore'), ...usersOf(services, 'configstore')])];
}

export function storeAccess(services: readonly ServiceSpec[]): StoreAccess[] {
  const all: StoreAccess[] = [
    { store: 'postgres', port: ports.postgres, clients: postgresOwners(services).map((o) => o.service) },
    { store: 'mongo', port: ports.mongo, clients: mongoOwners(services).map((o) => o.service) },
    { store: 'redis', port: ports.redis, clients: redisClients(services) },
    { store: 'rabbitmq', port: ports.amqp, clients: usersOf(services, 'pubsub') },
    { store: 'mailpit', port: ports.smtp, clients: usersOf(services, 'smtp') },
  ];
  return all.filter((a) => a.clients.length > 0);
}

/** Secret names: the apps namespace holds what clients need, the data namespace what servers need. */
export const credentials = {
  appPostgres: (service: string) => `${service}-postgres`,
  appMongo: (service: string) => `${service}-mongo`,
  postgres: 'postgres-credentials',
  mongo: 'mongo-credentials',
  redis: 'redis-credentials',
  rabbitmq: 'rabbitmq-credentials',
} as const;

/** Purposes the secret values are derived from, shared by both sides of a connection. */
export const secretPurpose = {
  postgresRole: (database: string) => `postgres/role/${database}`,
  postgresSuperuser: 'postgres/superuser',
  mongoUser: (database: string) => `mongo/user/${database}`,
  mongoRoot: 'mongo/root',
  redis: 'redis/password',
  rabbitmq: 'rabbitmq/password',
} as const;

export const rabbitmqUser = 'meshmart';
