/**
 * catalog's collections: products and categories, each change of a product one
 * single-document write. A product carries the events announcing its changes
 * (`pendingEvents`) until the relay has published them, so a write and its
 * announcement cannot part even if the process dies between them.
 */
import { type Connection, type Model, Schema } from 'mongoose';
import type { PendingEvent } from './pending-events.ts';

export interface ProductDoc {
  _id: string;
  name: string;
  /** Lower-cased name: FerretDB has no collations, so sorting by name uses this. */
  sortName: string;
  description: string;
  category: string;
  priceMinor: number;
  currency: string;
  images: string[];
  attributes: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
  /** Deleted products stay, so a late stock event or an unpublished event still finds them. */
  deletedAt: Date | null;
  /** +1 per write of what catalog owns; product events carry it. */
  revision: number;
  pendingEvents: PendingEvent[];
  /** True while pendingEvents has events: what the relay looks for. */
  eventsPending: boolean;
  /** inventory's available stock as its newest inventory.stock_changed told it, for listings only. */
  available: number;
  /** Revision of that stock event; older or repeated ones change nothing. */
  stockRevision: number;
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

const productSchema = new Schema<ProductDoc>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    sortName: { type: String, required: true },
    description: { type: String, default: '' },
    category: { type: String, required: true },
    priceMinor: { type: Number, required: true },
    currency: { type: String, required: true },
    images: { type: [String], default: [] },
    attributes: { type: Schema.Types.Mixed, default: {} },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    deletedAt: { type: Date, default: null },
    revision: { type: Number, required: true },
    pendingEvents: { type: Schema.Types.Mixed, default: [] },
    eventsPending: { type: Boolean, default: false },
    available: { type: Number, default: 0 },
    stockRevision: { type: Number, default: 0 },
  },
  options,
);
productSchema.index({ category: 1, sortName: 1 });
productSchema.index({ sortName: 1 });
productSchema.index({ priceMinor: 1 });
productSchema.index({ createdAt: 1 });
productSchema.index({ eventsPending: 1 });

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
  products: Model<ProductDoc>;
  categories: Model<CategoryDoc>;
  meta: Model<MetaDoc>;
}

export function catalogModels(connection: Connection): CatalogModels {
  return {
    products: connection.model<ProductDoc>('Product', productSchema, 'products'),
    categories: connection.model<CategoryDoc>('Category', categorySchema, 'categories'),
    meta: connection.model<MetaDoc>('Meta', metaSchema, 'meta'),
  };
}

/** Creates the indexes the queries rely on (FerretDB supports plain and multikey ones, not partial). */
export async function ensureIndexes(models: CatalogModels): Promise<void> {
  for (const model of Object.values(models) as Model<unknown>[]) await model.createIndexes();
}

export function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: number }).code === 11000;
}
