/**
 * Click recording on the redirect path. Clicks from concurrent redirects share one
 * transaction (group commit) and each redirect waits for its click to be committed. When
 * PostgreSQL refuses, the redirect is answered anyway and the click waits in a bounded
 * in-memory backlog that is retried in the background and flushed on shutdown.
 */
import type { Logger } from '@meshmart/kit';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { GroupCommit, type GroupCommitOptions } from './group-commit.ts';
import type { Click } from './links-store.ts';
import { clickBacklog, clickBatchSize, clicksDropped, clicksRecorded } from './metrics.ts';

export interface ClickRecorderOptions extends GroupCommitOptions {
  backlogMax: number;
  retryMs: number;
}

/** stored: committed; queued: in the backlog; dropped: lost (backlog full). */
export type ClickOutcome = 'stored' | 'queued' | 'dropped';

export class ClickRecorder {
  private readonly batches: GroupCommit<Click>;
  private backlog: Click[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private retrying: Promise<void> | undefined;
  private dropped = 0;
  private closing = false;

  constructor(
    private readonly store: (clicks: Click[]) => Promise<number>,
    private readonly options: ClickRecorderOptions,
    private readonly logger: Logger,
  ) {
    this.batches = new GroupCommit((clicks) => this.commit(clicks), options);
  }

  async record(click: Click): Promise<ClickOutcome> {
    // During an outage new clicks queue behind the backlog instead of each waiting for
    // PostgreSQL to fail again.
    if (this.backlog.length > 0) return this.keep([click]);
    try {
      await this.batches.submit(click);
      return 'stored';
    } catch {
      return this.keep([click]);
    }
  }

  /** Clicks waiting for PostgreSQL. */
  get pending(): number {
    return this.backlog.length;
  }

  /** Commits what is in flight and tries the backlog once more; what still fails is logged as lost. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.retryTimer);
    await this.batches.drain();
    await this.retrying;
    await this.retryBacklog();
    if (this.backlog.length > 0) {
      this.logger.error('clicks lost at shutdown: PostgreSQL did not take them', { clicks: this.backlog.length });
    }
  }

  private async commit(clicks: Click[]): Promise<void> {
    try {
      const stored = await this.store(clicks);
      clicksRecorded.inc(stored);
      clickBatchSize.observe(clicks.length);
    } catch (err) {
      this.logger.warn('click batch failed; redirects answered, clicks kept for retry', {
        clicks: clicks.length,
        err: (err as Error).message,
      });
      throw err;
    }
  }

  private keep(clicks: Click[]): ClickOutcome {
    const room = Math.max(0, this.options.backlogMax - this.backlog.length);
    const kept = clicks.slice(0, room);
    this.backlog.push(...kept);
    const lost = clicks.length - kept.length;
    if (lost > 0) {
      clicksDropped.inc(lost);
      this.dropped += lost;
    }
    clickBacklog.set(this.backlog.length);
    this.scheduleRetry();
    return lost > 0 ? 'dropped' : 'queued';
  }

  /** One retry loop at a time: two would store the same head of the backlog and both remove it. */
  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.retrying !== undefined || this.closing) return;
    // Detached from the request whose click failed first: retries serve every kept click.
    const retry = context.bind(suppressTracing(ROOT_CONTEXT), () => {
      this.retryTimer = undefined;
      this.retrying = this.retryBacklog().finally(() => {
        this.retrying = undefined;
        if (this.backlog.length > 0) this.scheduleRetry();
      });
    });
    this.retryTimer = setTimeout(retry, this.options.retryMs);
    this.retryTimer.unref();
  }

  /** Stores the backlog batch by batch, oldest first, until it is empty or PostgreSQL refuses. */
  private async retryBacklog(): Promise<void> {
    if (this.dropped > 0) {
      this.logger.error('clicks dropped: the backlog was full while PostgreSQL refused them', { clicks: this.dropped });
      this.dropped = 0;
    }
    if (this.backlog.length === 0) return;
    while (this.backlog.length > 0) {
      const batch = this.backlog.slice(0, this.options.maxBatch);
      try {
        await this.commit(batch);
      } catch {
        return;
      }
      this.backlog.splice(0, batch.length);
      clickBacklog.set(this.backlog.length);
    }
    this.logger.info('click backlog stored');
  }
}
