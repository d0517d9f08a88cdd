/**
 * The API's shapes, inferred from the contracts the services and the gateway validate
 * with (type-only: nothing of zod or the contracts reaches the bundle), so the UI cannot
 * drift from what the API answers.
 */
import type { AnalyticsDashboard } from '@meshmart/contracts/analytics';
import type { Category, CategoryList, Product, ProductPage } from '@meshmart/contracts/catalog';
import type { ClickEvent, Link, LinkPage } from '@meshmart/contracts/links';
import type { Notification, NotificationPage } from '@meshmart/contracts/notifications';
import type { checkoutRequest, Order, OrderPage } from '@meshmart/contracts/orders';
import type { QrProgressEvent, QrSummaryEvent } from '@meshmart/contracts/qr';
import type { RecommendationList } from '@meshmart/contracts/recommendations';
import type { SearchResult, Suggestions } from '@meshmart/contracts/search';
import type { TraceSpan, TraceView } from '@meshmart/contracts/traces';
import type { Address, AddressList, addressRequest, TokenPair, User } from '@meshmart/contracts/users';
import type { z } from 'zod';

export type {
  Address,
  AddressList,
  Category,
  CategoryList,
  ClickEvent,
  Link,
  LinkPage,
  Notification,
  NotificationPage,
  Order,
  OrderPage,
  Product,
  ProductPage,
  RecommendationList,
  SearchResult,
  Suggestions,
  TokenPair,
  TraceSpan,
  TraceView,
  User,
};
/** Requests as a client writes them, before defaults and normalising. */
export type AddressRequest = z.input<typeof addressRequest>;
export type CheckoutRequest = z.input<typeof checkoutRequest>;
export type QrProgress = QrProgressEvent;
export type QrSummary = QrSummaryEvent;
export type Dashboard = AnalyticsDashboard;
export type Recommendation = RecommendationList['items'][number];
