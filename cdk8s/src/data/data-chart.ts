/**
 * PostgreSQL, MongoDB, Redis, RabbitMQ and an SMTP sink, each deployed only when the
 * topology gives it a client. Credentials are derived secrets (secret-values.ts); the
 * copies the Dapr components read live in the apps namespace.
 */
import type { ServiceSpec } from '@meshmart/kit/topology';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { istioAnnotations } from '../apps/pod-annotations.ts';
import { addRuntimeDefaultSeccomp, containerResources, restrictedSecurityContext } from '../apps/service-workload.ts';
import type { SynthContext } from '../context.ts';
import { images, imageTag, namespaces } from '../settings.ts';
import { assertDatabaseName, mongoProvisionScript, postgresProvisionScript } from './provisioning.ts';
import { dataStore, type StoreContainer } from './stateful-store.ts';
import {
  credentials,
  mongoOwners,
  ports,
  postgresOwners,
  rabbitmqUser,
  type StoreName,
  secretPurpose,
  storeAccess,
  storeHost,
} from './stores.ts';

function secretEnv(name: string, secret: string, key: string): k8s.EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret, key } } };
}

function secret(scope: Construct, name: string, namespace: string, stringData: Record<string, string>): void {
  new k8s.KubeSecret(scope, `${namespace}-${name}`, { metadata: { name, namespace }, type: 'Opaque', stringData });
}

const emptyDir = (name: string): k8s.Volume => ({ name, emptyDir: {} });

/**
 * A database server with one account per owning service: one secret with the
 * administrator's password and every account's, the server's provision script as a
 * ConfigMap, and the container that runs it to create each database and its account.
 */
interface AccountsPerDatabase {
  store: 'postgres' | 'mongo';
  image: string;
  databases: string[];
  admin: { key: string; password: string };
  /** Secret key and provision-script variable of one database's account password. */
  account: { key: (database: string) => string; env: (database: string) => string; password: (database: string) => string };
  script: string;
}

function accountsPerDatabase(scope: Construct, ctx: SynthContext, a: AccountsPerDatabase) {
  for (const database of a.databases) assertDatabaseName(database);
  const secretName = credentials[a.store];
  secret(scope, secretName, namespaces.data, {
    [a.admin.key]: a.admin.password,
    ...Object.fromEntries(a.databases.map((db) => [a.account.key(db), a.account.password(db)])),
  });
  const configMap = `${a.store}-provision`;
  new k8s.KubeConfigMap(scope, configMap, {
    metadata: { name: configMap, namespace: namespaces.data },
    data: { 'provision.sh': a.script },
  });
  const provisionContainer = (env: k8s.EnvVar[], volumeMounts: k8s.VolumeMount[]): StoreContainer => ({
    name: 'provision',
    image: a.image,
    command: ['sh', '/provision/provision.sh'],
    env: [
      { name: 'DATABASES', value: a.databases.join(' ') },
      ...a.databases.map((db) => secretEnv(a.account.env(db), secretName, a.account.key(db))),
      ...env,
    ],
    volumeMounts: [...volumeMounts, { name: 'provision', mountPath: '/provision', readOnly: true }],
    resources: ctx.sizing.small,
    readOnlyRootFilesystem: true,
  });
  return { provisionVolume: { name: 'provision', configMap: { name: configMap } }, provisionContainer };
}

