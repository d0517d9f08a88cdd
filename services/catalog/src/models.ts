/**
 * catalog's collections. Products and reservations are versioned documents
 * (versioned-store.ts): a revisions collection that is the truth, a heads collection
 * mirroring the newest revision for queries, and small index collections listing what
 * background work must find; settled reservations move to an archive. Categories and the seed marker are only ever
 * inserted, never changed, so they need no revisions.
 */
import { type Connection, type Model, Schema } from 'mongoose';
import type { IndexEntry, StoredHead, StoredRevision } from './versioned-store.ts';

export interface ProductState {
  name: string;
  /** Lower-cased name: FerretDB has no collations, so sorting by name uses this. */
  sortName: string;
  description: string;
  category: string;
  priceMinor: number;
  currency: string;
  images: string[];
  attributes: Record<string, string>;
  /** What can still be reserved. */
  stock: number;
  lowStockThreshold: number;
  createdAt: Date;
  updatedAt: Date;
  /** Deleted products stay: held stock and unpublished events still point at them. */
  deletedAt: Date | null;
  /** Reservations whose quantity is taken from `stock` and not yet sold or given back. */
  holds: string[];
  /** Committed reservations whose sold quantity was put back (an order cancelled after payment). */
  returns: string[];
}

export const reservationStatuses = [
  'pending',
  'failing',
  'failed',
  'held',
  'committing',
  'committed',
  'releasing',
  'released',
  'expiring',
  'expired',
  'returning',
] as const;
export type ReservationStatus = (typeof reservationStatuses)[number];

export interface ReservationLine {
  productId: string;
  quantity: number;
  unitPriceMinor: number;
  currency: string;
  name: string;
}

export interface ShortItem {
  productId: string;
  /** The product's name when it was reserved (absent in reservations written before names were kept). */
  name?: string;
  requested: number;
  available: number;
}

export interface ReservationState {
  status: ReservationStatus;
  lines: ReservationLine[];
  expiresAt: Date;
  /** Product ids whose stock move for the current status is done. */
  moved: string[];
  /** Who moves stock for this reservation now, and until when. */
  leaseToken: string | null;
  leaseUntil: Date | null;
  /** Why a reservation failed: items short of stock, or a Reserve abandoned midway. */
  failure: 'out_of_stock' | 'interrupted' | null;
  shortItems: ShortItem[];
  /** A committed reservation whose stock went back because its order was cancelled. */
  returnedAfterCommit: boolean;
  /** When the `returns` markers of such a reservation were removed from its products. */
  returnsPrunedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CategoryDoc {
  _id: string;
  name: string;
  createdAt: Date;
}

/** One-off facts about the database, such as that the demo catalog was loaded. */
export interface MetaDoc {
  _id: string;
  at: Date;
}

const options = { versionKey: false, timestamps: false, minimize: false } as const;

/** The key's last revision, under `_id` = key: only ever read by `_id`, so no other index. */
function archiveSchema() {
  return new Schema<StoredRevision>(
    {
      _id: { type: String, required: true },
      key: { type: String, required: true },
      rev: { type: Number, required: true },
      state: { type: Schema.Types.Mixed, required: true },
      at: { type: Date, required: true },
      events: { type: Schema.Types.Mixed, default: [] },
      eventsPending: { type: Boolean, required: true },
    },
    options,
  );
}

/** Index collections stay small and are read whole, so they need no index either. */
function indexSchema() {
  return new Schema<IndexEntry>(
    {
      _id: { type: String, required: true },
      key: { type: String, required: true },
      rev: { type: Number, required: true },
      at: { type: Date, required: true },
    },
    options,
  );
}

const claimSchema = new Schema<{ _id: string }>({ _id: { type: String, required: true } }, options);

function revisionSchema() {
  const schema = new Schema<StoredRevision>(
    {
      _id: { type: String, required: true },
      key: { type: String, required: true },
      rev: { type: Number, required: true },
      state: { type: Schema.Types.Mixed, required: true },
      at: { type: Date, required: true },
      events: { type: Schema.Types.Mixed, default: [] },
      eventsPending: { type: Boolean, required: true },
    },
    options,
  );
  schema.index({ key: 1, rev: -1 });
  schema.index({ eventsPending: 1, at: 1 });
  schema.index({ at: 1 });
  return schema;
}

/** Heads are written whole from a revision's state; their schemas exist for the indexes queries use. */
const headOptions = { ...options, strict: false } as const;

const productHeadSchema = new Schema<StoredHead>(
  {
    _id: { type: String, required: true },
    rev: { type: Number, required: true },
    name: String,
    sortName: String,
    description: String,
    category: String,
    priceMinor: Number,
    currency: String,
    images: [String],
    attributes: Schema.Types.Mixed,
    stock: Number,
    lowStockThreshold: Number,
    createdAt: Date,
    updatedAt: Date,
    deletedAt: Date,
    holds: [String],
    returns: [String],
  },
  headOptions,
);
productHeadSchema.index({ category: 1, sortName: 1 });
productHeadSchema.index({ sortName: 1 });
productHeadSchema.index({ priceMinor: 1 });
productHeadSchema.index({ createdAt: 1 });
productHeadSchema.index({ holds: 1 });

const reservationHeadSchema = new Schema<StoredHead>(
  {
    _id: { type: String, required: true },
    rev: { type: Number, required: true },
    status: { type: String, enum: reservationStatuses },
    expiresAt: Date,
    leaseUntil: Date,
    returnedAfterCommit: Boolean,
    returnsPrunedAt: Date,
    updatedAt: Date,
  },
  headOptions,
);
reservationHeadSchema.index({ status: 1, expiresAt: 1 });
reservationHeadSchema.index({ status: 1, leaseUntil: 1 });

const categorySchema = new Schema<CategoryDoc>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  options,
);

