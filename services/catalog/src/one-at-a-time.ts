/**
 * Runs the writes of one product document made by this process one after another.
 * MongoDB applies each update atomically, so this only costs a queue there; FerretDB v1
 * applies an update by reading the whole document and writing it back, so two
 * overlapping updates of one document (an admin edit, a stock figure, the relay clearing
 * published events) could each undo the other. Replicas are not serialised by this: the
 * local stack runs one, the cluster runs MongoDB.
 */
export class OneAtATime {
  private readonly queues = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return next;
  }
}
