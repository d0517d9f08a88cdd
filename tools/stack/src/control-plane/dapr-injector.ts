/**
 * Dapr's sidecar injector against the loopback control plane, set up the way
 * scripts/kind-up.sh's Helm install sets it up (chart values in
 * charts/dapr/charts/dapr_sidecar_injector of the Dapr module): daprd 1.17.13 image,
 * actors and scheduler off, capabilities dropped, mTLS off in the `daprsystem`
 * Configuration, and the chart's MutatingWebhookConfiguration called by URL.
 *
 * The injector always takes its serving certificate from Sentry, even with mTLS off:
 * it sends a CSR over gRPC and serves the SPIFFE certificate it gets back. No Sentry
 * runs here, so a stand-in on 127.0.0.1 answers `dapr.proto.sentry.v1.CA/SignCertificate`
 * by signing the CSR with the loopback CA, adding the IP SAN the API server checks when
 * it calls https://127.0.0.1:<port>/mutate. The loopback CA is the trust anchor.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { toolsBin } from '../paths.ts';
import { type Child, sleep, startChild } from '../processes.ts';
import { isPortOpen } from '../readiness.ts';
import type { ControlPlane } from './control-plane.ts';
import type { KubeObject } from './kube-client.ts';

export const daprInjectorPorts = {
  webhook: 26520,
  healthz: 26521,
  sentry: 26523,
} as const;

export const daprNamespace = 'dapr-system';
/** The daprd release scripts/kind-up.sh installs (the chart's global.tag). */
export const daprSidecarImage = 'ghcr.io/dapr/daprd:1.17.13';
const trustDomain = 'cluster.local';

export interface DaprInjector {
  child: Child;
  /** How many certificates the Sentry stand-in signed. */
  signed(): number;
  stop(): Promise<void>;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

/** Signs a CSR with the loopback CA as an X.509 SVID: one SPIFFE URI, usable for TLS on 127.0.0.1. */
function signSvid(cp: ControlPlane, dir: string, csrPem: string, spiffeId: string): string {
  const name = `svid-${randomBytes(6).toString('hex')}`;
  writeFileSync(path.join(dir, `${name}.csr`), csrPem);
  writeFileSync(
    path.join(dir, `${name}.ext`),
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=URI:${spiffeId},IP:127.0.0.1,DNS:localhost`,
      '',
    ].join('\n'),
  );
  openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', cp.certs.ca.cert, '-CAkey', cp.certs.ca.key].concat(
      ['-set_serial', `0x${randomBytes(12).toString('hex')}`, '-days', '1', '-extfile', `${name}.ext`],
      ['-out', `${name}.crt`],
    ),
    dir,
  );
  return readFileSync(path.join(dir, `${name}.crt`), 'utf8');
}

// Protocol buffers by hand: two small messages do not justify generated code.
function readVarint(buf: Buffer, start: number): [number, number] {
  let value = 0;
  let shift = 0;
  let pos = start;
  for (;;) {
    const byte = buf[pos++];
    if (byte === undefined) throw new Error('truncated varint');
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, pos];
    shift += 7;
  }
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

const bytesField = (field: number, value: Buffer) => Buffer.concat([varint((field << 3) | 2), varint(value.length), value]);
const varintField = (field: number, value: number) => Buffer.concat([varint(field << 3), varint(value)]);

interface SignRequest {
  id: string;
  trustDomain: string;
  namespace: string;
  csr: string;
}

function decodeSignRequest(buf: Buffer): SignRequest {
  const strings = new Map<number, string>();
  let pos = 0;
  while (pos < buf.length) {
    const [tag, next] = readVarint(buf, pos);
    pos = next;
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) [, pos] = readVarint(buf, pos);
    else if (wire === 2) {
      const [length, start] = readVarint(buf, pos);
      strings.set(field, buf.subarray(start, start + length).toString('utf8'));
      pos = start + length;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unexpected wire type ${wire}`);
  }
  return {
    id: strings.get(1) ?? '',
    trustDomain: strings.get(3) ?? '',
    namespace: strings.get(4) ?? '',
    csr: strings.get(5) ?? '',
  };
}

function encodeSignResponse(certPem: string, caPem: string, validUntil: Date): Buffer {
  const seconds = Math.floor(validUntil.getTime() / 1000);
  return Buffer.concat([
    bytesField(1, Buffer.from(certPem)),
    bytesField(2, Buffer.from(caPem)),
    bytesField(3, varintField(1, seconds)),
  ]);
}