const metaSchema = new Schema<MetaDoc>({ _id: { type: String, required: true }, at: { type: Date, required: true } }, options);

export interface CatalogModels {
  productRevisions: Model<StoredRevision>;
  products: Model<StoredHead>;
  reservationRevisions: Model<StoredRevision>;
  reservations: Model<StoredHead>;
  /** Product revisions with unpublished events. */
  productOutbox: Model<IndexEntry>;
  /** Product revisions a newer one replaced, waiting to be pruned. */
  productSuperseded: Model<IndexEntry>;
  /** Reservations not yet settled: the sweeper's work list. */
  openReservations: Model<IndexEntry>;
  /** Settled reservations past their retention, each under its id. */
  reservationArchive: Model<StoredRevision>;
  /** Every reservation id ever used: inserted once, never read. */
  reservationIds: Model<{ _id: string }>;
  categories: Model<CategoryDoc>;
  meta: Model<MetaDoc>;
}

export function catalogModels(connection: Connection): CatalogModels {
  return {
    productRevisions: connection.model<StoredRevision>('ProductRevision', revisionSchema(), 'product_revisions'),
    products: connection.model<StoredHead>('Product', productHeadSchema, 'products'),
    reservationRevisions: connection.model<StoredRevision>('ReservationRevision', revisionSchema(), 'reservation_revisions'),
    reservations: connection.model<StoredHead>('Reservation', reservationHeadSchema, 'reservations'),
    productOutbox: connection.model<IndexEntry>('ProductOutbox', indexSchema(), 'product_outbox'),
    productSuperseded: connection.model<IndexEntry>('ProductSuperseded', indexSchema(), 'product_superseded'),
    openReservations: connection.model<IndexEntry>('OpenReservation', indexSchema(), 'reservations_open'),
    reservationArchive: connection.model<StoredRevision>('ReservationArchive', archiveSchema(), 'reservations_archive'),
    reservationIds: connection.model<{ _id: string }>('ReservationId', claimSchema, 'reservation_ids'),
    categories: connection.model<CategoryDoc>('Category', categorySchema, 'categories'),
    meta: connection.model<MetaDoc>('Meta', metaSchema, 'meta'),
  };
}

/** Creates the indexes the queries rely on (FerretDB supports plain and multikey ones, not partial). */
export async function ensureIndexes(models: CatalogModels): Promise<void> {
  for (const model of Object.values(models) as Model<unknown>[]) await model.createIndexes();
}
