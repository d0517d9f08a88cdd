/**
 * Access tokens that passed their signature check, remembered until they expire or
 * `maxAgeMs` passes, whichever comes first, so a client's next requests skip the ES256
 * verification (the largest CPU cost of an authenticated request). `maxAgeMs` is the age
 * of the keys they were checked with: a key withdrawn from the key set stops its tokens
 * within that age, as it would with the cached keys alone.
 */

/** Verified tokens kept at once by default; the oldest goes first. */
const KEPT = 10_000;

export class VerifiedTokens<T> {
  private readonly entries = new Map<string, { value: T; until: number }>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly kept = KEPT,
  ) {}

  /** What `token` was verified as, while that still holds. */
  get(token: string): T | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (Date.now() < entry.until) return entry.value;
    this.entries.delete(token);
    return undefined;
  }

  /** Remembers a token that passed, with its `exp` claim in seconds. */
  remember(token: string, value: T, expSeconds: number): void {
    if (this.entries.size >= this.kept) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(token, { value, until: Math.min(expSeconds * 1000, Date.now() + this.maxAgeMs) });
  }
}
