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
 *
 * FerretDB on SQLite reads the whole collection for every query, `_id` equality included
 * (its pushdown is a `json_each` test per row that no index serves, about 5 µs a row); only
 * the uniqueness check of an insert uses the `_id` index. So the collections the hot path
 * reads must stay small whatever the history: the newest revision is found from the
 * head's `rev` by probing the next revision ids; what background work must find
 * (unpublished events, superseded revisions, keys to watch) is listed in small index
 * collections of their own; and settled keys are archived: their last revision moves to
 * an archive collection under the key, and the key is claimed in an insert-only
 * collection, so telling a new key from an archived one costs one insert, and only the
 * rare call about an archived key reads the archive.
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

/** An entry of an index collection: a revision id (or, for open keys, the key) and when it was listed. */
export interface IndexEntry {
  _id: string;
  key: string;
  rev: number;
  at: Date;
}

/** What a change decided: a next state (with events) to append, or nothing to write. */
export type Change<S, R> = { state: S; events?: PendingEvent[]; result: R } | { result: R };

export interface StoreCollections<S> {
  revisions: Model<StoredRevision>;
  heads: Model<StoredHead>;
  /** Revisions with unpublished events (stores whose revisions carry events). */
  outbox?: Model<IndexEntry>;
  /** Revisions a newer one replaced, to be pruned (stores whose keys are never archived). */
  superseded?: Model<IndexEntry>;
  /** Keys whose newest state `isOpen` says needs watching (the sweeper's work list). */
  open?: Model<IndexEntry>;
  isOpen?: (state: S) => boolean;
  /** Settled keys: their last revision, under `_id` = key. */
  archive?: Model<StoredRevision>;
  /** Every key ever created, only ever inserted into (with `archive`). */
  claims?: Model<{ _id: string }>;
}

/**
 * A writer acts only on a revision it read this recently. Together with PRUNE_AFTER_MS it
 * keeps a deleted revision from ever being inserted again by a writer that read its
 * predecessor long ago.
 */
const MAX_READ_AGE_MS = 30_000;
/** Superseded revisions older than this, with their events published, are deleted. */
export const PRUNE_AFTER_MS = 2 * 60_000;
/** An outbox entry whose revision never appeared (its writer lost the race or died) is dropped after this. */
const ORPHAN_ENTRY_MS = 4 * MAX_READ_AGE_MS;
const BATCH = 1000;
/** How many keys found archived this process remembers, to read the archive for them at once. */
const KNOWN_ARCHIVED = 10_000;

export class ContentionError extends Error {
  override name = 'ContentionError';
}

export function revisionId(key: string, rev: number): string {
  return `${key}#${String(rev).padStart(10, '0')}`;
}

export class VersionedStore<S extends object> {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly knownArchived = new Set<string>();
  readonly revisions: Model<StoredRevision>;
  readonly heads: Model<StoredHead>;

  constructor(
    private readonly c: StoreCollections<S>,
    private readonly logger: Logger,
    /** Told when a revision with events was written, so the relay can publish them at once. */
    private readonly onEvents: () => void = () => {},
  ) {
    this.revisions = c.revisions;
    this.heads = c.heads;
  }

  /**
   * The newest live revision, by `_id` lookups only: from the revision the head names,
   * forward while a next revision exists. Revisions from the head's on are never pruned,
   * so the chain has no gap. The archive is read only for a key known to be archived, or
   * whose head names a revision archived meanwhile; `find` also reads it for unknown keys.
   */
  async latest(key: string): Promise<Current<S> | null> {
    const head = await this.heads.findById(key, { rev: 1 }).lean<{ rev: number }>();
    const from = head?.rev ?? 0;
    const found = (await this.newestAfter(key, from)) ?? (from > 0 ? await this.revision(key, from) : null);
    if (found) return { ...found, seenAt: Date.now() };
    if (from === 0 && !this.knownArchived.has(key)) return null;
    const archived = await this.fromArchive(key);
    if (archived || from === 0) return archived;
    return this.scanLatest(key);
  }

