/**
 * A small client for the loopback API server: requests with the admin client
 * certificate, server-side apply with strict field validation, and the discovery needed
 * to find the REST path of any kind (CRDs included). Every `Warning` header the server
 * sends is kept with the response: an unknown field under "Warn" validation, a deprecated
 * API or a PodSecurity warning is a finding, not noise.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { ClusterCerts } from './certs.ts';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
  warnings: string[];
}

interface ResourceInfo {
  /** `/api/v1` or `/apis/<group>/<version>`. */
  base: string;
  plural: string;
  namespaced: boolean;
}

export class KubeClient {
  private readonly key: Buffer;
  private readonly cert: Buffer;
  private readonly ca: Buffer;
  private resources = new Map<string, ResourceInfo>();

  constructor(
    readonly server: { host: string; port: number },
    certs: Pick<ClusterCerts, 'admin' | 'ca'>,
  ) {
    this.key = readFileSync(certs.admin.key);
    this.cert = readFileSync(certs.admin.cert);
    this.ca = readFileSync(certs.ca.cert);
  }

  request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<KubeResponse<T>> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.server.host,
          port: this.server.port,
          method,
          path,
          key: this.key,
          cert: this.cert,
          ca: this.ca,
          headers: {
            accept: 'application/json',
            ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
          },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const warning = res.headers.warning;
            const warnings = (Array.isArray(warning) ? warning : warning ? [warning] : []).map((w) =>
              w.replace(/^299 - "?|"$/g, ''),
            );
            let parsed: unknown = text;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              // Not JSON (e.g. /healthz): keep the text.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T, warnings });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  async ok<T = unknown>(method: string, path: string, body?: unknown, contentType?: string): Promise<KubeResponse<T>> {
    const res = await this.request<T>(method, path, body, contentType);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  }

  /** Reads every served resource; call again after installing CRDs. */
  async discover(): Promise<void> {
    const found = new Map<string, ResourceInfo>();
    const bases = ['/api/v1'];
    const groups = await this.ok<{ groups: Array<{ versions: Array<{ groupVersion: string }> }> }>('GET', '/apis');
    for (const g of groups.body.groups) for (const v of g.versions) bases.push(`/apis/${v.groupVersion}`);
    for (const base of bases) {
      const list = await this.ok<{ groupVersion: string; resources: Array<{ name: string; kind: string; namespaced: boolean }> }>(
        'GET',
        base,
      );
      for (const r of list.body.resources) {
        if (r.name.includes('/')) continue;
        found.set(`${list.body.groupVersion}/${r.kind}`, { base, plural: r.name, namespaced: r.namespaced });
      }
    }
    this.resources = found;
  }

  /** The REST path of an object (or of its collection, without a name; namespace '*': all). */
  path(apiVersion: string, kind: string, namespace?: string, name?: string): string {
    const info = this.resources.get(`${apiVersion}/${kind}`);
    if (!info) throw new Error(`the API server does not serve ${kind} in ${apiVersion}`);
    const ns = info.namespaced && namespace !== '*' ? `/namespaces/${namespace ?? 'default'}` : '';
    return `${info.base}${ns}/${info.plural}${name ? `/${name}` : ''}`;
  }

  /** Server-side apply with strict field validation: an unknown or duplicate field is an error. */
  apply(obj: KubeObject, fieldManager = 'meshmart'): Promise<KubeResponse<KubeObject>> {
    const path = this.path(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
    const query = `?fieldManager=${fieldManager}&fieldValidation=Strict&force=true`;
    return this.request<KubeObject>('PATCH', path + query, obj, 'application/apply-patch+yaml');
  }

  async list<T = KubeObject>(apiVersion: string, kind: string, namespace?: string): Promise<T[]> {
    const res = await this.ok<{ items: T[] }>('GET', this.path(apiVersion, kind, namespace));
    return res.body.items;
  }
}
