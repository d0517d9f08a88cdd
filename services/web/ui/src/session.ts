/**
 * The signed-in session, in memory only. users issues a short-lived access token and a
 * refresh token that is spent on use (each refresh returns a new pair and revokes the old
 * one); the API takes the refresh token in the request body, not from a cookie. Neither
 * token is written to localStorage or sessionStorage, where any script on the origin
 * could read it at any later time: a reload signs the user out, which is the price of
 * keeping them out of storage. The access token is refreshed shortly before it expires,
 * and at most one refresh is in flight, so a rotation is never raced by a second one.
 */
import { ApiError } from './problem.ts';
import { Store } from './store.ts';
import type { TokenPair, User } from './types.ts';

interface Tokens {
  access: string;
  refresh: string;
  expiresAt: number;
}

/** Refresh this long before the access token expires. */
const EARLY_MS = 30_000;

class Session {
  readonly user = new Store<User | null>(null);
  private tokens: Tokens | null = null;
  private refreshing: Promise<boolean> | null = null;

  private accept(pair: TokenPair): void {
    this.tokens = { access: pair.accessToken, refresh: pair.refreshToken, expiresAt: Date.now() + pair.expiresIn * 1000 };
    this.user.value = pair.user;
  }

  async signIn(email: string, password: string): Promise<void> {
    this.accept(await post<TokenPair>('/api/auth/login', { email, password }));
  }

  async signUp(email: string, password: string, displayName: string): Promise<void> {
    await post('/api/auth/register', { email, password, displayName });
    await this.signIn(email, password);
  }

  async signOut(): Promise<void> {
    const refreshToken = this.tokens?.refresh;
    this.tokens = null;
    this.user.value = null;
    if (refreshToken) await post('/api/auth/logout', { refreshToken }).catch(() => undefined);
  }

  /** A valid access token, refreshed first when it is about to expire; null when signed out. */
  async accessToken(): Promise<string | null> {
    if (!this.tokens) return null;
    if (Date.now() > this.tokens.expiresAt - EARLY_MS) await this.refresh();
    return this.tokens?.access ?? null;
  }

  /** Rotates the refresh token; false (and signed out) when the session is over. */
  refresh(): Promise<boolean> {
    this.refreshing ??= (async () => {
      const refreshToken = this.tokens?.refresh;
      if (!refreshToken) return false;
      try {
        this.accept(await post<TokenPair>('/api/auth/refresh', { refreshToken }));
        return true;
      } catch {
        this.tokens = null;
        this.user.value = null;
        return false;
      }
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  isAdmin(): boolean {
    return this.user.value?.roles.includes('admin') ?? false;
  }
}

/** Auth calls go around api.ts: they are what api.ts uses to get a token. */
async function post<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as { detail?: string; errors?: [] };
    throw new ApiError(response.status, problem.detail ?? `HTTP ${response.status}`, problem.errors ?? []);
  }
  return (response.status === 204 ? undefined : await response.json()) as T;
}

export const session = new Session();