function postgres(scope: Construct, services: readonly ServiceSpec[], ctx: SynthContext): void {
  const { provisionVolume, provisionContainer } = accountsPerDatabase(scope, ctx, {
    store: 'postgres',
    image: images.postgres,
    databases: postgresOwners(services).map((o) => o.database),
    admin: { key: 'superuser', password: ctx.secrets.value(secretPurpose.postgresSuperuser) },
    account: {
      key: (db) => `role-${db}`,
      env: (db) => `ROLE_PASSWORD_${db}`,
      password: (db) => ctx.secrets.value(secretPurpose.postgresRole(db)),
    },
    script: postgresProvisionScript,
  });
  const socket = { name: 'socket', mountPath: '/var/run/postgresql' };
  const tmp = { name: 'tmp', mountPath: '/tmp' };
  dataStore(scope, ctx, {
    name: 'postgres',
    user: 70, // postgres in the alpine image
    dataPath: '/var/lib/postgresql/data',
    servicePorts: [{ name: 'tcp-postgres', port: ports.postgres }],
    volumes: [emptyDir('socket'), emptyDir('tmp'), provisionVolume],
    containers: [
      {
        name: 'postgres',
        image: images.postgres,
        env: [
          secretEnv('POSTGRES_PASSWORD', credentials.postgres, 'superuser'),
          { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
        ],
        ports: [{ name: 'postgres', containerPort: ports.postgres }],
        volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }, socket, tmp],
        probe: ['pg_isready', '-q', '-h', '/var/run/postgresql', '-U', 'postgres'],
        resources: ctx.sizing.postgres,
        readOnlyRootFilesystem: true,
      },
      provisionContainer([], [socket, tmp]),
    ],
  });
}

function mongo(scope: Construct, services: readonly ServiceSpec[], ctx: SynthContext): void {
  const { provisionVolume, provisionContainer } = accountsPerDatabase(scope, ctx, {
    store: 'mongo',
    image: images.mongo,
    databases: mongoOwners(services).map((o) => o.database),
    admin: { key: 'root', password: ctx.secrets.value(secretPurpose.mongoRoot) },
    account: {
      key: (db) => `user-${db}`,
      env: (db) => `USER_PASSWORD_${db}`,
      password: (db) => ctx.secrets.value(secretPurpose.mongoUser(db)),
    },
    script: mongoProvisionScript,
  });
  const rootEnv = [
    { name: 'MONGO_INITDB_ROOT_USERNAME', value: 'root' },
    secretEnv('MONGO_INITDB_ROOT_PASSWORD', credentials.mongo, 'root'),
  ];
  const tmp = { name: 'tmp', mountPath: '/tmp' };
  dataStore(scope, ctx, {
    name: 'mongo',
    user: 999, // mongodb in the official image
    dataPath: '/data/db',
    servicePorts: [{ name: 'tcp-mongo', port: ports.mongo }],
    volumes: [emptyDir('tmp'), emptyDir('config'), provisionVolume],
    containers: [
      {
        name: 'mongo',
        image: images.mongo,
        env: rootEnv,
        ports: [{ name: 'mongo', containerPort: ports.mongo }],
        volumeMounts: [{ name: 'data', mountPath: '/data/db' }, { name: 'config', mountPath: '/data/configdb' }, tmp],
        probe: ['mongosh', '--quiet', '--eval', 'db.adminCommand("ping").ok'],
        resources: ctx.sizing.mongo,
        // The entrypoint writes helper files outside the mounted paths while initialising.
        readOnlyRootFilesystem: false,
      },
      provisionContainer([...rootEnv, { name: 'HOME', value: '/tmp' }], [tmp]),
    ],
  });
}

function redis(scope: Construct, ctx: SynthContext): void {
  const password = ctx.secrets.value(secretPurpose.redis);
  secret(scope, credentials.redis, namespaces.data, { password });
  secret(scope, credentials.redis, namespaces.apps, { password });
  dataStore(scope, ctx, {
    name: 'redis',
    user: 999, // redis in the alpine image
    dataPath: '/data',
    servicePorts: [{ name: 'tcp-redis', port: ports.redis }],
    containers: [
      {
        name: 'redis',
        image: images.redis,
        env: [secretEnv('REDIS_PASSWORD', credentials.redis, 'password')],
        // Keyspace notifications are what Dapr's configuration.redis subscribes through.
        args: [
          'redis-server',
          '--requirepass',
          '$(REDIS_PASSWORD)',
          '--appendonly',
          'yes',
          '--dir',
          '/data',
          '--notify-keyspace-events',
          'KEA',
        ],
        ports: [{ name: 'redis', containerPort: ports.redis }],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
        probe: ['sh', '-c', 'redis-cli -a "$REDIS_PASSWORD" --no-auth-warning ping | grep -q PONG'],
        resources: ctx.sizing.redis,
        readOnlyRootFilesystem: true,
      },
    ],
  });
}

