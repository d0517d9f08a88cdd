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
import { calleeApi, service } from './callee.ts';

/** Any user's report is for admins, who name users by users' ids. */
const userIdParams = z.strictObject({ userId: z.uuid() });
const analytics = service('analytics');

export const analyticsApi = calleeApi({
  tag: 'analytics',
  requests: { TrackRequest: trackRequest },
  responses: { AnalyticsSummary: analyticsSummary, AnalyticsDashboard: analyticsDashboard, UsageReport: usageReport },
  routes: [
    {
      method: 'POST',
      path: '/api/analytics/track',
      summary: 'Record a client event (anonymous without a token)',
      access: 'optional',
      body: trackRequest,
      success: { status: 202, description: 'Accepted', schema: tracked },
      target: analytics('/analytics/track'),
    },
    {
      method: 'GET',
      path: '/api/analytics/summary',
      summary: 'Sign-ups, orders, revenue, links, clicks and QR codes over a time range (admin role)',
      access: 'admin',
      query: rangeQuery,
      success: { status: 200, description: 'Summary', schema: analyticsSummary },
      target: analytics('/analytics/summary'),
    },
    {
      method: 'GET',
      path: '/api/analytics/dashboard',
      summary: 'Totals, time series, top links and top products (admin role)',
      access: 'admin',
      query: dashboardQuery,
      success: { status: 200, description: 'Dashboard', schema: analyticsDashboard },
      target: analytics('/analytics/dashboard'),
    },
    {
      method: 'GET',
      path: '/api/analytics/usage',
      summary: 'Usage report of the signed-in user',
      access: 'user',
      query: rangeQuery,
      success: { status: 200, description: 'Usage report', schema: usageReport },
      target: analytics('/analytics/users/:callerId/usage'),
    },
    {
      method: 'GET',
      path: '/api/analytics/users/:userId/usage',
      summary: 'Usage report of any user (admin role)',
      access: 'admin',
      params: userIdParams,
      query: rangeQuery,
      success: { status: 200, description: 'Usage report', schema: usageReport },
      target: analytics('/analytics/users/:userId/usage'),
    },
  ],
});
