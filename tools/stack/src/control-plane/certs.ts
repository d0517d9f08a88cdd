/**
 * Certificates for the loopback control plane, made with openssl (Node can sign nothing
 * X.509): one CA that signs the API server's serving certificate, the admin client's
 * certificate (group system:masters) and each webhook's serving certificate, plus the
 * service-account signing key. Throwaway: a new set per run, in the run's directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface KeyPair {
  cert: string;
  key: string;
}

export interface ClusterCerts {
  dir: string;
  ca: KeyPair;
  apiServer: KeyPair;
  admin: KeyPair;
  serviceAccount: { key: string; pub: string };
  /** A serving certificate for a webhook on 127.0.0.1, signed by the CA. */
  serving(name: string): KeyPair;
  caPem(): string;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

function signed(dir: string, name: string, subject: string, extensions: string): KeyPair {
  const pair = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  const ext = path.join(dir, `${name}.ext`);
  writeFileSync(ext, extensions);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', pair.key], dir);
  openssl(['req', '-new', '-key', pair.key, '-subj', subject, '-out', `${name}.csr`], dir);
  openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2'].concat([
      '-extfile',
      ext,
      '-out',
      pair.cert,
    ]),
    dir,
  );
  return pair;
}

const servingExtensions =
  'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n';

export function makeClusterCerts(dir: string): ClusterCerts {
  mkdirSync(dir, { recursive: true });
  const ca = { cert: path.join(dir, 'ca.crt'), key: path.join(dir, 'ca.key') };
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', ca.key], dir);
  openssl(['req', '-x509', '-new', '-key', ca.key, '-subj', '/CN=meshmart-loopback-ca', '-days', '2', '-out', ca.cert], dir);
  const serviceAccount = { key: path.join(dir, 'sa.key'), pub: path.join(dir, 'sa.pub') };
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', serviceAccount.key], dir);
  openssl(['ec', '-in', serviceAccount.key, '-pubout', '-out', serviceAccount.pub], dir);
  return {
    dir,
    ca,
    apiServer: signed(dir, 'apiserver', '/CN=kube-apiserver', servingExtensions),
    admin: signed(dir, 'admin', '/O=system:masters/CN=meshmart-admin', 'extendedKeyUsage=clientAuth\n'),
    serviceAccount,
    serving: (name) => signed(dir, name, `/CN=${name}`, servingExtensions),
    caPem: () => readFileSync(ca.cert, 'utf8'),
  };
}
