/**
 * Idempotency keys in PostgreSQL. A request first claims its key: the primary key makes
 * exactly one concurrent request the owner; the others wait until the owner stored its
 * response and then answer with that same response. The owner works outside any
 * transaction (the processor may take seconds) under a lease; if it dies, the lease runs
 * out and the next repeat takes over. Storing the response happens in the transaction
 * that writes the charge, and only while the claim is still the caller's, so a key can
 * never produce two charges.
 */
import { randomUUID } from 'node:crypto';
import { problems } from '@meshmart/kit';
import type pg from 'pg';

export interface StoredResponse {
  status: number;
  body: unknown;
}

export interface Claim {
  scope: string;
  key: string;
  owner: string;
}

export type ClaimResult = { kind: 'owner'; claim: Claim } | { kind: 'done'; response: StoredResponse };

/** The lease ran out and another request took the key over; the caller must roll back. */
export class LostClaim extends Error {
  override name = 'LostClaim';
}

export interface IdempotencyOptions {
  /** How long an owner may work on a key before a repeat may take it over. */
  leaseMs: number;
  /** How long a repeat waits for the owner's response before answering 409. */
  waitMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class IdempotencyKeys {
  constructor(
    private readonly pool: pg.Pool,
    private readonly options: IdempotencyOptions,
  ) {}

  async claim(scope: string, key: string, fingerprint: string): Promise<ClaimResult> {
    const deadline = Date.now() + this.options.waitMs;
    let pause = 20;
    for (;;) {
      const owner = randomUUID();
      // Inserts a new key, or takes over one whose owner's lease ran out without a response.
      const taken = await this.pool.query(
        `INSERT INTO idempotency_keys (scope, key, fingerprint, owner, locked_until)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
         ON CONFLICT (scope, key) DO UPDATE SET owner = EXCLUDED.owner, locked_until = EXCLUDED.locked_until
           WHERE idempotency_keys.response IS NULL
             AND idempotency_keys.locked_until < now()
             AND idempotency_keys.fingerprint = EXCLUDED.fingerprint
         RETURNING owner`,
        [scope, key, fingerprint, owner, this.options.leaseMs / 1000],
      );
      if (taken.rowCount === 1) return { kind: 'owner', claim: { scope, key, owner } };

      const { rows } = await this.pool.query<{ fingerprint: string; status: number | null; response: string | null }>(
        'SELECT fingerprint, status, response FROM idempotency_keys WHERE scope = $1 AND key = $2',
        [scope, key],
      );
      const row = rows[0];
      // Released between the two statements: claim again at once.
      if (!row) continue;
      if (row.fingerprint !== fingerprint) {
        throw problems.idempotencyKeyReused();
      }
      if (row.status !== null && row.response !== null) {
        return { kind: 'done', response: { status: row.status, body: JSON.parse(row.response) } };
      }
      if (Date.now() >= deadline) {
        throw problems.idempotencyKeyInFlight();
      }
      await sleep(pause);
      pause = Math.min(pause * 2, 250);
    }
  }

  /** Stores the final response inside the caller's transaction; throws LostClaim if the claim is gone. */
  async complete(client: pg.ClientBase, claim: Claim, response: StoredResponse): Promise<void> {
    const { rowCount } = await client.query(
      `UPDATE idempotency_keys
          SET status = $4, response = $5, owner = NULL, locked_until = NULL, completed_at = now()
        WHERE scope = $1 AND key = $2 AND owner = $3 AND response IS NULL`,
      [claim.scope, claim.key, claim.owner, response.status, JSON.stringify(response.body)],
    );
    if (rowCount !== 1) throw new LostClaim(`lost the claim on idempotency key ${claim.key}`);
  }

  /** Gives the key up without a response (e.g. the processor failed), so a repeat processes it anew. */
  async release(claim: Claim): Promise<void> {
    await this.pool.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND owner = $3 AND response IS NULL', [
      claim.scope,
      claim.key,
      claim.owner,
    ]);
  }
}
