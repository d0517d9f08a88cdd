/** SQL for in-app notifications and the record of handled events. */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Rendered } from './render.ts';

export interface Notification {
  id: string;
  kind: string;
  title: string;
  body: string;
  read: boolean;
  createdAt: string;
}

interface NotificationRow {
  id: string;
  kind: string;
  title: string;
  body: string;
  read_at: Date | null;
  created_at: Date;
}

const toNotification = (r: NotificationRow): Notification => ({
  id: r.id,
  kind: r.kind,
  title: r.title,
  body: r.body,
  read: r.read_at !== null,
  createdAt: r.created_at.toISOString(),
});

export class NotificationStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Records an event's notification and its pending e-mail, once, in one statement. The
   * event id is claimed in it, so a redelivery (even one arriving while the first
   * delivery is still being handled: it waits on the primary key) writes nothing and
   * resolves undefined. Resolves the pending e-mail's id otherwise.
   */
  async record(eventId: string, topic: string, n: Rendered): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ id: string }>({
      name: 'notifications.record',
      text: `WITH claimed AS (
          INSERT INTO processed_events (event_id, topic) VALUES ($1, $2)
          ON CONFLICT (event_id) DO NOTHING RETURNING event_id
        ), note AS (
          INSERT INTO notifications (id, user_id, kind, title, body, event_id)
          SELECT $3, $4, $5, $6, $7, event_id FROM claimed WHERE $4::text IS NOT NULL
          RETURNING id
        )
        INSERT INTO outgoing_emails (id, event_id, notification_id, kind, email_to, subject, html)
        SELECT $8, event_id, (SELECT id FROM note), $5, $9, $10, $11 FROM claimed
        RETURNING id`,
      values: [
        eventId,
        topic,
        randomUUID(),
        n.userId ?? null,
        n.kind,
        n.title,
        n.body,
        randomUUID(),
        n.email.to,
        n.email.subject,
        n.email.html,
      ],
    });
    return rows[0]?.id;
  }

  async list(
    userId: string,
    page: { limit: number; offset: number; unread?: boolean | undefined },
  ): Promise<{ items: Notification[]; total: number }> {
    const unreadOnly = page.unread === true;
    const readOnly = page.unread === false;
    const filter = `user_id = $1${unreadOnly ? ' AND read_at IS NULL' : readOnly ? ' AND read_at IS NOT NULL' : ''}`;
    const [items, total] = await Promise.all([
      this.pool.query<NotificationRow>(
        `SELECT id, kind, title, body, read_at, created_at FROM notifications WHERE ${filter}
         ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
        [userId, page.limit, page.offset],
      ),
      this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM notifications WHERE ${filter}`, [userId]),
    ]);
    return { items: items.rows.map(toNotification), total: Number(total.rows[0]?.n ?? 0) };
  }

  /** False when the user has no such notification; marking twice is fine. */
  async markRead(userId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1 AND user_id = $2',
      [id, userId],
    );
    return rowCount === 1;
  }
}
