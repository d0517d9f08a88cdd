/**
 * The real topology plus services shaped like the ones still to come (a gRPC-only app
 * with an admin port, a MongoDB owner, SMTP and blob users, a subscriber), so every
 * branch of the generators is exercised before those services exist.
 */
import { type ServiceSpec, services } from '@meshmart/kit/topology';

function spec(
  s: Omit<ServiceSpec, 'name' | 'calls'> & { name: string; calls: Array<{ to: string; kind: 'http' | 'grpc'; purpose: string }> },
): ServiceSpec {
  return s as unknown as ServiceSpec;
}

export const extendedServices: readonly ServiceSpec[] = [
  ...services.map((s) =>
    s.name === 'gateway'
      ? spec({
          ...s,
          calls: [
            ...s.calls,
            { to: 'qrlike', kind: 'grpc', purpose: 'test' },
            { to: 'cataloglike', kind: 'http', purpose: 'test' },
          ],
        })
      : s,
  ),
  spec({
    name: 'qrlike',
    description: 'gRPC-only app with blobs',
    appProtocol: 'grpc',
    port: 50051,
    adminPort: 9464,
    grpcServices: ['meshmart.qr.v1.Qr'],
    public: false,
    calls: [],
    publishes: ['qr.generated'],
    subscribes: [],
    components: ['statestore', 'pubsub', 'blobstore'],
    postgresDatabase: 'qrlike',
    scalesOut: true,
  }),
  spec({
    name: 'cataloglike',
    description: 'MongoDB owner that mails and reads flags',
    appProtocol: 'http',
    port: 8082,
    grpcServices: [],
    public: false,
    calls: [{ to: 'users', kind: 'grpc', purpose: 'test' }],
    publishes: [],
    subscribes: ['user.registered'],
    components: ['pubsub', 'smtp', 'configstore'],
    mongoDatabase: 'cataloglike',
    scalesOut: false,
  }),
];
