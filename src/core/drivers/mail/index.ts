import type { Logger } from 'pino';
import type { Database } from '../../db/database.js';
import type { Mailer } from './contract.js';
import { createOutboxMailer } from './outbox.js';
import { createSmtpMailer } from './smtp.js';

export type { Mailer, MailMessage } from './contract.js';
export { mailMigrations } from './migrations.js';
export { firstLink, readOutbox, readOutboxEntry, type OutboxEntry } from './outbox.js';

export interface MailerOptions {
  /** smtp(s)://… ; null selects the development outbox. */
  smtpUrl: string | null;
  from: string;
  database: Database;
  log?: Logger;
  /** SMTP: bound on connecting and on silence from the server (default 30 s). */
  timeoutMs?: number;
}

/** SMTP when a URL is configured, else the outbox table (needs `mailMigrations`). */
export function createMailer(opts: MailerOptions): Mailer {
  if (opts.smtpUrl) return createSmtpMailer({ url: opts.smtpUrl, from: opts.from, timeoutMs: opts.timeoutMs });
  return createOutboxMailer({ db: opts.database.db, from: opts.from, log: opts.log });
}
