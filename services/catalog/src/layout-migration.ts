/**
 * Brings a database written by the revision layout (products and reservations as
 * versioned documents, before inventory had its own service) to plain product documents
 * at start. Each product keeps what catalog owns, at its newest revision, and is announced
 * again (product.updated, or product.deleted) so inventory and read models learn of it.
 * The reservations, stock moves and work lists of that layout are dropped: stock and
 * reservations live in inventory now. Replicas starting together may both run it; every
 * step is conditional or tolerant of having been done.
 */
import type { Logger } from '@meshmart/kit';
import type { Connection } from 'mongoose';
import type { CatalogModels, ProductDoc } from './models.ts';
import { pendingEvent } from './pending-events.ts';
import { productData } from './products.ts';

const OLD_COLLECTIONS = [
  'product_revisions',
  'product_outbox',
  'product_superseded',
  'reservation_revisions',
  'reservations',
  'reservations_open',
  'reservations_archive',
  'reservation_ids',
];

type OldProduct = Omit<ProductDoc, 'revision' | 'pendingEvents' | 'eventsPending' | 'available' | 'stockRevision'> & {
  rev?: number;
  stock?: number;
};

export async function migrateRevisionLayout(connection: Connection, models: CatalogModels, logger: Logger): Promise<void> {
  const db = connection.db;
  if (!db) throw new Error('not connected');
  const present = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  const old = OLD_COLLECTIONS.filter((c) => present.has(c));
  const heads = await models.products.collection.find<OldProduct>({ revision: { $exists: false } }).toArray();
  if (old.length === 0 && heads.length === 0) return;

  for (const head of heads) {
    const newest = present.has('product_revisions')
      ? await db
          .collection<{ key: string; rev: number; state: OldProduct }>('product_revisions')
          .find({ key: head._id })
          .sort({ rev: -1 })
          .limit(1)
          .next()
      : null;
    const p = newest && newest.rev > (head.rev ?? 0) ? { ...newest.state, _id: head._id } : head;
    const revision = Math.max(head.rev ?? 0, newest?.rev ?? 0) + 1;
    const now = new Date();
    const event = p.deletedAt
      ? pendingEvent('product.deleted', { productId: p._id, revision, at: now.toISOString() }, now)
      : pendingEvent('product.updated', productData(p._id, { ...p, description: p.description ?? '' }, revision, now), now);
    await models.products.collection.updateOne({ _id: head._id, revision: { $exists: false } } as never, {
      $set: {
        name: p.name,
        sortName: p.sortName,
        description: p.description ?? '',
        category: p.category,
        priceMinor: p.priceMinor,
        currency: p.currency,
        images: p.images ?? [],
        attributes: p.attributes ?? {},
        createdAt: p.createdAt,
        updatedAt: p.updatedAt,
        deletedAt: p.deletedAt ?? null,
        revision,
        pendingEvents: [event],
        eventsPending: true,
        // Shown until inventory's first stock event for the product arrives.
        available: p.stock ?? 0,
        stockRevision: 0,
      },
      $unset: { rev: '', stock: '', lowStockThreshold: '', holds: '', returns: '' },
    });
  }
  for (const name of old) {
    await db.dropCollection(name).catch((err: unknown) => {
      if ((err as { codeName?: string }).codeName !== 'NamespaceNotFound') throw err;
    });
  }
  logger.warn(
    'moved the catalog from the revision layout: products kept and announced again; reservations and stock moves dropped (inventory owns stock and reservations now; products outside the demo catalog start with 0 in stock there until an admin sets it)',
    { products: heads.length, dropped_collections: old },
  );
}
