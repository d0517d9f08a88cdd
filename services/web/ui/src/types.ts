/**
 * The API's shapes, inferred from the contracts the services and the gateway validate
 * with (type-only: nothing of zod or the contracts reaches the bundle), so the UI cannot
 * drift from what the API answers.
 */
import type { AnalyticsDashboard } from '@meshmart/contracts/analytics';
import type { Category, categoryList, Product, productPage } from '@meshmart/contracts/catalog';
import type { ClickEvent, Link, LinkPage } from '@meshmart/contracts/links';
import type { Notification, notificationPage } from '@meshmart/contracts/notifications';
import type { checkoutRequest, Order, orderPage } from '@meshmart/contracts/orders';
import type { QrProgressEvent, QrSummaryEvent } from '@meshmart/contracts/qr';
import type { RecommendationList } from '@meshmart/contracts/recommendations';
import type { SearchResult, suggestions } from '@meshmart/contracts/search';
import type { TraceSpan, TraceView } from '@meshmart/contracts/traces';
import type { Address, addressList, addressRequest, TokenPair, User } from '@meshmart/contracts/users';
import type { z } from 'zod';

export type {
  Address,
  Category,
  ClickEvent,
  Link,
  LinkPage,
  Notification,
  Order,
  Product,
  RecommendationList,
  SearchResult,
  TokenPair,
  TraceSpan,
  TraceView,
  User,
};
/** Requests as a client writes them, before defaults and normalising. */
export type AddressRequest = z.input<typeof addressRequest>;
export type CheckoutRequest = z.input<typeof checkoutRequest>;
export type ProductPage = z.infer<typeof productPage>;
export type CategoryList = z.infer<typeof categoryList>;
export type OrderPage = z.infer<typeof orderPage>;
export type AddressList = z.infer<typeof addressList>;
export type NotificationPage = z.infer<typeof notificationPage>;
export type QrProgress = QrProgressEvent;
export type QrSummary = QrSummaryEvent;
export type Dashboard = AnalyticsDashboard;
export type Suggestions = z.infer<typeof suggestions>;
export type Recommendation = RecommendationList['items'][number];
