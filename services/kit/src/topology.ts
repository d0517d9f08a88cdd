/**
 * The one description of the system. cdk8s manifests, the local stack, Dapr component
 * scopes, Istio AuthorizationPolicies and the call-graph tests all read it, so adding a
 * service means adding an entry here and a folder under services/.
 */

/** How the sidecar talks to the app on its app port. */
export type AppProtocol = 'http' | 'grpc';

/** What a caller uses on one edge of the call graph. */
export type CallKind = 'http' | 'grpc';

export interface Call {
  /** Dapr app id of the callee. */
  to: ServiceName;
  kind: CallKind;
  /** Why the edge exists; shown in generated docs and policy comments. */
  purpose: string;
}

export interface ServiceSpec {
  name: ServiceName;
  description: string;
  /** Protocol Dapr uses on the app port. HTTP apps may also accept gRPC on that port. */
  appProtocol: AppProtocol;
  /** In-cluster app port (the sidecar's --app-port). */
  port: number;
  /** gRPC services (fully qualified) served on the app port. */
  grpcServices: string[];
  /**
   * Port of the plain-HTTP admin server (/healthz, /readyz, /metrics) for apps whose app
   * port speaks only gRPC. HTTP apps serve these on the app port.
   */
  adminPort?: number;
  /** Reached from outside the mesh through the ingress. */
  public: boolean;
  calls: Call[];
  publishes: Topic[];
  subscribes: Topic[];
  /** Dapr components the app needs; used to scope component access. */
  components: ComponentName[];
  /**
   * Of those, the ones the app keeps serving without (fail-open caches and counters;
   * the fault-flag store, whose flags keep their last values):
   * its readiness does not depend on them, so an outage of one degrades the app
   * instead of taking it out of its Service's endpoints.
   */
  degradesWithout?: ComponentName[];
  /** Owned PostgreSQL database, if any. */
  postgresDatabase?: string;
  /** Owned MongoDB database, if any. */
  mongoDatabase?: string;
  /** Hot path that scales horizontally (gets an HPA in the cluster). */
  scalesOut: boolean;
}

export const componentNames = ['statestore', 'pubsub', 'secretstore', 'configstore', 'smtp', 'blobstore'] as const;
export type ComponentName = (typeof componentNames)[number];

export const topics = [
  'user.registered',
  'product.created',
  'product.updated',
  'product.deleted',
  'inventory.low_stock',
  'inventory.stock_changed',
  'order.created',
  'order.paid',
  'order.cancelled',
  'order.failed',
  'payment.succeeded',
  'payment.failed',
  'payment.refunded',
  'link.created',
  'link.clicked',
  'qr.generated',
] as const;
export type Topic = (typeof topics)[number];

export const serviceNames = [
  'gateway',
  'users',
  'catalog',
  'orders',
  'payments',
  'notifications',
  'analytics',
  'qr',
  'links',
  'web',
  'search',
  'inventory',
  'recommendations',
] as const;
export type ServiceName = (typeof serviceNames)[number];

