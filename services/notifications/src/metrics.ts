import { counter } from '@meshmart/kit';

export const notificationsSent = counter('notifications_sent_total', 'Notifications delivered, by channel and kind', [
  'channel',
  'kind',
]);
export const emailFailures = counter(
  'notifications_email_failures_total',
  'Attempts to hand an e-mail to the smtp binding that failed (each is retried later)',
);