  /** The newest revision, live or archived: for calls that must tell an archived key from an unknown one. */
  async find(key: string): Promise<Current<S> | null> {
    return (await this.latest(key)) ?? (await this.fromArchive(key));
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
    const entry = { _id: revision._id, key, rev, at: revision.at };
    const open = this.c.isOpen?.(state) ?? false;
    // Listed before the insert, so a crash right after it leaves nothing unlisted; a
    // listing whose revision never appears is dropped by whoever reads it.
    if (!previous && !(await this.claim(key))) return null;
    if (events.length > 0 && this.c.outbox) await insertOnce(this.c.outbox, entry);
    if (open) await this.listOpen(key, rev);
    try {
      await this.revisions.collection.insertOne(revision as never);
    } catch (err) {
      if (isDuplicateKey(err)) return null;
      throw err;
    }
    // Listed again after it, in case `closeIfSettled` removed the listing in between.
    if (open) await this.listOpen(key, rev);
    if (events.length > 0) this.onEvents();
    if (previous && this.c.superseded) await insertOnce(this.c.superseded, { ...entry, _id: previous._id, rev: previous.rev });
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

  /**
   * Brings heads up to their newest revision: of keys changed since `since`, or of every
   * key. Each collection is read once for all keys (every read costs a whole collection
   * here), and the revisions collection holds only live keys and the catalog.
   */
  async reconcile(since?: Date): Promise<number> {
    const changed = since ? ((await this.revisions.distinct('key', { at: { $gte: since } })) as string[]) : undefined;
    if (changed?.length === 0) return 0;
    const revisions = await this.revisions
      .find(changed ? { key: { $in: changed } } : {}, { key: 1, rev: 1 })
      .lean<Array<{ key: string; rev: number }>>();
    const newest = new Map<string, number>();
    for (const r of revisions) newest.set(r.key, Math.max(newest.get(r.key) ?? 0, r.rev));
    const heads = await this.heads
      .find(changed ? { _id: { $in: changed } } : {}, { rev: 1 })
      .lean<Array<{ _id: string; rev: number }>>();
    const shown = new Map(heads.map((h) => [h._id, h.rev]));
    let repaired = 0;
    for (const [key, rev] of newest) {
      if ((shown.get(key) ?? 0) >= rev) continue;
      // Gone meanwhile: archived, or superseded and pruned; the head is someone else's to write.
      const revision = await this.revision(key, rev);
      if (!revision || (await this.revision(key, rev + 1))) continue;
      await this.heads.collection.replaceOne({ _id: key as never }, { ...revision.state, rev }, { upsert: true });
      repaired++;
    }
    return repaired;
  }

  /**
   * Deletes superseded revisions whose events are published, once no writer can still act
   * on them. Only revisions below the head's are deleted, so `latest` never meets a gap.
   */
  async prune(now = new Date()): Promise<number> {
    const superseded = this.c.superseded;
    if (!superseded) return 0;
    const cutoff = now.getTime() - PRUNE_AFTER_MS;
    const listed = await superseded.find().limit(BATCH).lean<IndexEntry[]>();
    let deleted = 0;
    for (const entry of listed) {
      if (entry.at.getTime() > cutoff) continue;
      const revision = await this.revisions.findById(entry._id, { eventsPending: 1, at: 1 }).lean<Revision<S>>();
      if (revision && (revision.eventsPending || revision.at.getTime() > cutoff)) continue;
      const head = await this.heads.findById(entry.key, { rev: 1 }).lean<{ rev: number }>();
      if (revision && !(head && entry.rev < head.rev)) continue;
      if (revision) deleted += (await this.revisions.deleteOne({ _id: entry._id, eventsPending: false })).deletedCount;
      await superseded.deleteOne({ _id: entry._id });
    }
    return deleted;
  }

  /** Revisions whose events are not yet published, oldest first, found through the outbox index. */
  async withPendingEvents(limit: number): Promise<Revision<S>[]> {
    const outbox = this.c.outbox;
    if (!outbox) return [];
    const listed = await outbox.find().limit(limit).lean<IndexEntry[]>();
    const pending: Revision<S>[] = [];
    for (const entry of listed) {
      const revision = await this.revision(entry.key, entry.rev);
      if (revision?.eventsPending) pending.push(revision);
      else if (revision || Date.now() - entry.at.getTime() > ORPHAN_ENTRY_MS) await outbox.deleteOne({ _id: entry._id });
    }
    return pending.sort((a, b) => a.at.getTime() - b.at.getTime() || a.rev - b.rev);
  }

  async markPublished(revision: Pick<Revision<S>, '_id'>): Promise<void> {
    await this.revisions.updateOne({ _id: revision._id }, { $set: { eventsPending: false } });
    await this.c.outbox?.deleteOne({ _id: revision._id });
  }

  async countPendingEvents(): Promise<number> {
    const listed = (await this.c.outbox?.find().lean<IndexEntry[]>()) ?? [];
    let n = 0;
    for (const entry of listed) {
      const revision = await this.revisions.findById(entry._id, { events: 1, eventsPending: 1 }).lean<Revision<S>>();
      if (revision?.eventsPending) n += revision.events.length;
    }
    return n;
  }

  /** Keys listed as open, for the sweeper to look at. */
  async openKeys(limit = BATCH): Promise<string[]> {
    if (!this.c.open) return [];
    return (await this.c.open.find({}, { _id: 1 }).limit(limit).lean<Array<{ _id: string }>>()).map((e) => e._id);
  }

  /**
   * Takes `key` off the open list when its newest state is settled. A writer that reopens
   * it meanwhile lists it again after its insert, and the second look catches one that
   * wrote before it.
   */
  async closeIfSettled(key: string): Promise<boolean> {
    const { open, isOpen } = this.c;
    if (!open || !isOpen) return false;
    const before = await this.latest(key);
    if (before && isOpen(before.state)) return false;
    await open.deleteOne({ _id: key });
    const after = await this.latest(key);
    if (after && isOpen(after.state)) {
      await this.listOpen(key, after.rev);
      return false;
    }
    return true;
  }

  /**
   * Moves the given keys whose newest revision `settled` accepts out of the collections
   * that are read: the key is claimed and its last revision archived under the key first,
   * so a reader always finds one or the other, then its revisions and head are deleted.
   * A key a writer appended to meanwhile stays live. Each step reads every collection
   * once for the whole batch, not once per key. Answers the keys archived.
   */
  async archive(keys: string[], settled: (state: S) => boolean): Promise<string[]> {
    const archive = this.c.archive;
    if (!archive || keys.length === 0) return [];
    const revisions = await this.revisions.find({ key: { $in: keys } }).lean<Revision<S>[]>();
    const newest = new Map<string, Revision<S>>();
    for (const r of revisions) if ((newest.get(r.key)?.rev ?? 0) < r.rev) newest.set(r.key, r);
    const moving = [...newest.values()].filter((r) => settled(r.state));
    for (const r of moving) {
      await insertOnce(this.c.claims, { _id: r.key });
      await this.putArchive(archive, r);
    }
    const ids = moving.flatMap((r) => Array.from({ length: r.rev }, (_, i) => revisionId(r.key, i + 1)));
    if (ids.length > 0) await this.revisions.deleteMany({ _id: { $in: ids } });
    const stillLive = new Set((await this.revisions.distinct('key', { key: { $in: moving.map((r) => r.key) } })) as string[]);
    // Heads without revisions are left by a reconcile that raced an earlier archiving.
    const strays = keys.filter((k) => !newest.has(k));
    const strayArchived = strays.length > 0 ? ((await archive.distinct('_id', { _id: { $in: strays } })) as string[]) : [];
    const gone = [...moving.map((r) => r.key).filter((k) => !stillLive.has(k)), ...strayArchived];
    if (gone.length > 0) await this.heads.deleteMany({ _id: { $in: gone } });
    if (this.c.superseded && ids.length > 0) await this.c.superseded.deleteMany({ _id: { $in: ids } });
    return gone;
  }

  /**
   * Lists what a database written before the index collections existed has pending:
   * unpublished revisions, superseded ones, and open keys. Reads everything once; run at start.
   */
  async adoptUnlisted(): Promise<void> {
    const all = await this.revisions.find().lean<Array<Revision<S>>>();
    const newest = new Map<string, Revision<S>>();
    for (const r of all) if ((newest.get(r.key)?.rev ?? 0) < r.rev) newest.set(r.key, r);
    for (const r of all) {
      const entry = { _id: r._id, key: r.key, rev: r.rev, at: r.at };
      if (r.eventsPending) await insertOnce(this.c.outbox, entry);
      if (this.c.superseded && r.rev < (newest.get(r.key)?.rev ?? 0)) await insertOnce(this.c.superseded, entry);
    }
    for (const [key, r] of newest) {
      await insertOnce(this.c.claims, { _id: key });
      if (this.c.isOpen?.(r.state)) await this.listOpen(key, r.rev);
    }
  }

  private async listOpen(key: string, rev: number): Promise<void> {
    if (this.c.open) await insertOnce(this.c.open, { _id: key, key, rev, at: new Date() });
  }

  private async revision(key: string, rev: number): Promise<Revision<S> | null> {
    return this.revisions.findById(revisionId(key, rev)).lean<Revision<S>>();
  }

  /** The last of the revisions after `rev` that exist without a gap, or null if there is none. */
  private async newestAfter(key: string, rev: number): Promise<Revision<S> | null> {
    let newest: Revision<S> | null = null;
    for (let next = rev + 1; ; next++) {
      const found = await this.revision(key, next);
      if (!found) return newest;
      newest = found;
    }
  }

  /**
   * Claims a new key; false if it was claimed before and is archived. A claim left by a
   * create that failed after it is no reason to refuse: the revision insert decides.
   */
  private async claim(key: string): Promise<boolean> {
    if (!this.c.claims) return true;
    try {
      await this.c.claims.collection.insertOne({ _id: key } as never);
      return true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    return !(await this.fromArchive(key));
  }

  /** The archived revision of `key` and any revision appended after it (a key reopened after archiving). */
  private async fromArchive(key: string): Promise<Current<S> | null> {
    if (!this.c.archive) return null;
    const doc = await this.c.archive.findById(key).lean<Revision<S>>();
    if (!doc) return null;
    if (this.knownArchived.size >= KNOWN_ARCHIVED) this.knownArchived.clear();
    this.knownArchived.add(key);
    const archived = { ...doc, _id: revisionId(key, doc.rev) };
    return { ...((await this.newestAfter(key, doc.rev)) ?? archived), seenAt: Date.now() };
  }

  private async putArchive(archive: Model<StoredRevision>, r: Revision<S>): Promise<void> {
    const doc = { _id: r.key, key: r.key, rev: r.rev, state: r.state, at: r.at, events: [], eventsPending: false };
    try {
      await archive.collection.insertOne(doc as never);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // Archived before, reopened (an order cancelled after payment) and settled again.
      const existing = await archive.findById(r.key, { rev: 1 }).lean<{ rev: number }>();
      if (existing && existing.rev < r.rev) await archive.collection.replaceOne({ _id: r.key as never }, doc);
    }
  }

  /** The slow way, for a head that names a pruned revision (which pruning avoids); repairs the head. */
  private async scanLatest(key: string): Promise<Current<S> | null> {
    this.logger.warn('newest revision not found by id; scanning', { key });
    const [revision] = await this.revisions.find({ key }).sort({ rev: -1 }).limit(1).lean<Revision<S>[]>();
    if (!revision) return null;
    await this.heads.collection.replaceOne({ _id: key as never }, { ...revision.state, rev: revision.rev }, { upsert: true });
    return { ...revision, seenAt: Date.now() };
  }
}

async function insertOnce<T>(model: Model<T> | undefined, doc: T): Promise<void> {
  if (!model) return;
  try {
    await model.collection.insertOne(doc as never);
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
}

export function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: number }).code === 11000;
}
