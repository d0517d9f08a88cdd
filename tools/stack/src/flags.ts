/**
 * Operator side of the fault flags (services/kit/src/fault-flags.ts): Dapr's configuration
 * API is read-only for apps, so flags are written straight into the store behind the
 * `configstore` component, the local Redis (database FLAG_REDIS_DB). Every sidecar
 * subscribed to a key hears the change through Redis keyspace notifications.
 */
import {
  type FaultFlag,
  faultFlagKeys,
  faultFlags,
  isFaultFlag,
  parseFlagValue,
  storedFlagValue,
} from '@meshmart/kit/fault-flags';
import { Redis } from 'ioredis';
import { FLAG_REDIS_DB } from './dapr-files.ts';
import { infraPorts } from './ports.ts';

export interface FlagState {
  key: FaultFlag;
  /** As stored; empty when not set. */
  raw: string;
  /** The number the services follow (0 when not set). */
  value: number;
}

function connect(): Redis {
  return new Redis({
    host: '127.0.0.1',
    port: infraPorts.redis,
    db: FLAG_REDIS_DB,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
}

async function withStore<T>(work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = connect();
  try {
    await redis.connect().catch((err: Error) => {
      throw new Error(`the flag store (Redis on port ${infraPorts.redis}) is not running: ${err.message}`);
    });
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

export function checkedFlag(key: string): FaultFlag {
  if (!isFaultFlag(key)) throw new Error(`unknown flag ${key}; one of: ${faultFlagKeys.join(', ')}`);
  return key;
}

/** Sets one flag after checking its value; returns the number the services will follow. */
export async function setFlag(key: string, raw: string): Promise<number> {
  const flag = checkedFlag(key);
  const value = parseFlagValue(flag, raw);
  await withStore((redis) => redis.set(flag, raw.trim()));
  return value;
}

/** Clears the given flags, or every flag. */
export async function clearFlags(keys: string[] = []): Promise<FaultFlag[]> {
  const flags = keys.length === 0 ? faultFlagKeys : keys.map(checkedFlag);
  await withStore((redis) => redis.del(...flags));
  return flags;
}

export async function listFlags(): Promise<FlagState[]> {
  const stored = await withStore((redis) => redis.mget(...faultFlagKeys));
  return faultFlagKeys.map((key, i) => {
    const raw = storedFlagValue(stored[i] ?? '');
    let value = 0;
    try {
      value = parseFlagValue(key, raw);
    } catch {
      // Shown as stored; the services log it and keep the flag off.
    }
    return { key, raw, value };
  });
}

export function flagTable(states: FlagState[]): string {
  const width = Math.max(...states.map((s) => s.key.length));
  return states
    .map(
      ({ key, raw }) =>
        `${key.padEnd(width)}  ${(raw || '-').padEnd(6)}  ${faultFlags[key].kind.padEnd(6)}  ${faultFlags[key].effect}`,
    )
    .join('\n');
}
