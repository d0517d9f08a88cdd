/**
 * Refresh sessions in the Dapr state store, keyed by the hash of the refresh token.
 * Refreshing rotates the token: the old entry is deleted with its ETag, so two
 * concurrent refreshes with one token cannot both succeed. Logout deletes the entry.
 */
import type { Sidecar } from '@meshmart/kit';
import { hashToken, newRefreshToken } from './tokens.ts';

export interface Session {
  userId: string;
  createdAt: string;
  expiresAt: string;
}

export class Sessions {
  constructor(
    private readonly sidecar: Sidecar,
    private readonly store: string,
    private readonly ttlSeconds: number,
  ) {}

  private key(token: string): string {
    return `session:${hashToken(token)}`;
  }

  async open(userId: string): Promise<string> {
    const token = newRefreshToken();
    const now = Date.now();
    const session: Session = {
      userId,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.ttlSeconds * 1000).toISOString(),
    };
    await this.sidecar.saveState(this.store, {
      key: this.key(token),
      value: session,
      ttlSeconds: this.ttlSeconds,
      firstWrite: true,
    });
    return token;
  }

  /** Consumes a refresh token; undefined when it is unknown, expired or already used. */
  async consume(token: string): Promise<Session | undefined> {
    const { value, etag } = await this.sidecar.getState<Session>(this.store, this.key(token));
    if (!value || !etag) return undefined;
    // Claim the token with its ETag first: of two racing refreshes only one wins.
    const claimed = await this.sidecar.saveState(this.store, {
      key: this.key(token),
      value: { ...value, expiresAt: new Date(0).toISOString() },
      etag,
      ttlSeconds: 60,
    });
    if (!claimed) return undefined;
    await this.sidecar.deleteState(this.store, this.key(token));
    return Date.parse(value.expiresAt) > Date.now() ? value : undefined;
  }

  async close(token: string): Promise<void> {
    await this.sidecar.deleteState(this.store, this.key(token));
  }
}