/** A Sentry stand-in: signs every CSR it gets, on loopback, with a SPIFFE server certificate of its own. */
async function startSentryStandIn(cp: ControlPlane, dir: string, counter: { signed: number }): Promise<Server> {
  const key = path.join(dir, 'sentry.key');
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key], dir);
  openssl(['req', '-new', '-key', key, '-subj', '/CN=dapr-sentry', '-out', 'sentry.csr'], dir);
  const cert = signSvid(
    cp,
    dir,
    readFileSync(path.join(dir, 'sentry.csr'), 'utf8'),
    `spiffe://${trustDomain}/ns/${daprNamespace}/dapr-sentry`,
  );
  const caPem = cp.certs.caPem();
  const server = new Server();
  server.addService(
    {
      SignCertificate: {
        path: '/dapr.proto.sentry.v1.CA/SignCertificate',
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    {
      SignCertificate: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        try {
          const req = decodeSignRequest(call.request);
          const id = `spiffe://${req.trustDomain || 'public'}/ns/${req.namespace}/${req.id}`;
          const leaf = signSvid(cp, dir, req.csr, id);
          counter.signed++;
          callback(null, encodeSignResponse(leaf, caPem, new Date(Date.now() + 24 * 3600_000)));
        } catch (err) {
          callback(err as Error, null);
        }
      },
    },
  );
  const credentials = ServerCredentials.createSsl(
    null,
    [{ cert_chain: Buffer.from(cert), private_key: readFileSync(key) }],
    false,
  );
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${daprInjectorPorts.sentry}`, credentials, (err) => (err ? reject(err) : resolve())),
  );
  return server;
}

/** The chart's webhook (dapr_sidecar_injector_webhook_config.yaml with default values), called by URL. */
export function daprWebhook(url: string, caBundle: string): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'dapr-sidecar-injector', labels: { app: 'dapr-sidecar-injector' } },
    webhooks: [
      {
        name: 'sidecar-injector.dapr.io',
        reinvocationPolicy: 'IfNeeded',
        clientConfig: { url, caBundle },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE'] }],
        failurePolicy: 'Ignore',
        sideEffects: 'None',
        admissionReviewVersions: ['v1', 'v1beta1'],
      },
    ],
  };
}

async function applyObject(cp: ControlPlane, obj: KubeObject): Promise<void> {
  const res = await cp.client.apply(obj, 'meshmart-dapr-injector');
  if (res.status >= 300) throw new Error(`${obj.kind} ${obj.metadata.name}: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function startDaprInjector(cp: ControlPlane, options: { timeoutMs?: number } = {}): Promise<DaprInjector> {
  const taken: number[] = [];
  for (const port of Object.values(daprInjectorPorts)) if (await isPortOpen(port)) taken.push(port);
  if (taken.length > 0) throw new Error(`ports ${taken.join(', ')} are taken: is another Dapr injector running?`);

  const dir = path.join(cp.dir, 'dapr-injector');
  mkdirSync(dir, { recursive: true });
  const ns = await cp.client.request('GET', `/api/v1/namespaces/${daprNamespace}`);
  if (ns.status === 404) {
    await cp.client.ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: daprNamespace } });
  }
  const caPem = cp.certs.caPem();
  // What the chart installs next to the injector and the injector reads: the trust
  // bundle daprd would be given, and the system Configuration with mTLS off (Helm
  // global.mtls.enabled=false), which decides daprd's --enable-mtls.
  await applyObject(cp, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'dapr-trust-bundle', namespace: daprNamespace },
    data: { 'ca.crt': caPem },
  });
  await applyObject(cp, {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Configuration',
    metadata: { name: 'daprsystem', namespace: daprNamespace },
    spec: {
      mtls: {
        enabled: false,
        workloadCertTTL: '24h',
        allowedClockSkew: '15m',
        controlPlaneTrustDomain: trustDomain,
        sentryAddress: `dapr-sentry.${daprNamespace}.svc.cluster.local:443`,
      },
    },
  });
  // The injector patches this webhook's caBundle at start and exits if it is missing.
  await applyObject(
    cp,
    daprWebhook(`https://127.0.0.1:${daprInjectorPorts.webhook}/mutate`, Buffer.from(caPem).toString('base64')),
  );

  const counter = { signed: 0 };
  const sentry = await startSentryStandIn(cp, dir, counter);
  const child = startChild({
    name: 'cluster-dapr-injector',
    command: path.join(toolsBin, 'dapr-injector'),
    cwd: dir,
    output: 'file',
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      // The chart's environment with scripts/kind-up.sh's values.
      DAPR_TRUST_ANCHORS_FILE: cp.certs.ca.cert,
      DAPR_CONTROL_PLANE_TRUST_DOMAIN: trustDomain,
      DAPR_SENTRY_ADDRESS: `127.0.0.1:${daprInjectorPorts.sentry}`,
      KUBE_CLUSTER_DOMAIN: 'cluster.local',
      SIDECAR_IMAGE: daprSidecarImage,
      SIDECAR_IMAGE_PULL_POLICY: 'IfNotPresent',
      SIDECAR_RUN_AS_NON_ROOT: 'true',
      ENABLE_K8S_DOWNWARD_APIS: 'false',
      SIDECAR_DROP_ALL_CAPABILITIES: 'true',
      SIDECAR_READ_ONLY_ROOT_FILESYSTEM: 'true',
      NAMESPACE: daprNamespace,
      ACTORS_ENABLED: 'false',
      ACTORS_SERVICE_NAME: 'placement',
      ACTORS_SERVICE_ADDRESS: 'dapr-placement-server:50005',
      // In a pod the injector runs as a non-root user; this process may not.
      DAPR_UNSAFE_SKIP_CONTAINER_UID_GID_CHECK: 'true',
    },
    args: [
      `--kubeconfig=${cp.kubeconfig}`,
      '--listen-address=127.0.0.1',
      `--port=${daprInjectorPorts.webhook}`,
      `--healthz-port=${daprInjectorPorts.healthz}`,
      // The chart enables metrics, but Dapr 1.17.5's injector never hands
      // --metrics-listen-address to its exporter, which then listens on every interface.
      '--enable-metrics=false',
      '--scheduler-enabled=false',
      '--log-level=info',
      '--log-as-json',
    ],
  });
  const stop = async () => {
    await child.stop();
    await new Promise<void>((resolve) => sentry.tryShutdown(() => resolve()));
  };

  try {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      if (!child.running) throw new Error(`dapr-injector exited:\n${await child.lastLines(30)}`);
      const ready = await fetch(`http://127.0.0.1:${daprInjectorPorts.healthz}/healthz`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ready && (await isPortOpen(daprInjectorPorts.webhook))) break;
      if (Date.now() > deadline) throw new Error(`timed out waiting for dapr-injector:\n${await child.lastLines(30)}`);
      await sleep(250);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, signed: () => counter.signed, stop };
}
