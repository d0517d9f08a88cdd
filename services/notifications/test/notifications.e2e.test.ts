/**
 * notifications in the real local stack: a registration through the gateway publishes
 * user.registered through users' outbox and RabbitMQ; notifications' sidecar delivers it,
 * the welcome e-mail goes out through the Dapr smtp binding to the stack's SMTP sink,
 * and the in-app notification is read back through a sidecar with the user's token.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createPool } from '@meshmart/kit';
import { infraUrls, mailDir, type StackHandle, startStack } from '@meshmart/stack';
import { eventually } from '@meshmart/test-support';

interface Listing {
  items: Array<{ id: string; kind: string; title: string; body: string; read: boolean; createdAt: string }>;
  total: number;
}

/** Undoes quoted-printable (RFC 2045), the body encoding of Dapr's smtp binding. */
function decodeQuotedPrintable(text: string): string {
  const bytes = text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** Every message the SMTP sink stored for this recipient. */
async function mailTo(address: string): Promise<string[]> {
  const dir = mailDir();
  const names = await readdir(dir).catch(() => [] as string[]);
  const messages = await Promise.all(names.filter((n) => n.endsWith('.eml')).map((n) => readFile(path.join(dir, n), 'utf8')));
  return messages.filter((m) => new RegExp(`^X-Envelope-To: ${address.replace(/[.+]/g, '\\$&')}\\r?$`, 'm').test(m));
}

describe('notifications through the local stack', function () {
  this.timeout(120_000);
  let stack: StackHandle;

  before(async function () {
    this.timeout(300_000);
    // Only what this flow needs, so the test does not depend on unrelated services.
    stack = await startStack({ quiet: true, services: ['gateway', 'users', 'notifications'] });
  });

  after(async () => {
    await stack?.stop();
  });

  async function signUp(displayName: string) {
    const email = `e2e-${randomUUID()}@meshmart.test`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const post = (p: string, body: unknown) =>
      fetch(stack.urls.gateway + p, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const created = await post('/api/auth/register', { email, password, displayName });
    assert.equal(created.status, 201, await created.clone().text());
    const login = await post('/api/auth/login', { email, password });
    assert.equal(login.status, 200);
    const { accessToken, user } = (await login.json()) as { accessToken: string; user: { id: string } };
    return { email, accessToken, userId: user.id };
  }

  /** notifications' REST API through the gateway's sidecar, as the gateway calls it. */
  const invoke = (method: string, p: string, token: string) =>
    fetch(`${stack.urls.services.gateway?.dapr}/v1.0/invoke/notifications/method/${p}`, {
      method,
      headers: {
        'dapr-api-token': stack.tokens.daprApiToken,
        authorization: `Bearer ${token}`,
        // daprd forwards even an empty POST body chunked, and the kit wants a JSON type on any body.
        ...(method === 'POST' && { 'content-type': 'application/json' }),
      },
    });

  const listing = async (token: string, query = '') => {
    const res = await invoke('GET', `notifications${query}`, token);
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as Listing;
  };

  it('mails a welcome to a new user through the smtp binding, once', async () => {
    const started = performance.now();
    const { email } = await signUp('Grace <Hopper>');
    const [message] = await eventually('the welcome e-mail in the SMTP sink', async () => {
      const found = await mailTo(email);
      return found.length > 0 ? found : undefined;
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    process.stdout.write(`      (welcome e-mail in the sink ${seconds} s after registering)\n`);
    assert.ok(message);
    assert.match(message, /^Subject: Welcome to meshmart\r?$/m);
    assert.match(message, /^From: meshmart@localhost\r?$/m);
    assert.match(message, /^Content-Type: text\/html; charset=UTF-8\r?$/m);
    const body = decodeQuotedPrintable(
      message
        .split(/\r?\n\r?\n/)
        .slice(1)
        .join('\n\n'),
    );
    assert.match(body, /Hi Grace &#60;Hopper&#62;, your account/);
    // Give a redelivery or a second send time to show up; there must be none.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal((await mailTo(email)).length, 1);
  });

  it('sends e-mail left pending by a failed send or a crash from its retry loop, through the real binding', async () => {
    const pool = createPool(infraUrls.postgres('notifications'), 1);
    try {
      const id = randomUUID();
      const to = `retry-${randomUUID()}@meshmart.test`;
      await pool.query(
        `INSERT INTO outgoing_emails (id, event_id, kind, email_to, subject, html, attempts, last_error)
         VALUES ($1, $2, 'welcome', $3, 'Retried', '<p>sent by the retry loop</p>', 1, 'simulated failure')`,
        [id, randomUUID(), to],
      );
      const [message] = await eventually('the retried e-mail in the SMTP sink', async () => {
        const found = await mailTo(to);
        return found.length > 0 ? found : undefined;
      });
      assert.match(message ?? '', /^Subject: Retried\r?$/m);
      const { rows } = await pool.query('SELECT status, attempts, last_error FROM outgoing_emails WHERE id = $1', [id]);
      assert.deepEqual(rows[0], { status: 'sent', attempts: 2, last_error: null });
    } finally {
      await pool.end();
    }
  });

  it('lists the in-app welcome for its user only, and marks it read', async () => {
    const ann = await signUp('Ann');
    const bob = await signUp('Bob');
    const annList = await eventually('the in-app welcome', async () => {
      const list = await listing(ann.accessToken);
      return list.total > 0 ? list : undefined;
    });
    assert.equal(annList.total, 1);
    const [welcome] = annList.items;
    assert.equal(welcome?.kind, 'welcome');
    assert.equal(welcome?.title, 'Welcome to meshmart');
    assert.equal(welcome?.read, false);
    assert.match(welcome?.body ?? '', new RegExp(`your account ${ann.email.replace(/[.]/g, '\\.')} is ready`));

    const bobList = await eventually('the second user’s welcome', async () => {
      const list = await listing(bob.accessToken);
      return list.total > 0 ? list : undefined;
    });
    assert.deepEqual(
      bobList.items.map((n) => n.id === welcome?.id),
      [false],
    );

    assert.equal((await invoke('POST', `notifications/${welcome?.id}/read`, bob.accessToken)).status, 404);
    assert.equal((await invoke('POST', `notifications/${welcome?.id}/read`, ann.accessToken)).status, 204);
    assert.equal((await listing(ann.accessToken, '?unread=true')).total, 0);
    assert.equal((await listing(ann.accessToken)).items[0]?.read, true);
  });

  it('refuses a forged token and unknown query parameters', async () => {
    const { accessToken } = await signUp('Eve');
    const [header, payload] = accessToken.split('.');
    const forged = `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`;
    const res = await invoke('GET', 'notifications', forged);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
    const bad = await invoke('GET', 'notifications?limit=1000&sort=$gt', accessToken);
    assert.equal(bad.status, 400);
    const problem = (await bad.json()) as { errors: Array<{ field: string }> };
    assert.deepEqual(problem.errors.map((e) => e.field).sort(), ['limit', 'sort']);
  });
});
