/**
 * Fault flags: switches an operator sets in the `configstore` component (Redis locally,
 * the same keys through the Configuration component in the cluster) to make one service
 * misbehave on purpose, so that retries, breakers, compensation and dashboards can be
 * watched doing their work. A service reads its flags once through its sidecar and then
 * follows them live over Dapr's configuration subscription (a gRPC stream from the
 * sidecar), so a change takes effect without a restart.
 *
 * Flags are typed by key: the table below is the one list; `npm run stack -- flag` writes
 * only these keys with values these parsers accept. A value that does not parse leaves
 * the flag off and is logged, so a typo cannot break a service. Without a store, or
 * while the sidecar is away, flags keep their last values: they never gate serving.
 */
import type { Sidecar } from './dapr.ts';
import type { Logger } from './logging.ts';
import { counter, gauge, memo } from './metrics.ts';
import type { ConfigurationSubscription } from './sidecar-configuration.ts';
import type { ServiceName } from './topology.ts';

/** Dapr component that holds the flags. */
export const FLAG_STORE = 'configstore';

/** ratio: 0..1, a share of calls; delay: milliseconds added; switch: on or off. */
export type FlagKind = 'ratio' | 'delay' | 'switch';

export interface FlagSpec {
  service: ServiceName;
  kind: FlagKind;
  /** What a set flag does, as `flag list` and the README show it. */
  effect: string;
}

export const faultFlags = {
  'payments.failure-rate': {
    service: 'payments',
    kind: 'ratio',
    effect: 'this share of charges fails at the card processor (503 processor_error)',
  },
  'payments.latency-ms': {
    service: 'payments',
    kind: 'delay',
    effect: 'every charge waits this long at the card processor: a slow dependency for the breaker',
  },
  'payments.answer-delay-ms': {
    service: 'payments',
    kind: 'delay',
    effect:
      'every charge and refund is written at once, then its answer waits this long: charged or refunded, the caller not yet told',
  },
  'inventory.unavailable': {
    service: 'inventory',
    kind: 'switch',
    effect: 'stock calls (GetStock, Reserve, Commit, Release) answer UNAVAILABLE',
  },
  'inventory.commit-delay-ms': {
    service: 'inventory',
    kind: 'delay',
    effect: 'every Commit is written at once, then its answer waits this long: the stock sold, the caller not yet told',
  },
  'links.cache-outage': {
    service: 'links',
    kind: 'switch',
    effect: 'the redirect cache fails as if the state store were down; redirects go to PostgreSQL',
  },
  'notifications.smtp-failure': {
    service: 'notifications',
    kind: 'switch',
    effect: 'every e-mail send fails as if the SMTP relay refused it; mails wait and retry',
  },
} as const satisfies Record<string, FlagSpec>;

export type FaultFlag = keyof typeof faultFlags;
type FlagsOfKind<K extends FlagKind> = {
  [F in FaultFlag]: (typeof faultFlags)[F]['kind'] extends K ? F : never;
}[FaultFlag];
export type RatioFlag = FlagsOfKind<'ratio'>;
export type DelayFlag = FlagsOfKind<'delay'>;
export type SwitchFlag = FlagsOfKind<'switch'>;

export const faultFlagKeys = Object.keys(faultFlags) as FaultFlag[];

export function isFaultFlag(key: string): key is FaultFlag {
  return Object.hasOwn(faultFlags, key);
}

export function flagsOf(service: ServiceName): FaultFlag[] {
  return faultFlagKeys.filter((key) => faultFlags[key].service === service);
}

/** The longest delay a flag may add: above every deadline in the system, below a hung test. */
export const MAX_FLAG_DELAY_MS = 120_000;

/**
 * A flag's value as stored → its number (ratio, delay in ms, switch 1 or 0). Empty means
 * cleared (0). Throws with what is accepted, for the CLI and the logs.
 */
export function parseFlagValue(key: FaultFlag, raw: string): number {
  const text = raw.trim().toLowerCase();
  if (text === '') return 0;
  const kind: FlagKind = faultFlags[key].kind;
  if (kind === 'switch') {
    if (['on', 'true', '1'].includes(text)) return 1;
    if (['off', 'false', '0'].includes(text)) return 0;
    throw new Error(`${key} is on or off, not "${raw}"`);
  }
  const value = Number(text);
  if (kind === 'ratio') {
    if (!Number.isFinite(value) || value < 0 || value > 1) throw new Error(`${key} is a share between 0 and 1, not "${raw}"`);
    return value;
  }
  if (!Number.isInteger(value) || value < 0 || value > MAX_FLAG_DELAY_MS) {
    throw new Error(`${key} is whole milliseconds from 0 to ${MAX_FLAG_DELAY_MS}, not "${raw}"`);
  }
  return value;
}

/** Dapr's Redis configuration store keeps `value||version`; the version is not ours. */
export function storedFlagValue(stored: string): string {
  return stored.split('||')[0] ?? '';
}

const flagMetrics = memo(() => ({
  value: gauge('fault_flag_value', 'Current value of each fault flag the service follows (ratio, delay in ms, switch 1/0)', [
    'flag',
  ]),
  injected: counter('fault_flag_injections_total', 'Faults injected because a flag was set, by flag', ['flag']),
}));

/** Where flag changes come from: the sidecar's configuration API, or a test's own source. */
export interface FlagSource {
  /** Calls `onChange` with every key that changed, current values first; resolves once those arrived. */
  follow(keys: FaultFlag[], onChange: (key: string, raw: string) => void): Promise<void>;
  close(): void;
}

