import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import webpush from 'web-push';
import type { Counter } from 'prom-client';
import type { PushReceipts, TargetOutcome } from '../push-receipts.js';
import { retryAfterMs, summarize } from '../push-receipts.js';
import type { WebPushSettings } from '../push-settings.js';
import type { VapidKeyStore } from '../webpush-keys.js';
import type { WebPushSubscriptions } from '../webpush-subscriptions.js';
import { ownerOf } from '../webpush-subscriptions.js';
import type { Delivery, NotificationChannel } from './contract.js';

/** Push services refuse bodies over 4096 bytes; aes128gcm adds 86 (header) + 16 (tag) + 1 (padding). */
const MAX_PLAINTEXT = 3993;

/** What the service worker receives (decrypted `event.data.json()`). */
export interface WebPushPayload {
  title: string;
  body: string;
  /** Absolute URL to open on click, or null. */
  url: string | null;
  type: string;
  notificationId: string;
  lang: string;
  critical: boolean;
}

export function webPushPayload(d: Delivery, publicUrl: string): string {
  const url = d.content.url ? new URL(d.content.url, publicUrl).href : null;
  const payload: WebPushPayload = { title: d.content.title, body: d.content.body, url, type: d.type, notificationId: d.notificationId, lang: d.recipient.locale, critical: d.critical };
  let text = JSON.stringify(payload);
  // A long body is cut (the inbox keeps it whole) rather than refused by the push service.
  while (Buffer.byteLength(text) > MAX_PLAINTEXT && payload.body) {
    payload.body = payload.body.slice(0, Math.floor(payload.body.length * 0.9));
    text = JSON.stringify(payload);
  }
  return text;
}

export interface WebPushDeps {
  settings: WebPushSettings;
  keys: VapidKeyStore;
  subscriptions: WebPushSubscriptions;
  receipts: PushReceipts;
  removed: Counter<'channel' | 'reason'>;
  publicUrl: string;
}

/** The VAPID `sub`: configured, else the public URL when https, else a mailto: at its host. */
export function vapidSubject(settings: WebPushSettings, publicUrl: string): string {
  if (settings.subject) return settings.subject;
  const url = new URL(publicUrl);
  return url.protocol === 'https:' ? url.origin : `mailto:push@${url.hostname}`;
}

/**
 * Web push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291), straight
 * to the browser's push service: no third party. A delivery goes to every subscription of the
 * recipient (one per browser); 404/410 means the subscription is gone and it is deleted; 429 and
 * 5xx retry through the module's backoff, honouring Retry-After; other 4xx are permanent.
 */
export function webPushChannel(deps: WebPushDeps): NotificationChannel {
  const { settings, keys, subscriptions, receipts } = deps;
  const agent = new Agent({ keepAlive: true, maxSockets: 64, ...(settings.ca ? { ca: [...rootCertificates, settings.ca] } : {}) });
  const subject = vapidSubject(settings, deps.publicUrl);

  return {
    name: 'webpush',
    retry: { attempts: 6, backoffMs: 10_000 },
    canReach: (r) => (ownerOf(r) ? subscriptions.any(ownerOf(r)!) : false),
    async start() {
      await keys.keys();
    },
    stop() {
      agent.destroy();
    },
    async send(d) {
      const vapid = await keys.keys();
      const subs = (ownerOf(d.recipient) ? await subscriptions.rows(ownerOf(d.recipient)!) : []);
      if (!subs.length) return { status: 'bounced', retryable: false, error: 'no push subscription left' };
      const reached = await receipts.reached(d.id);
      const pending = subs.filter((s) => !reached.has(s.id));
      if (!pending.length) return { status: 'sent' };
      const payload = webPushPayload(d, deps.publicUrl);
      const outcomes = await Promise.all(
        pending.map(async (s): Promise<TargetOutcome & { id: string }> => {
          try {
            const res = await webpush.sendNotification({ endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } }, payload, {
              vapidDetails: { subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
              TTL: settings.ttlSeconds,
              urgency: d.critical ? 'high' : 'normal',
              contentEncoding: 'aes128gcm',
              agent,
              timeout: settings.timeoutMs,
            });
            const location = res.headers.location;
            return { id: s.id, kind: 'sent', providerMessageId: typeof location === 'string' ? location : undefined };
          } catch (err) {
            return { id: s.id, ...classify(err) };
          }
        }),
      );
      await receipts.mark(d.id, outcomes.filter((o) => o.kind === 'sent').map((o) => o.id));
      for (const o of outcomes.filter((o) => o.kind === 'gone')) {
        await subscriptions.remove(o.id);
        deps.removed.inc({ channel: 'webpush', reason: 'gone' });
      }
      return summarize(outcomes);
    },
  };
}

/** A push service's refusal, per RFC 8030 and the services' documented answers. */
function classify(err: unknown): TargetOutcome {
  const e = err as { statusCode?: number; headers?: Record<string, string | string[] | undefined>; message?: string; code?: string };
  const status = e.statusCode;
  if (status === undefined) return { kind: 'retry', error: `network: ${e.code ?? e.message ?? 'error'}`.slice(0, 120) };
  // 404 Not Found / 410 Gone: the subscription expired or the user revoked permission.
  if (status === 404 || status === 410) return { kind: 'gone', error: String(status) };
  if (status === 429 || status >= 500) return { kind: 'retry', error: String(status), retryAfterMs: retryAfterMs(e.headers?.['retry-after']) };
  // 400 malformed, 401/403 VAPID refused (the subscription was made with another key), 413 too large: retrying will not help.
  return { kind: 'fatal', error: String(status) };
}
