/**
 * Group commit: items submitted while others wait are written by one call to `commit`,
 * so N concurrent redirects cost one transaction instead of N. Each submitter learns
 * the outcome of the batch that carried its item. When no commit is running, nothing is
 * coming to share one, so the batch goes at the end of the current event-loop turn (with
 * whatever that turn submitted) instead of waiting the window: a lone redirect does not
 * pay the window in latency, and a busy one still batches.
 */

export interface GroupCommitOptions {
  /** How long the first item of a batch waits for company while another commit runs. */
  windowMs: number;
  /** A batch this large is committed at once. */
  maxBatch: number;
  /** Commits allowed to run at once; further batches wait for one to finish. */
  maxInFlight: number;
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<T> {
  private queue: Array<Pending<T>> = [];
  /** Cancels the flush that is scheduled, if any. */
  private cancelScheduled: (() => void) | undefined;
  private inFlight = 0;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly commit: (items: T[]) => Promise<void>,
    private readonly options: GroupCommitOptions,
  ) {}

  submit(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.queue.length >= this.options.maxBatch) this.flush();
      else this.schedule();
    });
  }

  /** Resolves once everything submitted so far has been committed or refused. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight > 0) {
      this.flush();
      await new Promise<void>((resolve) => this.idle.add(resolve));
    }
  }

  private schedule(): void {
    if (this.cancelScheduled) return;
    if (this.inFlight === 0) {
      const immediate = setImmediate(() => this.flush());
      this.cancelScheduled = () => clearImmediate(immediate);
    } else {
      const timer = setTimeout(() => this.flush(), this.options.windowMs);
      this.cancelScheduled = () => clearTimeout(timer);
    }
  }

  private flush(): void {
    this.cancelScheduled?.();
    this.cancelScheduled = undefined;
    // At the limit, the batch keeps growing until a commit finishes and calls flush again.
    while (this.queue.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight++;
      this.commit(batch.map((p) => p.item)).then(
        () => this.settle(batch, (p) => p.resolve()),
        (err: unknown) => this.settle(batch, (p) => p.reject(err)),
      );
    }
  }

  private settle(batch: Array<Pending<T>>, each: (p: Pending<T>) => void): void {
    this.inFlight--;
    for (const p of batch) each(p);
    if (this.queue.length > 0) this.flush();
    if (this.queue.length === 0 && this.inFlight === 0) {
      for (const wake of this.idle) wake();
      this.idle.clear();
    }
  }
}
