import { createRequire } from 'node:module';
import type nodemailer from 'nodemailer';

// Loaded when an SMTP mailer is built: development (outbox) never loads it.
const require = createRequire(import.meta.url);
import type { Mailer, MailMessage } from './contract.js';

/**
 * SMTP through nodemailer. `url` is smtp://user:pass@host:port or smtps://… (implicit TLS);
 * nodemailer options may ride in its query string (`?pool=true`). `timeoutMs` bounds
 * connecting, the greeting and any silence on the socket (nodemailer waits up to an hour by
 * default), so a stuck server fails the attempt and the job retries it later.
 */
export function createSmtpMailer(opts: { url: string; from: string; timeoutMs?: number }): Mailer {
  const timeout = opts.timeoutMs ?? 30_000;
  const transport = (require('nodemailer') as typeof nodemailer).createTransport({
    url: opts.url,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  return {
    async send(message: MailMessage) {
      const { attachments, ...rest } = message;
      await transport.sendMail({
        from: opts.from,
        ...rest,
        ...(attachments?.length ? { attachments: attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: Buffer.from(a.content, 'base64') })) } : {}),
      });
    },
    async close() {
      transport.close();
    },
  };
}

/** Connects, greets and (with credentials) logs in, then hangs up: readiness of the SMTP server. */
export async function verifySmtp(url: string, timeoutMs: number): Promise<void> {
  const transport = (require('nodemailer') as typeof nodemailer).createTransport({ url, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs });
  try {
    await transport.verify();
  } finally {
    transport.close();
  }
}
