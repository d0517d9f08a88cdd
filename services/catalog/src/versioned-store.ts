/**
 * Documents that change by appending revisions.
 *
 * FerretDB v1 on SQLite applies an update (and findAndModify) by reading the matching
 * document, changing it in memory and writing it back whole by _id, so two concurrent
 * updates of one document can silently lose one of them, filter conditions included.
 * What it does enforce atomically is the uniqueness of _id on insert. So every change of
 * a versioned document inserts its next revision, `<key>#<rev>`: of two writers that read
 * the same revision exactly one can insert the next, and the other reads again and
 * retries (compare-and-swap by insert). Nothing a revision says is ever updated in place.
 *
 * The newest revision is the truth. A head document per key mirrors it for queries
 * (lists, filters, sweeps); a race can leave a head one revision behind, which readers
 * that act on it check against the newest revision, and `reconcile` repairs.
 *
 * A revision can carry events announcing its change: the per-document outbox. They are
 * written in the same insert as the change, and the relay clears `eventsPending` (the
 * only field ever updated, and only from true to false) once they are published.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@meshmart/kit';
import type { Model } from 'mongoose';
import type { PendingEvent } from './pending-events.ts';

export interface Revision<S> {
  _id: string;
  key: string;
  rev: number;
  state: S;
  at: Date;
  events: PendingEvent[];
  eventsPending: boolean;
}

/** A revision as this process last saw it. */
export type Current<S> = Revision<S> & { seenAt: number };

export type Head<S> = S & { _id: string; rev: number };

/** How revisions and heads are typed for mongoose, whatever state they carry. */
export type StoredRevision = Revision<Record<string, unknown>>;
export type StoredHead = Head<Record<string, unknown>>;

/** What a change decided: a next state (with events) to append, or nothing to write. */
export type Change<S, R> = { state: S; events?: PendingEvent[]; result: R } | { result: R };

/**
 * A writer acts only on a revision it read this recently. Together with PRUNE_AFTER_MS it
 * keeps a deleted revision from ever being inserted again by a writer that read its
 * predecessor long ago.
 */
const MAX_READ_AGE_MS = 30_000;
/** Superseded revisions older than this, with their events published, are deleted. */
export const PRUNE_AFTER_MS = 2 * 60_000;

export class ContentionError extends Error {
  override name = 'ContentionError';
}

function revisionId(key: string, rev: number): string {
  return `${key}#${String(rev).padStart(10, '0')}`;
}

