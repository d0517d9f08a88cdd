import type { Migration } from '@meshmart/kit';

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'notifications, processed events and outgoing e-mail',
    sql: `
      CREATE TABLE notifications (
        id uuid PRIMARY KEY,
        user_id text NOT NULL,
        kind text NOT NULL,
        title text NOT NULL,
        body text NOT NULL,
        event_id text NOT NULL,
        read_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX notifications_user ON notifications (user_id, created_at DESC, id DESC);

      -- Events already handled; a redelivery finds its id here and changes nothing.
      CREATE TABLE processed_events (
        event_id text PRIMARY KEY,
        topic text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now()
      );

      -- E-mail waiting to be handed to the smtp binding, written with the notification.
      CREATE TABLE outgoing_emails (
        id uuid PRIMARY KEY,
        event_id text NOT NULL,
        notification_id uuid REFERENCES notifications(id) ON DELETE SET NULL,
        kind text NOT NULL,
        email_to text NOT NULL,
        subject text NOT NULL,
        html text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz
      );
      CREATE INDEX outgoing_emails_due ON outgoing_emails (next_attempt_at) WHERE status = 'pending';
    `,
  },
];
