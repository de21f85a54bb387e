import { Type } from 'typebox';
import { forbidden, notFound } from '../../../core/http/problem.js';
import type { App, ModuleContext } from '../../../core/module.js';
import { Problem } from '../api.js';
import type { NotificationsConfig } from '../config.js';
import type { NotificationService } from '../service.js';
import { TWILIO_STATUS_PATH } from './twilio.js';
import { verifyTwilioSignature } from './twilio-signature.js';

/** Twilio's status callbacks are small forms; anything larger is not from Twilio. */
const BODY_LIMIT = 64 * 1024;

/** Twilio's MessageStatus → the delivery's status (null: nothing to record). */
function mapStatus(s: string): 'sent' | 'delivered' | 'failed' | null {
  if (s === 'delivered' || s === 'read') return 'delivered';
  if (s === 'undelivered' || s === 'failed') return 'failed';
  if (s === 'sent') return 'sent';
  return null; // queued, accepted, sending, scheduled, canceled…: nothing new for us
}

/**
 * `POST /v1/public/notifications/twilio/status`: where Twilio posts a message's status changes
 * (the StatusCallback set on every message). Checked with X-Twilio-Signature over the URL Twilio
 * called, rebuilt from `server.publicUrl` (behind a proxy the Host Twilio used is not ours), and
 * the raw form: a bad or missing signature is 403 and changes nothing. A delivery only moves
 * forward (DeliveryEngine.reportStatus), so repeats and late "sent" callbacks are harmless.
 */
export async function twilioStatusRoutes(app: App, ctx: ModuleContext<NotificationsConfig>) {
  await app.register(async (scope) => {
    // The signature covers the parameters exactly as sent: keep the raw form, parse it here.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));
    scope.post(
      TWILIO_STATUS_PATH.replace('/v1/public/notifications', ''),
      {
        config: { scope: 'public' },
        schema: {
          tags: ['notifications', 'webhooks'],
          summary: 'Twilio message status callback (set on each SMS/WhatsApp message; not for clients)',
          description: 'Signed by Twilio (X-Twilio-Signature): 403 twilio_signature_invalid changes nothing. 404 when Twilio is not configured.',
          response: { 200: Type.Object({ received: Type.Boolean(), updated: Type.Boolean() }), 400: Problem, 403: Problem, 404: Problem },
        },
      },
      async (request) => {
        const cfg = ctx.config.twilio;
        if (!cfg.authToken) throw notFound('twilio_not_configured');
        const raw = typeof request.body === 'string' ? request.body : '';
        const form = new URLSearchParams(raw);
        const url = ctx.appConfig.server.publicUrl.replace(/\/$/, '') + request.url;
        const signature = request.headers['x-twilio-signature'];
        if (!verifyTwilioSignature(cfg.authToken, typeof signature === 'string' ? signature : undefined, url, form.entries())) {
          throw forbidden('twilio_signature_invalid');
        }
        const sid = form.get('MessageSid') ?? form.get('SmsSid');
        const status = mapStatus(form.get('MessageStatus') ?? form.get('SmsStatus') ?? '');
        if (!sid || !status) return { received: true, updated: false };
        const channel = (form.get('To') ?? '').startsWith('whatsapp:') ? 'whatsapp' : 'sms';
        const code = form.get('ErrorCode');
        const svc = ctx.services.notifications as NotificationService;
        const updated = await svc.reportStatus(channel, sid.slice(0, 255), status, status === 'failed' ? `twilio ${code ?? ''}: ${form.get('MessageStatus')}`.slice(0, 200) : undefined);
        // An unknown sid (another app on the same account, or pruned): acknowledged, nothing to do.
        return { received: true, updated };
      },
    );
  });
}
