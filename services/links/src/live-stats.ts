/**
 * Live click counts for StreamClickStatistics. One dedicated PostgreSQL connection
 * LISTENs for the codes whose clicks were just committed (by any replica) and is shared
 * by every stream; each watched code is read at most once per interval however many
 * streams follow it, and an idle code gets a heartbeat reading.
 */
import { status } from '@grpc/grpc-js';
import { GrpcError, type Logger } from '@meshmart/kit';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import pg from 'pg';
import { CLICKS_CHANNEL, type LiveCounts } from './links-store.ts';
import { streamsOpen } from './metrics.ts';

export interface Reading extends LiveCounts {
  code: string;
  /** RFC 3339 time of the reading. */
  at: string;
}

export type Sink = (reading: Reading) => void;

export interface LiveStatsOptions {
  maxStreams: number;
  minIntervalMs: number;
  heartbeatMs: number;
}

interface Watch {
  code: string;
  sinks: Set<Sink>;
  lastSentAt: number;
  update: NodeJS.Timeout | undefined;
  heartbeat: NodeJS.Timeout | undefined;
}

export class LiveStats {
  private readonly watches = new Map<string, Watch>();
  private readonly stoppers = new Set<() => void>();
  private client: pg.Client | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  private open = 0;

  constructor(
    private readonly databaseUrl: string,
    private readonly read: (code: string) => Promise<LiveCounts | undefined>,
    private readonly options: LiveStatsOptions,
    private readonly logger: Logger,
  ) {}

  /** Starts listening; a failure here or later is retried in the background with backoff. */
  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', (n) => {
      const watch = n.payload ? this.watches.get(n.payload) : undefined;
      if (watch) this.schedule(watch);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CLICKS_CHANNEL}`);
    } catch (err) {
      this.lost(client, err as Error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    // Clicks committed while nobody listened would otherwise show only at the next heartbeat.
    if (this.failures > 0) for (const watch of this.watches.values()) this.schedule(watch);
    this.failures = 0;
  }

  private lost(client: pg.Client, err: Error): void {
    if (this.stopped || (this.client !== client && this.client !== undefined)) return;
    this.client = undefined;
    client.removeAllListeners();
    client.on('error', () => {});
    client.end().catch(() => {});
    if (this.reconnect) return;
    this.failures++;
    const delay = Math.min(30_000, 250 * 2 ** Math.min(this.failures, 7));
    this.logger.warn('click notifications lost; reconnecting', { err: err.message, retry_in_ms: delay });
    this.reconnect = setTimeout(() => {
      this.reconnect = undefined;
      void this.start();
    }, delay);
    this.reconnect.unref();
  }

  /**
   * Sends readings of `code` to `sink` (the first at once) until `cancelled` fires or
   * the service stops. RESOURCE_EXHAUSTED when this replica already serves its limit.
   */
  async follow(code: string, sink: Sink, cancelled: Promise<void>): Promise<void> {
    if (this.stopped) throw new GrpcError(status.UNAVAILABLE, 'links is shutting down');
    if (this.open >= this.options.maxStreams) {
      throw new GrpcError(status.RESOURCE_EXHAUSTED, `too many open click streams (limit ${this.options.maxStreams})`);
    }
    this.open++;
    streamsOpen.inc();
    let watch = this.watches.get(code);
    if (!watch) {
      watch = { code, sinks: new Set(), lastSentAt: 0, update: undefined, heartbeat: undefined };
      this.watches.set(code, watch);
      this.beatLater(watch);
    }
    watch.sinks.add(sink);
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    this.stoppers.add(stop);
    try {
      const first = await this.reading(code);
      if (!first) throw new GrpcError(status.NOT_FOUND, `no link ${code}`);
      sink(first);
      await Promise.race([cancelled, stopped]);
    } finally {
      this.stoppers.delete(stop);
      watch.sinks.delete(sink);
      if (watch.sinks.size === 0) {
        clearTimeout(watch.update);
        clearTimeout(watch.heartbeat);
        this.watches.delete(code);
      }
      this.open--;
      streamsOpen.dec();
    }
  }

  /** Ends every stream (they finish with OK) and stops listening. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const stop of this.stoppers) stop();
    clearTimeout(this.reconnect);
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners();
      client.on('error', () => {});
      await client.end().catch(() => {});
    }
  }

  /** An update at once, or as soon as the interval since the last one allows. */
  private schedule(watch: Watch): void {
    if (watch.update) return;
    const wait = Math.max(0, watch.lastSentAt + this.options.minIntervalMs - Date.now());
    watch.update = setTimeout(() => {
      watch.update = undefined;
      void this.emit(watch);
    }, wait);
  }

  private beatLater(watch: Watch): void {
    clearTimeout(watch.heartbeat);
    watch.heartbeat = setTimeout(() => void this.emit(watch), this.options.heartbeatMs);
  }

  private async emit(watch: Watch): Promise<void> {
    watch.lastSentAt = Date.now();
    this.beatLater(watch);
    let reading: Reading | undefined;
    try {
      reading = await this.reading(watch.code);
    } catch (err) {
      this.logger.debug('live click reading failed', { code: watch.code, err: (err as Error).message });
      return;
    }
    if (!reading || this.watches.get(watch.code) !== watch) return;
    for (const sink of watch.sinks) sink(reading);
  }

  /** Readings are not traced: each update or heartbeat would otherwise start a trace of its own. */
  private async reading(code: string): Promise<Reading | undefined> {
    const counts = await context.with(suppressTracing(context.active()), () => this.read(code));
    return counts && { code, ...counts, at: new Date().toISOString() };
  }
}