export class FaultFlags {
  private readonly values = new Map<FaultFlag, number>();

  constructor(
    private readonly keys: FaultFlag[],
    private readonly logger: Logger,
  ) {
    for (const key of keys) this.set(key, 0);
  }

  /** Applies one stored value; an unknown key or a value that does not parse changes nothing but the log. */
  apply(key: string, raw: string): void {
    if (!isFaultFlag(key) || !this.keys.includes(key)) return;
    try {
      const value = parseFlagValue(key, storedFlagValue(raw));
      if (value !== this.values.get(key)) this.logger.warn('fault flag changed', { flag: key, value });
      this.set(key, value);
    } catch (err) {
      this.logger.warn('fault flag ignored', { flag: key, err: (err as Error).message });
      this.set(key, 0);
    }
  }

  value(key: FaultFlag): number {
    return this.values.get(key) ?? 0;
  }

  /** True for this share of calls while the ratio flag is set; each true is counted. */
  fails(key: RatioFlag): boolean {
    const ratio = this.value(key);
    if (ratio <= 0 || Math.random() >= ratio) return false;
    this.injected(key);
    return true;
  }

  /** Waits as long as the delay flag says; a wait is counted. */
  async delay(key: DelayFlag): Promise<void> {
    const ms = this.value(key);
    if (ms <= 0) return;
    this.injected(key);
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Whether the switch is on; asked where the fault would happen, so each true is counted. */
  isOn(key: SwitchFlag): boolean {
    if (this.value(key) === 0) return false;
    this.injected(key);
    return true;
  }

  private injected(key: FaultFlag): void {
    flagMetrics().injected.inc({ flag: key });
  }

  private set(key: FaultFlag, value: number): void {
    this.values.set(key, value);
    flagMetrics().value.set({ flag: key }, value);
    // A flag that never fired still reads 0 on the dashboard rather than nothing.
    flagMetrics().injected.inc({ flag: key }, 0);
  }
}

/**
 * The flags through the sidecar's configuration API: a subscription (opened first, so no
 * change between the read and the stream is missed), then one read of the current
 * values. A subscription that ends (sidecar restarted, store down) is opened again with
 * backoff, and the read repeated, so changes made meanwhile are not lost.
 */
export class SidecarFlagSource implements FlagSource {
  private subscription: ConfigurationSubscription | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  /** Logged once when following stops and once when it resumes, not on every retry. */
  private paused = false;

  constructor(
    private readonly options: { sidecar: Pick<Sidecar, 'getConfiguration' | 'subscribeConfiguration'>; logger: Logger },
  ) {}

  follow(keys: FaultFlag[], onChange: (key: string, raw: string) => void): Promise<void> {
    const { sidecar, logger } = this.options;
    let backoffMs = 500;
    let firstRound: ((ok: boolean) => void) | undefined;
    const first = new Promise<boolean>((resolve) => {
      firstRound = resolve;
    });
    const changed = (items: Record<string, string>) => {
      for (const [key, value] of Object.entries(items)) onChange(key, value);
    };
    const round = () => {
      if (this.closed) return;
      let current = true;
      const again = (why: string) => {
        if (this.closed || !current) return;
        current = false;
        this.subscription?.cancel();
        this.subscription = undefined;
        if (!this.paused) logger.warn('fault flags: not following changes for now', { err: why });
        this.paused = true;
        firstRound?.(false);
        firstRound = undefined;
        this.retry = setTimeout(round, backoffMs);
        this.retry.unref();
        backoffMs = Math.min(backoffMs * 2, 15_000);
      };
      this.subscription = sidecar.subscribeConfiguration(FLAG_STORE, keys, {
        onItems: changed,
        onSubscribed: () => {
          sidecar.getConfiguration(FLAG_STORE, keys).then(
            (items) => {
              changed(items);
              backoffMs = 500;
              if (this.paused) logger.info('fault flags: following changes again');
              this.paused = false;
              firstRound?.(true);
              firstRound = undefined;
            },
            (err: Error) => again(err.message),
          );
        },
        onEnd: again,
      });
    };
    round();
    // Start-up does not wait for a store that is down: flags stay off until it answers.
    return first.then(() => undefined);
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.subscription?.cancel();
  }
}

/**
 * The flags of `service`, followed live through its sidecar. Waits at most `waitMs` for
 * the current values, so a service started with a flag set misbehaves from its first
 * request, and one whose store is down starts anyway.
 */
export async function followFaultFlags(
  options: {
    service: ServiceName;
    logger: Logger;
    waitMs?: number;
  } & (
    | {
        /** A facade given the sidecar's gRPC port, over which Dapr streams configuration. */
        sidecar: Pick<Sidecar, 'getConfiguration' | 'subscribeConfiguration'>;
      }
    | { source: FlagSource }
  ),
): Promise<{ flags: FaultFlags; stop: () => void }> {
  const keys = flagsOf(options.service);
  const flags = new FaultFlags(keys, options.logger);
  const source = 'source' in options ? options.source : new SidecarFlagSource(options);
  const following = source.follow(keys, (key, raw) => flags.apply(key, raw));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([following, new Promise((resolve) => (timer = setTimeout(resolve, options.waitMs ?? 3000)))]);
  clearTimeout(timer);
  return { flags, stop: () => source.close() };
}
