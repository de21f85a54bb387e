import type { Mail } from '../../../core/mail/types.js';
import type { NotificationChannel } from './contract.js';

/** The kernel mail template every notification email goes through (shared layout, footer link). */
export const EMAIL_TEMPLATE = 'notifications.message';

export const emailTemplates = {
  message: {
    // `content` is the type's email HTML, already rendered (its values escaped) by the type registry.
    es: {
      subject: '{{subject}}',
      html: '{{{content}}}{{#if unsubscribeUrl}}<p style="font-size:12px;color:#666"><a href="{{unsubscribeUrl}}">No quiero recibir más avisos como este</a></p>{{/if}}',
    },
    en: {
      subject: '{{subject}}',
      html: '{{{content}}}{{#if unsubscribeUrl}}<p style="font-size:12px;color:#666"><a href="{{unsubscribeUrl}}">Stop emails like this</a></p>{{/if}}',
    },
  },
};

/**
 * Email through the kernel mailer, sent now inside the deliver job (`ctx.mail.sendNow`) so the
 * module's retry policy and attempt records see the SMTP server's answer: 550/551/553 is a
 * bounce and another 5xx a permanent failure (both final); a 4xx, a timeout or a refused
 * connection retries.
 */
export function emailChannel(mail: Mail): NotificationChannel {
  return {
    name: 'email',
    retry: { attempts: 6, backoffMs: 30_000 },
    canReach: (r) => r.email !== null,
    async send(d) {
      try {
        await mail.sendNow({
          to: d.recipient.email!,
          template: EMAIL_TEMPLATE,
          locale: d.recipient.locale,
          data: { subject: d.content.subject, content: d.content.html, unsubscribeUrl: d.unsubscribeUrl },
          // RFC 8058 one-click: mail clients show "Unsubscribe" and POST to the same signed link,
          // which the public route accepts without signing in (a GET only shows a confirmation page).
          ...(d.unsubscribeUrl ? { headers: { 'List-Unsubscribe': `<${d.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } } : {}),
        });
        return { status: 'sent' };
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode;
        const error = `${code ?? ''} ${(err as Error).message}`.trim();
        // 550/551/553: the mailbox does not exist or is refused for good; other 5xx will not pass either.
        if (code === 550 || code === 551 || code === 553) return { status: 'bounced', retryable: false, error };
        return { status: 'failed', retryable: !(code !== undefined && code >= 500), error };
      }
    },
  };
}
