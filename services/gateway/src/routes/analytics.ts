/** analytics' API: tracked client events and reports. */
import {
  analyticsDashboard,
  analyticsSummary,
  dashboardQuery,
  rangeQuery,
  tracked,
  trackRequest,
  usageReport,
} from '@meshmart/contracts/analytics';
import { z } from 'zod';
import type { CalleeApi } from '../routes.ts';
import { service } from './service.ts';

/** Any user's report is for admins, who name users by users' ids. */
const userIdParams = z.strictObject({ userId: z.uuid() });
const analyticsTag = 'analytics';
const analytics = service('analytics');

export const analyticsApi: CalleeApi = {
  requests: { TrackRequest: trackRequest },
  responses: { AnalyticsSummary: analyticsSummary, AnalyticsDashboard: analyticsDashboard, UsageReport: usageReport },
  routes: [
    {
      method: 'POST',
      path: '/api/analytics/track',
      summary: 'Record a client event (anonymous without a token)',
      tag: analyticsTag,
      access: 'optional',
      limit: 'api',
      body: trackRequest,
      success: { status: 202, description: 'Accepted', schema: tracked },
      errors: [],
      target: analytics('/analytics/track'),
    },
    {
      method: 'GET',
      path: '/api/analytics/summary',
      summary: 'Sign-ups, orders, revenue, links, clicks and QR codes over a time range (admin role)',
      tag: analyticsTag,
      access: 'admin',
      limit: 'api',
      query: rangeQuery,
      success: { status: 200, description: 'Summary', schema: analyticsSummary },
      errors: [],
      target: analytics('/analytics/summary'),
    },
    {
      method: 'GET',
      path: '/api/analytics/dashboard',
      summary: 'Totals, time series, top links and top products (admin role)',
      tag: analyticsTag,
      access: 'admin',
      limit: 'api',
      query: dashboardQuery,
      success: { status: 200, description: 'Dashboard', schema: analyticsDashboard },
      errors: [],
      target: analytics('/analytics/dashboard'),
    },
    {
      method: 'GET',
      path: '/api/analytics/usage',
      summary: 'Usage report of the signed-in user',
      tag: analyticsTag,
      access: 'user',
      limit: 'api',
      query: rangeQuery,
      success: { status: 200, description: 'Usage report', schema: usageReport },
      errors: [],
      target: analytics('/analytics/users/:callerId/usage'),
    },
    {
      method: 'GET',
      path: '/api/analytics/users/:userId/usage',
      summary: 'Usage report of any user (admin role)',
      tag: analyticsTag,
      access: 'admin',
      limit: 'api',
      params: userIdParams,
      query: rangeQuery,
      success: { status: 200, description: 'Usage report', schema: usageReport },
      errors: [],
      target: analytics('/analytics/users/:userId/usage'),
    },
  ],
};
