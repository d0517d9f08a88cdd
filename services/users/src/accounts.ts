/** Register, login, refresh and logout: the rules, independent of HTTP. */
import type { TokenPair, User } from '@meshmart/contracts/users';
import { counter, problems } from '@meshmart/kit';
import argon2 from 'argon2';
import type { Sessions } from './sessions.ts';
import type { SigningKeys } from './signing-keys.ts';
import { issueAccessToken, type TokenSettings } from './tokens.ts';
import type { UsersRepo } from './users-store.ts';

const registered = counter('users_registered_total', 'Accounts created');
const logins = counter('users_logins_total', 'Login attempts by outcome', ['outcome']);
// Each outcome's series exists from the start at 0: a series born at 1 between two
// scrapes shows no rate, so a burst of logins right after start would chart as none.
for (const outcome of ['ok', 'rejected'] as const) logins.inc({ outcome }, 0);

// argon2id with OWASP's recommended minimums (19 MiB, 2 passes).
const HASH_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export class Accounts {
  /** Verified against when the e-mail is unknown, so a miss costs as much as a hit. */
  private decoyHash: Promise<string>;

  constructor(
    private readonly repo: UsersRepo,
    private readonly keys: SigningKeys,
    private readonly sessions: Sessions,
    private readonly tokens: TokenSettings,
  ) {
    this.decoyHash = argon2.hash('decoy password that matches nothing', HASH_OPTIONS);
  }

  async register(input: { email: string; password: string; displayName: string }, roles = ['customer']): Promise<User> {
    const passwordHash = await argon2.hash(input.password, HASH_OPTIONS);
    const user = await this.repo.create({ email: input.email, passwordHash, displayName: input.displayName, roles });
    registered.inc();
    return user;
  }

  async login(email: string, password: string): Promise<TokenPair> {
    const found = await this.repo.credentials(email);
    const ok = await argon2.verify(found?.passwordHash ?? (await this.decoyHash), password);
    if (!found || !ok) {
      logins.inc({ outcome: 'rejected' });
      throw problems.unauthorized('wrong e-mail or password');
    }
    logins.inc({ outcome: 'ok' });
    return this.issue(found.user);
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const session = await this.sessions.consume(refreshToken);
    const user = session && (await this.repo.byId(session.userId));
    if (!user) throw problems.unauthorized('refresh token is invalid, expired or already used');
    return this.issue(user);
  }

  async logout(refreshToken: string): Promise<void> {
    await this.sessions.close(refreshToken);
  }

  /** Creates the configured admin account, or grants the role to an existing one. */
  async bootstrapAdmin(email: string, password: string | undefined): Promise<'created' | 'granted' | 'absent'> {
    if (await this.repo.credentials(email)) {
      await this.repo.grantRole(email, 'admin');
      return 'granted';
    }
    if (!password) return 'absent';
    try {
      await this.register({ email, password, displayName: 'Administrator' }, ['customer', 'admin']);
      return 'created';
    } catch (err) {
      // Another replica created it first.
      if ((err as { status?: number }).status === 409) return 'granted';
      throw err;
    }
  }

  private async issue(user: User): Promise<TokenPair> {
    const [accessToken, refreshToken] = await Promise.all([
      issueAccessToken(this.keys, this.tokens, user),
      this.sessions.open(user.id),
    ]);
    return { accessToken, tokenType: 'Bearer', expiresIn: this.tokens.accessTtlSeconds, refreshToken, user };
  }
}
