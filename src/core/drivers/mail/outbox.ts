import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';
import type { Mailer, MailMessage } from './contract.js';

export interface OutboxEntry {
  id: string;
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string | null;
  /** Extra header fields the email was sent with (List-Unsubscribe…); {} when none. */
  headers: Record<string, string>;
  createdAt: number;
}

/**
 * Development mailer: stores each email in `neptuno_outbox` and logs a line with its first
 * link, so a developer can follow a verification or reset link without an SMTP server.
 */
export function createOutboxMailer(opts: { db: Db; from: string; log?: Logger }): Mailer {
  return {
    async send(message: MailMessage) {
      const id = randomUUID();
      await opts.db
        .insertInto('neptuno_outbox')
        .values({
          id,
          to_address: message.to,
          from_address: opts.from,
          subject: message.subject,
          text_body: message.text,
          html_body: message.html ?? null,
          headers: message.headers && Object.keys(message.headers).length ? JSON.stringify(message.headers) : null,
          created_at: Date.now(),
        })
        .execute();
      const link = firstLink(message.text);
      opts.log?.info({ mailId: id, to: message.to, subject: message.subject, link }, 'email written to the outbox');
    },
    async close() {},
  };
}

/** The newest outbox emails first (development tools and tests). */
export async function readOutbox(db: Db, opts: { to?: string; limit?: number } = {}): Promise<OutboxEntry[]> {
  let q = db.selectFrom('neptuno_outbox').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc');
  if (opts.to) q = q.where('to_address', '=', opts.to);
  const rows = await q.limit(opts.limit ?? 50).execute();
  return rows.map(toEntry);
}

/** One outbox email by id, or null. */
export async function readOutboxEntry(db: Db, id: string): Promise<OutboxEntry | null> {
  const row = await db.selectFrom('neptuno_outbox').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toEntry(row) : null;
}

/** The first link of a text body: what a developer follows (verification, reset). */
export const firstLink = (text: string) => /https?:\/\/\S+/.exec(text)?.[0];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const toEntry = (r: any): OutboxEntry => ({
  id: r.id,
  to: r.to_address,
  from: r.from_address,
  subject: r.subject,
  text: r.text_body,
  html: r.html_body,
  headers: r.headers ? (JSON.parse(r.headers) as Record<string, string>) : {},
  createdAt: Number(r.created_at),
});
