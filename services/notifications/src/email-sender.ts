/**
 * Hands pending e-mails to the Dapr `smtp` output binding, so mail is neither lost nor
 * doubled. An e-mail is written as `pending` in the statement that records its event;
 * sending locks its row (FOR UPDATE SKIP LOCKED, so the immediate send and the retry
 * loop, or two replicas, never send the same row at once), invokes the binding and marks
 * the row `sent` before unlocking. A failed send stays pending with a backoff and the
 * retry loop tries again, up to a limit. The one window for a duplicate is a crash after
 * the SMTP server accepted the message and before the commit: SMTP has no idempotency,
 * so delivery is at least once.
 */
import { type Logger, type Loop, type Sidecar, startLoop } from '@meshmart/kit';
import { context, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type pg from 'pg';
import { emailFailures, notificationsSent } from './metrics.ts';

export interface EmailSenderOptions {
  pool: pg.Pool;
  bindings: Pick<Sidecar, 'invokeBinding'>;
  /** Dapr component name of the SMTP output binding. */
  bindingName: string;
  logger: Logger;
  /** After this many failed attempts an e-mail is marked `failed` and left for an operator. */
  maxAttempts: number;
  /** How often the retry loop looks for due e-mails. */
  pollMs: number;
  maxBackoffMs: number;
}

interface EmailRow {
  id: string;
  kind: string;
  email_to: string;
  subject: string;
  html: string;
  attempts: number;
}

const FIRST_BACKOFF_MS = 5000;

const tracer = trace.getTracer('notifications');

/** Idle polls of the retry loop would each start a trace of their own in Jaeger. */
const untraced = <T>(work: () => Promise<T>): Promise<T> => context.with(suppressTracing(context.active()), work);

export class EmailSender {
  private queue: Promise<unknown> = Promise.resolve();
  private loop: Loop<number> | undefined;
  private stopped = false;

  constructor(private readonly options: EmailSenderOptions) {}

  /** Sends this e-mail now unless it is sent already or being sent; resolves whether it went out. */
  sendNow(id: string): Promise<boolean> {
    return this.serially(() => this.attempt('id = $1', [id])).then((outcome) => outcome === 'sent');
  }

  /** Sends every pending e-mail whose time has come, each retry its own trace; resolves with how many went out. */
  async sendDue(): Promise<number> {
    let sent = 0;
    while (!this.stopped) {
      const outcome = await tracer.startActiveSpan('email retry', async (span) => {
        try {
          return await this.serially(() => this.attempt('next_attempt_at <= now()', []));
        } finally {
          span.end();
        }
      });
      if (outcome === 'none') break;
      if (outcome === 'sent') sent++;
    }
    return sent;
  }

  private async anyDue(): Promise<boolean> {
    const { rows } = await this.options.pool.query<{ due: boolean }>(
      "SELECT EXISTS (SELECT 1 FROM outgoing_emails WHERE status = 'pending' AND next_attempt_at <= now()) AS due",
    );
    return rows[0]?.due === true;
  }

  start(): void {
    // Traced, because each retry is a trace of its own; the idle check is not.
    this.loop = startLoop({
      name: 'email-retry',
      pass: () => untraced(() => this.anyDue()).then((due) => (due ? this.sendDue() : 0)),
      intervalMs: this.options.pollMs,
      logger: this.options.logger,
      traced: true,
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop?.stop();
    await this.queue;
  }

  /**
   * One send at a time per process. Dapr's smtp binding (components-contrib 1.17) merges
   * each request's metadata into the component's shared metadata, so two concurrent
   * sends through one sidecar can swap recipients and subjects; every replica has its own
   * sidecar, so serialising here is enough.
   */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => {});
    return run;
  }

  private async attempt(where: string, params: unknown[]): Promise<'sent' | 'failed' | 'none'> {
    const { pool, bindings, bindingName, logger, maxAttempts, maxBackoffMs } = this.options;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<EmailRow>(
        `SELECT id, kind, email_to, subject, html, attempts FROM outgoing_emails
          WHERE status = 'pending' AND ${where}
          ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
        params,
      );
      const email = rows[0];
      if (!email) {
        await client.query('COMMIT');
        return 'none';
      }
      try {
        await bindings.invokeBinding(bindingName, {
          operation: 'create',
          data: email.html,
          metadata: { emailTo: email.email_to, subject: email.subject },
        });
      } catch (err) {
        const attempts = email.attempts + 1;
        const giveUp = attempts >= maxAttempts;
        const backoffMs = Math.min(maxBackoffMs, FIRST_BACKOFF_MS * 2 ** (attempts - 1));
        await client.query(
          `UPDATE outgoing_emails SET attempts = $2, last_error = $3, status = $4,
                  next_attempt_at = now() + make_interval(secs => $5)
            WHERE id = $1`,
          [email.id, attempts, (err as Error).message, giveUp ? 'failed' : 'pending', backoffMs / 1000],
        );
        await client.query('COMMIT');
        emailFailures.inc();
        const details = { email_id: email.id, kind: email.kind, attempts, err: (err as Error).message };
        if (giveUp) logger.error('giving up on an e-mail; it stays in outgoing_emails as failed', details);
        else logger.warn('sending an e-mail failed; will retry', { ...details, retry_in_ms: backoffMs });
        return 'failed';
      }
      await client.query(
        `UPDATE outgoing_emails SET status = 'sent', attempts = attempts + 1, last_error = NULL, sent_at = now() WHERE id = $1`,
        [email.id],
      );
      await client.query('COMMIT');
      notificationsSent.inc({ channel: 'email', kind: email.kind });
      return 'sent';
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }
}
