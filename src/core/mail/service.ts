import type { Logger } from 'pino';
import { MAIL_FROM_DEFAULT, type AppConfig } from '../config/schema.js';
import type { Database } from '../db/database.js';
import { createMailer, type Mailer } from '../drivers/mail/index.js';
import { verifySmtp } from '../drivers/mail/smtp.js';
import type { JobOptions, Queue } from '../drivers/queue/contract.js';
import type { Locale } from '../i18n/index.js';
import { MailTemplateRegistry } from './templates.js';
import type { Mail, MailAttachment, MailJob, MailRequest, MailSendOptions, RenderedMail } from './types.js';

const MAX_ATTACHMENT_BASE64 = Math.ceil((10 * 1_048_576 * 4) / 3);

/** Attachments as given, checked: a name without path or control characters, a content type, base64 within 10 MB. */
function checkAttachments(list: MailAttachment[]): MailAttachment[] {
  let total = 0;
  for (const a of list) {
    // eslint-disable-next-line no-control-regex -- control characters are what the check refuses
    if (typeof a.filename !== 'string' || !/^[^/\\\x00-\x1f]{1,200}$/.test(a.filename)) throw new TypeError(`Bad attachment name: ${JSON.stringify(a.filename)}`);
    if (typeof a.contentType !== 'string' || !/^[\w.+-]+\/[\w.+-]+$/.test(a.contentType)) throw new TypeError(`Bad attachment type: ${JSON.stringify(a.contentType)}`);
    if (typeof a.content !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(a.content)) throw new TypeError('Attachment content must be base64');
    total += a.content.length;
  }
  if (total > MAX_ATTACHMENT_BASE64) throw new TypeError('Attachments over 10 MB');
  return list.map(({ filename, contentType, content }) => ({ filename, contentType, content }));
}

/** The kernel's job that hands a rendered email to the transport. */
export const MAIL_JOB = 'core.mail.send';

export interface KernelMailOptions {
  config: AppConfig['mail'];
  defaultLocale: Locale;
  database: Database;
  /** Where the mail job's handler is registered. */
  queue: Queue;
  /** Queues the job: ctx.enqueue, which joins a transaction open in this async context (outbox). */
  enqueue(job: string, payload: unknown, opts?: JobOptions): Promise<string>;
  log: Logger;
}

// One address, no header injection: anything with a line break or without an @ is a bug upstream.
const ADDRESS = /^[^\s@<>,;]+@[^\s@<>,;]+$/;

// RFC 5322 field names, narrowed to what real extension headers use; the value must stay on one line.
const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,75}$/;
// Written by the mailer (nodemailer) itself: a second copy would be ambiguous or an injection.
const RESERVED_HEADERS = new Set(['from', 'to', 'cc', 'bcc', 'subject', 'reply-to', 'date', 'message-id', 'mime-version', 'sender', 'return-path', 'in-reply-to', 'references']);

/** Checks extra header fields (MailHeaders); throws a TypeError naming the first bad one. */
export function checkMailHeaders(headers: unknown): void {
  if (headers === undefined) return;
  if (!headers || typeof headers !== 'object' || Array.isArray(headers)) throw new TypeError('Mail headers must be an object of name → value');
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) throw new TypeError(`Not a header name: ${JSON.stringify(name)}`);
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower) || lower.startsWith('content-')) throw new TypeError(`Header ${name} is written by the mailer and cannot be set`);
    if (typeof value !== 'string' || /[\r\n\0]/.test(value) || value.length > 900) throw new TypeError(`Header ${name}: the value must be one line of at most 900 characters`);
  }
}

/**
 * `ctx.mail` (see Mail in types.ts). Rendering happens in the caller, sending in the job: the
 * job carries the finished email, so what was checked at the call site is what goes out, and a
 * template edited between enqueue and delivery cannot break a queued email.
 */
export class KernelMail implements Mail {
  readonly templates: MailTemplateRegistry;
  private url: string | null;
  private from: string;
  private transport: Mailer | null = null;

  constructor(private readonly opts: KernelMailOptions) {
    this.url = opts.config.url;
    this.from = opts.config.from;
    this.templates = new MailTemplateRegistry({ brand: opts.config.brand, defaultLocale: opts.defaultLocale });
    opts.queue.register(MAIL_JOB, (payload: RenderedMail) => this.deliver(payload));
  }

  async send(message: MailRequest, opts?: MailSendOptions): Promise<string> {
    const job = this.prepare(message, opts);
    return this.opts.enqueue(job.name, job.payload, job.opts);
  }

  async sendNow(message: MailRequest): Promise<void> {
    await this.deliver(this.render(message));
  }

  prepare(message: MailRequest, opts: MailSendOptions = {}): MailJob {
    const { attempts, backoffMs } = this.opts.config;
    return { name: MAIL_JOB, payload: this.render(message), opts: { attempts, backoffMs, ...(opts.delayMs ? { delayMs: opts.delayMs } : {}) } };
  }

  render(message: MailRequest): RenderedMail {
    if (typeof message.to !== 'string' || !ADDRESS.test(message.to.trim())) throw new TypeError(`Not one email address: ${JSON.stringify(message.to)}`);
    if (message.replyTo !== undefined && !ADDRESS.test(message.replyTo.trim())) throw new TypeError(`Not one email address: ${JSON.stringify(message.replyTo)}`);
    checkMailHeaders(message.headers);
    const mail = { ...message, to: message.to.trim() };
    const rendered = 'template' in mail ? this.templates.renderTemplate(mail) : this.templates.renderRaw(mail);
    if (message.attachments?.length) rendered.attachments = checkAttachments(message.attachments);
    return rendered;
  }

  has(template: string): boolean {
    return this.templates.has(template);
  }

  /** SMTP configured (else the development outbox). */
  get usesSmtp(): boolean {
    return this.url !== null;
  }

  /** Asks the SMTP server to answer (readiness, `health.smtp`); nothing to ask without SMTP. */
  async verify(): Promise<void> {
    if (this.url) await verifySmtp(this.url, this.opts.config.timeoutMs);
  }

  /**
   * @deprecated For `modules.auth.mail` only, removed with it in the next release: its
   * `smtpUrl` and `from` fill in what the top-level `mail:` section leaves unset.
   */
  adoptLegacySettings(settings: { smtpUrl?: string | null; from?: string }): void {
    if (this.url === null && settings.smtpUrl) this.url = settings.smtpUrl;
    if (this.from === MAIL_FROM_DEFAULT && settings.from) this.from = settings.from;
  }

  private async deliver(message: RenderedMail): Promise<void> {
    // Built at the first send, so settings adopted while modules are wired are in place.
    this.transport ??= createMailer({
      smtpUrl: this.url,
      from: this.from,
      database: this.opts.database,
      log: this.opts.log,
      timeoutMs: this.opts.config.timeoutMs,
    });
    await this.transport.send(message);
  }

  async close(): Promise<void> {
    const transport = this.transport;
    this.transport = null;
    await transport?.close();
  }
}
