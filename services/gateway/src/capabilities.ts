/**
 * What each route provides, in the words a 503 uses ("checkout is unavailable right
 * now"). By tag, with the routes whose purpose differs from their tag's named.
 */
import type { GatewayRoute } from './routes.ts';

const BY_ROUTE: Record<string, string> = {
  'POST /api/auth/register': 'sign-up',
  'POST /api/auth/logout': 'sign-out',
  'POST /api/orders': 'checkout',
  'POST /api/orders/:id/cancel': 'cancelling orders',
  'GET /s/:code': 'this short link',
  'GET /api/admin/traces/:traceId': 'the trace view',
  'GET /api/users/me/addresses': 'your addresses',
  'POST /api/users/me/addresses': 'your addresses',
  'GET /api/users/me/addresses/:id': 'your addresses',
  'PUT /api/users/me/addresses/:id': 'your addresses',
  'DELETE /api/users/me/addresses/:id': 'your addresses',
};

const BY_TAG: Record<string, string> = {
  auth: 'sign-in',
  profile: 'your profile',
  admin: 'user administration',
  catalog: 'the product catalog',
  inventory: 'stock',
  orders: 'your orders',
  notifications: 'your notifications',
  links: 'short links',
  qr: 'QR codes',
  analytics: 'analytics',
  search: 'product search',
  recommendations: 'recommendations',
};

export function capabilityOf(route: Pick<GatewayRoute, 'method' | 'path' | 'tag'>): string {
  return BY_ROUTE[`${route.method} ${route.path}`] ?? BY_TAG[route.tag] ?? 'this API';
}
