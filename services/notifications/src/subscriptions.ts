/**
 * Domain events in, notifications out. Each event is recorded once (its notification,
 * its pending e-mail and its id in one statement), then its e-mail is sent at once.
 * A failed send does not fail the delivery: the e-mail is already safe as `pending` and
 * the sender's retry loop owns it. Answering RETRY instead would make RabbitMQ redeliver
 * at once and in a loop for as long as SMTP is down, and the redelivery would find the
 * event recorded and do nothing anyway.
 */

import type { Logger, Subscription } from '@meshmart/kit';
import { service } from '@meshmart/kit/topology';
import type { EmailSender } from './email-sender.ts';
import { notificationsSent } from './metrics.ts';
import type { NotificationStore } from './notifications-store.ts';
import { render } from './render.ts';

export function notificationSubscriptions(deps: {
  store: NotificationStore;
  sender: EmailSender;
  opsEmail: string;
  logger: Logger;
}): Subscription[] {
  const { store, sender, opsEmail, logger } = deps;
  return service('notifications').subscribes.map((topic) => ({
    topic,
    async handle(event) {
      const rendered = render(event, opsEmail);
      const emailId = await store.record(event.eventId, event.topic, rendered);
      if (emailId === undefined) {
        logger.info('event already handled; redelivery ignored', { topic, event_id: event.eventId });
        return;
      }
      if (rendered.userId !== undefined) notificationsSent.inc({ channel: 'in_app', kind: rendered.kind });
      await sender.sendNow(emailId).catch((err: unknown) =>
        logger.warn('immediate e-mail send failed; the retry loop will send it', {
          email_id: emailId,
          err: (err as Error).message,
        }),
      );
    },
  }));
}