export const services: readonly ServiceSpec[] = [
  {
    name: 'gateway',
    description: 'Single entry: REST API, JWT verification, rate limits, REST to gRPC translation',
    appProtocol: 'http',
    port: 3000,
    grpcServices: [],
    public: true,
    calls: [
      { to: 'users', kind: 'http', purpose: 'auth, profile and address routes; JWKS' },
      { to: 'catalog', kind: 'http', purpose: 'product and category routes' },
      { to: 'inventory', kind: 'http', purpose: 'stock and movement routes for admins' },
      { to: 'orders', kind: 'http', purpose: 'checkout, order history, cancel' },
      { to: 'notifications', kind: 'http', purpose: 'in-app notifications of the signed-in user' },
      { to: 'links', kind: 'grpc', purpose: 'short links, redirects and live click statistics' },
      { to: 'qr', kind: 'grpc', purpose: 'QR codes, single and batch with progress' },
      { to: 'analytics', kind: 'http', purpose: 'client event tracking, dashboard and usage reports' },
      { to: 'web', kind: 'http', purpose: 'the web UI: every GET outside the API' },
      { to: 'search', kind: 'http', purpose: 'product search, suggestions and index rebuilds' },
      { to: 'recommendations', kind: 'grpc', purpose: 'bought-together and for-you recommendations' },
    ],
    publishes: [],
    subscribes: [],
    components: ['statestore'],
    degradesWithout: ['statestore'],
    scalesOut: true,
  },
  {
    name: 'users',
    description: 'Accounts, login, JWT issue with JWKS, refresh sessions, profiles, addresses, roles',
    appProtocol: 'http',
    port: 8080,
    grpcServices: ['meshmart.users.v1.UsersInternalService'],
    public: false,
    calls: [],
    publishes: ['user.registered'],
    subscribes: [],
    components: ['statestore', 'pubsub', 'secretstore'],
    postgresDatabase: 'users',
    scalesOut: false,
  },
  {
    name: 'catalog',
    description: 'Products, categories and prices; availability shown from inventory.stock_changed',
    appProtocol: 'http',
    port: 8082,
    grpcServices: [],
    public: false,
    calls: [{ to: 'users', kind: 'http', purpose: 'JWKS to verify admin tokens' }],
    publishes: ['product.created', 'product.updated', 'product.deleted'],
    subscribes: ['inventory.stock_changed'],
    components: ['pubsub'],
    mongoDatabase: 'catalog',
    scalesOut: true,
  },
  {
    name: 'orders',
    description: 'Checkout saga, order status and history, idempotency keys, outbox',
    appProtocol: 'http',
    port: 8083,
    grpcServices: [],
    public: false,
    calls: [
      { to: 'users', kind: 'grpc', purpose: 'GetUser: the buyer and the shipping address' },
      { to: 'users', kind: 'http', purpose: 'JWKS to verify the buyer token' },
      { to: 'catalog', kind: 'http', purpose: 'product names and prices, read before the order is written' },
      { to: 'inventory', kind: 'grpc', purpose: 'Reserve, Commit and Release stock' },
      { to: 'payments', kind: 'http', purpose: 'charge and refund' },
    ],
    publishes: ['order.created', 'order.paid', 'order.cancelled', 'order.failed'],
    subscribes: ['payment.succeeded', 'payment.failed', 'payment.refunded'],
    components: ['pubsub'],
    postgresDatabase: 'orders',
    scalesOut: false,
  },
  {
    name: 'payments',
    description: 'Simulated card processor: idempotent charges and refunds with deterministic test cards',
    appProtocol: 'http',
    port: 8084,
    grpcServices: [],
    public: false,
    calls: [],
    publishes: ['payment.succeeded', 'payment.failed', 'payment.refunded'],
    subscribes: [],
    components: ['pubsub', 'configstore'],
    degradesWithout: ['configstore'],
    postgresDatabase: 'payments',
    scalesOut: false,
  },
  {
    name: 'notifications',
    description: 'E-mail through the Dapr SMTP binding and in-app notifications',
    appProtocol: 'http',
    port: 8085,
    grpcServices: [],
    public: false,
    calls: [{ to: 'users', kind: 'http', purpose: 'JWKS to verify the reader token' }],
    publishes: [],
    subscribes: ['user.registered', 'order.paid', 'order.cancelled', 'order.failed', 'inventory.low_stock'],
    components: ['pubsub', 'smtp', 'configstore'],
    degradesWithout: ['configstore'],
    postgresDatabase: 'notifications',
    scalesOut: false,
  },
  {
    name: 'analytics',
    description: 'Event tracking and hourly/daily rollups of every domain event; dashboard and usage reports',
    appProtocol: 'http',
    port: 8081,
    grpcServices: [],
    public: false,
    calls: [{ to: 'users', kind: 'http', purpose: 'JWKS to verify the reader token' }],
    publishes: [],
    subscribes: [...topics],
    components: ['pubsub', 'statestore'],
    degradesWithout: ['statestore'],
    postgresDatabase: 'analytics',
    scalesOut: false,
  },
  {
    name: 'qr',
    description: 'QR codes as PNG or SVG, cached by content and options; batches streamed with progress',
    appProtocol: 'grpc',
    port: 50051,
    grpcServices: ['meshmart.qr.v1.QRService'],
    adminPort: 9091,
    public: false,
    calls: [],
    publishes: ['qr.generated'],
    subscribes: [],
    components: ['statestore', 'pubsub', 'blobstore'],
    degradesWithout: ['statestore'],
    postgresDatabase: 'qr',
    scalesOut: true,
  },
  {
    name: 'links',
    description: 'Short links with aliases and expiry, cached redirects, click statistics (unary and streamed)',
    appProtocol: 'grpc',
    port: 50052,
    grpcServices: ['meshmart.links.v1.LinksService'],
    adminPort: 9092,
    public: false,
    calls: [],
    publishes: ['link.created', 'link.clicked'],
    subscribes: [],
    components: ['statestore', 'pubsub', 'configstore'],
    degradesWithout: ['statestore', 'configstore'],
    postgresDatabase: 'links',
    scalesOut: true,
  },
  {
    name: 'web',
    description: 'Browser UI: store, account, links and QR codes, analytics, admin and the trace of each request',
    appProtocol: 'http',
    port: 8090,
    grpcServices: [],
    public: false,
    calls: [],
    publishes: [],
    subscribes: [],
    components: [],
    scalesOut: true,
  },
  {
    name: 'search',
    description: 'Full-text product search with facets and suggestions: a read model of product and stock events',
    appProtocol: 'http',
    port: 8086,
    grpcServices: [],
    public: false,
    calls: [
      { to: 'users', kind: 'http', purpose: 'JWKS to verify admin tokens' },
      { to: 'catalog', kind: 'http', purpose: 'rebuild the index from the product list' },
    ],
    publishes: [],
    subscribes: ['product.created', 'product.updated', 'product.deleted', 'inventory.stock_changed'],
    components: ['pubsub'],
    postgresDatabase: 'search',
    scalesOut: true,
  },
  {
    name: 'inventory',
    description:
      'Stock per product; reservations held, released, committed and expired all or nothing; adjustments; movement history',
    // HTTP with gRPC on the same port, as users: it takes pub/sub deliveries and admin
    // REST calls besides the InventoryService.
    appProtocol: 'http',
    port: 8087,
    grpcServices: ['meshmart.inventory.v1.InventoryService'],
    public: false,
    calls: [{ to: 'users', kind: 'http', purpose: 'JWKS to verify admin tokens' }],
    publishes: ['inventory.low_stock', 'inventory.stock_changed'],
    subscribes: ['product.created', 'product.updated', 'product.deleted', 'order.cancelled'],
    components: ['pubsub', 'configstore'],
    degradesWithout: ['configstore'],
    postgresDatabase: 'inventory',
    scalesOut: true,
  },
  {
    name: 'recommendations',
    description: 'Bought-together, for-you and best-seller recommendations: a read model of orders, products and stock',
    // HTTP for pub/sub deliveries and probes; the gRPC API shares the port, as users' does.
    appProtocol: 'http',
    port: 8088,
    grpcServices: ['meshmart.recommendations.v1.RecommendationsService'],
    public: false,
    calls: [],
    publishes: [],
    subscribes: [
      'order.paid',
      'order.cancelled',
      'product.created',
      'product.updated',
      'product.deleted',
      'inventory.stock_changed',
    ],
    components: ['pubsub'],
    postgresDatabase: 'recommendations',
    scalesOut: true,
  },
];

export function service(name: ServiceName): ServiceSpec {
  const spec = services.find((s) => s.name === name);
  if (!spec) throw new Error(`unknown service ${name}`);
  return spec;
}

/** Every caller → callee edge, for policies and call-graph tests. */
export function edges(): Array<{ from: ServiceName; to: ServiceName; kind: CallKind }> {
  return services.flatMap((s) => s.calls.map((c) => ({ from: s.name, to: c.to, kind: c.kind })));
}

/** Apps subscribed to a topic; pub/sub deliveries are calls from the callee's sidecar. */
export function subscribersOf(topic: Topic): ServiceName[] {
  return services.filter((s) => s.subscribes.includes(topic)).map((s) => s.name);
}

/** Components without which the app cannot serve: what its readiness checks. */
export function requiredComponents(spec: ServiceSpec): ComponentName[] {
  return spec.components.filter((c) => !spec.degradesWithout?.includes(c));
}

export function appsUsing(component: ComponentName, topology: readonly ServiceSpec[] = services): ServiceName[] {
  return topology.filter((s) => s.components.includes(component)).map((s) => s.name);
}
