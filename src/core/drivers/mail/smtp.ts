import nodemailer from 'nodemailer';
import type { Mailer, MailMessage } from './contract.js';

/** SMTP through nodemailer. `url` is smtp://user:pass@host:port or smtps://… (implicit TLS). */
export function createSmtpMailer(opts: { url: string; from: string }): Mailer {
  const transport = nodemailer.createTransport(opts.url);
  return {
    async send(message: MailMessage) {
      await transport.sendMail({ from: opts.from, ...message });
    },
    async close() {
      transport.close();
    },
  };
}
