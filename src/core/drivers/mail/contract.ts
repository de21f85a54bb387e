/** One email. `text` is always sent; `html` is an optional alternative part. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  replyTo?: string;
  /** Extra header fields, already checked by ctx.mail (List-Unsubscribe…). */
  headers?: Record<string, string>;
  /** Files, content in base64 (kernel mail: at most 10 MB in all). */
  attachments?: Array<{ filename: string; contentType: string; content: string }>;
}

/**
 * Sends email. Development default: an outbox table plus a log line; otherwise SMTP.
 * Modules never call a Mailer: they use `ctx.mail` (src/core/mail), whose job calls it.
 */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}