function rabbitmq(scope: Construct, ctx: SynthContext): void {
  const password = ctx.secrets.value(secretPurpose.rabbitmq);
  secret(scope, credentials.rabbitmq, namespaces.data, { username: rabbitmqUser, password });
  secret(scope, credentials.rabbitmq, namespaces.apps, {
    'connection-string': `amqp://${rabbitmqUser}:${password}@${storeHost('rabbitmq')}:${ports.amqp}`,
  });
  dataStore(scope, ctx, {
    name: 'rabbitmq',
    user: 999, // rabbitmq in the Debian-based image
    dataPath: '/var/lib/rabbitmq',
    servicePorts: [
      { name: 'tcp-amqp', port: ports.amqp },
      { name: 'http-management', port: ports.rabbitmqManagement },
    ],
    containers: [
      {
        name: 'rabbitmq',
        image: images.rabbitmq,
        env: [
          { name: 'RABBITMQ_DEFAULT_USER', value: rabbitmqUser },
          secretEnv('RABBITMQ_DEFAULT_PASS', credentials.rabbitmq, 'password'),
        ],
        ports: [
          { name: 'amqp', containerPort: ports.amqp },
          { name: 'management', containerPort: ports.rabbitmqManagement },
        ],
        volumeMounts: [{ name: 'data', mountPath: '/var/lib/rabbitmq' }],
        probe: ['rabbitmq-diagnostics', '-q', 'ping'],
        resources: ctx.sizing.rabbitmq,
        // The image's entrypoint and Erlang write outside the data volume at start.
        readOnlyRootFilesystem: false,
      },
    ],
  });
}

/** A stateless SMTP sink with a web UI, so sent mail can be read during development. */
function mailpit(scope: Construct, ctx: SynthContext): void {
  const labels = { app: 'mailpit', version: imageTag(images.mailpit), 'app.kubernetes.io/part-of': 'meshmart' };
  const deployment = new kplus.Deployment(scope, 'mailpit', {
    metadata: { name: 'mailpit', namespace: namespaces.data, labels },
    select: false,
    replicas: 1,
    automountServiceAccountToken: false,
    podMetadata: { labels, annotations: istioAnnotations(ctx.sizing) },
    securityContext: { ensureNonRoot: true, user: 1000, group: 1000 },
  });
  deployment.select(kplus.LabelSelector.of({ labels: { app: 'mailpit' } }));
  addRuntimeDefaultSeccomp(deployment);
  const container = deployment.addContainer({
    name: 'mailpit',
    image: images.mailpit,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    ports: [
      { number: ports.smtp, name: 'smtp' },
      { number: ports.mailpitUi, name: 'http' },
    ],
    readiness: kplus.Probe.fromHttpGet('/livez', { port: ports.mailpitUi }),
    liveness: kplus.Probe.fromHttpGet('/livez', { port: ports.mailpitUi }),
    startup: kplus.Probe.fromHttpGet('/livez', { port: ports.mailpitUi }),
    resources: containerResources(ctx.sizing.small),
    securityContext: restrictedSecurityContext(1000),
  });
  container.mount('/tmp', kplus.Volume.fromEmptyDir(scope, 'mailpit-tmp', 'tmp'));
  new kplus.Service(scope, 'mailpit-service', {
    metadata: { name: 'mailpit', namespace: namespaces.data, labels },
    ports: [
      { port: ports.smtp, targetPort: ports.smtp, name: 'tcp-smtp' },
      { port: ports.mailpitUi, targetPort: ports.mailpitUi, name: 'http-ui' },
    ],
  }).selectLabel('app', 'mailpit');
}

export function dataStores(scope: Construct, ctx: SynthContext): void {
  const deploy: Record<StoreName, () => void> = {
    postgres: () => postgres(scope, ctx.services, ctx),
    mongo: () => mongo(scope, ctx.services, ctx),
    redis: () => redis(scope, ctx),
    rabbitmq: () => rabbitmq(scope, ctx),
    mailpit: () => mailpit(scope, ctx),
  };
  for (const access of storeAccess(ctx.services)) deploy[access.store]();
}
