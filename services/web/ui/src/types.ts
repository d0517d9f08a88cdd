/**
 * The API's shapes, inferred from the gateway's own schemas (type-only: nothing of zod or
 * the gateway reaches the bundle), so the UI cannot drift from what the gateway answers.
 */
import type { z } from 'zod';
import type * as api from '../../../gateway/src/schemas.ts';
import type * as search from '../../../gateway/src/search-schemas.ts';

export type Product = z.infer<typeof api.product>;
export type ProductPage = z.infer<typeof api.productPage>;
export type Category = z.infer<typeof api.category>;
export type CategoryList = z.infer<typeof api.categoryList>;
export type Order = z.infer<typeof api.order>;
export type OrderPage = z.infer<typeof api.orderPage>;
export type Address = z.infer<typeof api.address>;
export type AddressList = z.infer<typeof api.addressList>;
export type AddressRequest = z.infer<typeof api.addressRequest>;
export type CheckoutRequest = z.infer<typeof api.checkoutRequest>;
export type NotificationPage = z.infer<typeof api.notificationPage>;
export type Notification = NotificationPage['items'][number];
export type Link = z.infer<typeof api.link>;
export type LinkPage = z.infer<typeof api.linkPage>;
export type ClickEvent = z.infer<typeof api.clickEvent>;
export type QrProgress = z.infer<typeof api.qrProgressEvent>;
export type QrSummary = z.infer<typeof api.qrSummaryEvent>;
export type Dashboard = z.infer<typeof api.analyticsDashboard>;
export type TraceView = z.infer<typeof api.traceView>;
export type TraceSpan = TraceView['spans'][number];
export type User = z.infer<typeof api.user>;
export type SearchResult = z.infer<typeof search.searchResult>;
export type Suggestions = z.infer<typeof search.suggestions>;
