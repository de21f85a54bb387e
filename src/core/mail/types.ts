import type { Locale } from '../i18n/index.js';

/**
 * One locale of a template, as Handlebars sources. `{{value}}` is HTML-escaped in `html`;
 * `subject` and `text` are plain text (nothing escaped). Without `text`, the text part is
 * derived from the rendered HTML (links kept as `label: url`).
 */
export interface MailTemplateSource {
  subject: string;
  html: string;
  text?: string;
}

/**
 * A template: one source per locale (es, en). Sent in the locale asked for, else the app's
 * default locale, else whichever exists. `layout: false` leaves out the shared layout
 * (header with the brand, footer).
 */
export type MailTemplate = Partial<Record<Locale, MailTemplateSource>> & { layout?: boolean };

/** A module's templates by short name; sent as `<module>.<name>` (`auth.verify-email`). */
export type MailTemplates = Record<string, MailTemplate>;

/**
 * Extra header fields by name, e.g. `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058).
 * Names are RFC 5322 field names (letters, digits and `-`); values are one line (no CR or LF),
 * at most 900 characters. The fields the mailer writes itself (From, To, Cc, Bcc, Subject,
 * Reply-To, Date, Message-ID, MIME-Version, Content-*, Sender, Return-Path) cannot be set here:
 * `render`/`send` throw a TypeError, like a bad address.
 */
export type MailHeaders = Record<string, string>;

/**
 * A file attached to an email (a report's PDF). `content` is base64, because the email travels
 * as a job payload (JSON) until it is sent; at most 10 MB of attachments per email.
 */
export interface MailAttachment {
  filename: string;
  contentType: string;
  content: string;
}

/** An email from a registered template. `data` fills its `{{slots}}`; a slot left out is an error. */
export interface TemplateMail {
  to: string;
  template: string;
  /** es or en; default: `i18n.defaultLocale`. */
  locale?: Locale;
  data?: Record<string, unknown>;
  replyTo?: string;
  /** Extra header fields (see MailHeaders). */
  headers?: MailHeaders;
  attachments?: MailAttachment[];
}

/** An email written by the caller, sent as given (no layout). Without `text`, it is derived from `html`. */
export interface RawMail {
  to: string;
  subject: string;
  html?: string;
  text?: string;
  replyTo?: string;
  /** Extra header fields (see MailHeaders). */
  headers?: MailHeaders;
  attachments?: MailAttachment[];
}

export type MailRequest = TemplateMail | RawMail;

/** What the mail job carries and the transport sends: rendered, both parts. */
export interface RenderedMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  replyTo?: string;
  headers?: MailHeaders;
  attachments?: MailAttachment[];
}

/** Name, payload and options of the mail job, for `trx.enqueue(job.name, job.payload, job.opts)`. */
export interface MailJob {
  name: string;
  payload: RenderedMail;
  opts: { attempts: number; backoffMs: number; delayMs?: number };
}

export interface MailSendOptions {
  /** Send later (a reminder): milliseconds from now. */
  delayMs?: number;
}

/**
 * `ctx.mail`: renders now (an unknown template or a missing slot throws at the call site), sends
 * later through the job queue, so a slow or failing SMTP server never holds a request; failed
 * sends retry with backoff (`mail.attempts`, `mail.backoffMs`) and end in the dead-letter list.
 *
 * @example
 * await ctx.mail.send({ to: user.email, template: 'shop.order-shipped', locale: 'es', data: { name, url } });
 * await ctx.mail.send({ to: 'ops@example.com', subject: 'Export ready', html: '<p>Done.</p>' });
 */
export interface Mail {
  /**
   * Queues the email; resolves with the job id once it is queued (never waits for SMTP). Inside
   * `ctx.tx` it joins the transaction: the email goes out if and only if the transaction commits.
   */
  send(message: MailRequest, opts?: MailSendOptions): Promise<string>;
  /**
   * Renders and hands the email to the transport now, resolving once the server accepted it and
   * throwing when it did not (the error keeps nodemailer's `responseCode`, e.g. 550 for a
   * rejected address). No job, no retries: for callers that run their own retry policy and
   * record every attempt (the notifications module's email channel). Everyone else: `send`.
   */
  sendNow(message: MailRequest): Promise<void>;
  /** The job that sends this email, rendered: `trx.enqueue(job.name, job.payload, job.opts)`. */
  prepare(message: MailRequest, opts?: MailSendOptions): MailJob;
  /** Renders without sending (previews, tests). */
  render(message: MailRequest): RenderedMail;
  /** Whether `<module>.<name>` is registered. */
  has(template: string): boolean;
}
