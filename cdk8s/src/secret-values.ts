/**
 * Dev-grade secret values. Each value is an HMAC of its purpose under a random seed that
 * lives outside git (`.data/cluster-secret-seed` by default), so no password is committed
 * or shared between checkouts, yet every synth yields the same values — a redeploy must
 * not lock PostgreSQL out of the data it initialised on its volume.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export class SecretValues {
  private constructor(private readonly seed: Buffer) {}

  static fromSeed(seed: Buffer): SecretValues {
    if (seed.length < 32) throw new Error('secret seed must be at least 32 bytes');
    return new SecretValues(seed);
  }

  /** Reads the seed file, creating it with fresh randomness on first use. */
  static fromSeedFile(path: string): SecretValues {
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, randomBytes(48).toString('base64'), { mode: 0o600 });
    }
    return SecretValues.fromSeed(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64'));
  }

  /** A 32-character URL-safe value, so it can sit inside connection URLs unescaped. */
  value(purpose: string): string {
    return createHmac('sha256', this.seed).update(purpose).digest('base64url').slice(0, 32);
  }
}