export class VersionedStore<S extends object> {
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    readonly revisions: Model<StoredRevision>,
    readonly heads: Model<StoredHead>,
    private readonly logger: Logger,
    /** Told when a revision with events was written, so the relay can publish them at once. */
    private readonly onEvents: () => void = () => {},
  ) {}

  async latest(key: string): Promise<Current<S> | null> {
    const [revision] = await this.revisions.find({ key }).sort({ rev: -1 }).limit(1).lean<Revision<S>[]>();
    return revision ? { ...revision, seenAt: Date.now() } : null;
  }

  /** Inserts the revision after `previous` (the first when null); null when another writer got there first. */
  async append(key: string, previous: Current<S> | null, state: S, events: PendingEvent[] = []): Promise<Current<S> | null> {
    if (previous && Date.now() - previous.seenAt > MAX_READ_AGE_MS) return null;
    const rev = (previous?.rev ?? 0) + 1;
    const revision: Revision<S> = {
      _id: revisionId(key, rev),
      key,
      rev,
      state,
      at: new Date(),
      events,
      eventsPending: events.length > 0,
    };
    try {
      await this.revisions.collection.insertOne(revision as never);
    } catch (err) {
      if (isDuplicateKey(err)) return null;
      throw err;
    }
    if (events.length > 0) this.onEvents();
    await this.project(key, rev, state);
    return { ...revision, seenAt: Date.now() };
  }

  /**
   * Reads the newest revision, lets `decide` choose, and appends what it chose; on a lost
   * race it reads again and decides again, with a little jitter so racing writers spread out.
   */
  async change<R>(key: string, decide: (current: Current<S> | null) => Change<S, R>, timeoutMs = 10_000): Promise<R> {
    return this.oneAtATime(key, async () => {
      const deadline = Date.now() + timeoutMs;
      for (let attempt = 0; ; attempt++) {
        const current = await this.latest(key);
        const decision = decide(current);
        if (!('state' in decision)) return decision.result;
        if (await this.append(key, current, decision.state, decision.events)) return decision.result;
        if (Date.now() > deadline) throw new ContentionError(`${key} is changing too often; retry`);
        await sleep(Math.random() * Math.min(40, 2 + attempt));
      }
    });
  }

  /**
   * Changes of one key made by this process run one after another: racing itself would
   * only turn into failed inserts and retries. Other replicas still race, and lose or win
   * by insert.
   */
  private async oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    }
  }

  /** Makes the head of `key` show revision `rev`, unless it already shows a newer one. */
  private async project(key: string, rev: number, state: S): Promise<void> {
    try {
      const head = await this.heads.findById(key, { rev: 1 }).lean<{ rev: number }>();
      if (head && head.rev >= rev) return;
      await this.heads.collection.replaceOne({ _id: key as never }, { ...state, rev }, { upsert: true });
    } catch (err) {
      // The revision is written and is the truth; the head catches up on the next reconcile.
      if (!isDuplicateKey(err)) this.logger.warn('head not updated', { key, rev, err: (err as Error).message });
    }
  }

  /** Brings heads up to their newest revision: of keys changed since `since`, or of every key. */
  async reconcile(since?: Date): Promise<number> {
    const keys = (await this.revisions.distinct('key', since ? { at: { $gte: since } } : {})) as string[];
    let repaired = 0;
    for (const key of keys) {
      const latest = await this.latest(key);
      const head = await this.heads.findById(key, { rev: 1 }).lean<{ rev: number }>();
      if (latest && (!head || head.rev < latest.rev)) {
        await this.heads.collection.replaceOne({ _id: key as never }, { ...latest.state, rev: latest.rev }, { upsert: true });
        repaired++;
      }
    }
    return repaired;
  }

  /** Deletes superseded revisions whose events are published, once no writer can still act on them. */
  async prune(now = new Date()): Promise<number> {
    const old = await this.revisions
      .find({ at: { $lt: new Date(now.getTime() - PRUNE_AFTER_MS) }, eventsPending: false }, { key: 1, rev: 1 })
      .limit(1000)
      .lean<Array<Pick<Revision<S>, '_id' | 'key' | 'rev'>>>();
    const byKey = new Map<string, typeof old>();
    for (const r of old) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
    let deleted = 0;
    for (const [key, revisions] of byKey) {
      const latest = await this.latest(key);
      const superseded = revisions.filter((r) => latest && r.rev < latest.rev).map((r) => r._id);
      if (superseded.length === 0) continue;
      const result = await this.revisions.deleteMany({ _id: { $in: superseded }, eventsPending: false });
      deleted += result.deletedCount;
    }
    return deleted;
  }

  /** Revisions whose events are not yet published, oldest first. */
  async withPendingEvents(limit: number): Promise<Revision<S>[]> {
    return this.revisions.find({ eventsPending: true }).sort({ at: 1, rev: 1 }).limit(limit).lean<Revision<S>[]>();
  }

  async markPublished(revision: Pick<Revision<S>, '_id'>): Promise<void> {
    await this.revisions.updateOne({ _id: revision._id }, { $set: { eventsPending: false } });
  }

  async countPendingEvents(): Promise<number> {
    const pending = await this.revisions.find({ eventsPending: true }, { events: 1 }).lean<Array<Pick<Revision<S>, 'events'>>>();
    return pending.reduce((n, r) => n + r.events.length, 0);
  }
}

export function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: number }).code === 11000;
}
