import { createRequire } from 'node:module';
import type nodemailer from 'nodemailer';

// Loaded when an SMTP mailer is built: development (outbox) never loads it.
const require = createRequire(import.meta.url);
import type { Mailer, MailMessage } from './contract.js';

/** SMTP through nodemailer. `url` is smtp://user:pass@host:port or smtps://… (implicit TLS). */
export function createSmtpMailer(opts: { url: string; from: string }): Mailer {
  const transport = (require('nodemailer') as typeof nodemailer).createTransport(opts.url);
  return {
    async send(message: MailMessage) {
      await transport.sendMail({ from: opts.from, ...message });
    },
    async close() {
      transport.close();
    },
  };
}
