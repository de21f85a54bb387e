import type { Counter } from 'prom-client';
import type { Devices } from '../devices.js';
import { FcmAuthError, type FcmClient, type FcmMessage, type FcmSendResult } from '../fcm-client.js';
import { summarize, type PushReceipts, type TargetOutcome } from '../push-receipts.js';
import type { FcmSettings } from '../push-settings.js';
import { ownerOf } from '../webpush-subscriptions.js';
import type { Delivery, NotificationChannel } from './contract.js';

export interface FcmDeps {
  client: FcmClient;
  devices: Devices;
  receipts: PushReceipts;
  removed: Counter<'channel' | 'reason'>;
  settings: FcmSettings;
  publicUrl: string;
}

/** The HTTP v1 message for one device: a notification (shown by the OS) plus data the app reads on tap. */
export function fcmMessage(d: Delivery, token: string, settings: FcmSettings, publicUrl: string): FcmMessage {
  const url = d.content.url ? new URL(d.content.url, publicUrl).href : null;
  return {
    token,
    notification: { title: d.content.title, body: d.content.body.slice(0, 2000) },
    data: { type: d.type, notificationId: d.notificationId, lang: d.recipient.locale, ...(url ? { url } : {}) },
    android: {
      priority: d.critical ? 'HIGH' : 'NORMAL',
      notification: { tag: d.notificationId, ...(settings.androidChannelId ? { channel_id: settings.androidChannelId } : {}) },
    },
    apns: { headers: { 'apns-priority': d.critical ? '10' : '5' }, payload: { aps: { 'thread-id': d.type } } },
    // fcm_options.link must be https (FCM refuses the message otherwise).
    ...(url?.startsWith('https://') ? { webpush: { fcm_options: { link: url } } } : {}),
  };
}

/**
 * FCM (Android, iOS through APNs, and web) over HTTP v1, to every FCM device token the recipient
 * registered. Answers per the API's error codes: UNREGISTERED (404) and SENDER_ID_MISMATCH mean
 * the token is dead, INVALID_ARGUMENT about the token means it never was one: those tokens are
 * removed. QUOTA_EXCEEDED (429), UNAVAILABLE (503) and INTERNAL (500) retry through the module's
 * backoff, waiting at least Retry-After. Other refusals (a bad payload, THIRD_PARTY_AUTH_ERROR for
 * a missing APNs key) are final.
 */
export function fcmChannel(deps: FcmDeps): NotificationChannel {
  const { client, devices, receipts } = deps;
  return {
    name: 'fcm',
    retry: { attempts: 6, backoffMs: 10_000 },
    canReach: (r) => (ownerOf(r) ? devices.any(ownerOf(r)!, 'fcm') : false),
    async send(d) {
      const rows = (ownerOf(d.recipient) ? await devices.rows(ownerOf(d.recipient)!, 'fcm') : []);
      if (!rows.length) return { status: 'bounced', retryable: false, error: 'no FCM device left' };
      const reached = await receipts.reached(d.id);
      const pending = rows.filter((r) => !reached.has(r.id));
      if (!pending.length) return { status: 'sent' };
      let outcomes: (TargetOutcome & { id: string })[];
      try {
        await client.accessToken();
        outcomes = await Promise.all(
          pending.map(async (row) => {
            try {
              return { id: row.id, ...classify(await client.send(fcmMessage(d, row.token, deps.settings, deps.publicUrl))) };
            } catch (err) {
              return { id: row.id, ...thrown(err) };
            }
          }),
        );
      } catch (err) {
        // No access token: nothing was sent to anybody.
        const o = thrown(err);
        return { status: 'failed', retryable: o.kind === 'retry', retryAfterMs: o.retryAfterMs, error: o.error };
      }
      await receipts.mark(d.id, outcomes.filter((o) => o.kind === 'sent').map((o) => o.id));
      const gone = outcomes.filter((o) => o.kind === 'gone');
      await devices.remove(gone.map((o) => o.id));
      for (const o of gone) deps.removed.inc({ channel: 'fcm', reason: o.reason ?? 'gone' });
      return summarize(outcomes);
    },
  };
}

/** One send's answer, per https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode. */
export function classify(r: FcmSendResult): TargetOutcome {
  if (r.ok) return { kind: 'sent', providerMessageId: r.name };
  const error = `${r.status} ${r.errorCode}`;
  if (r.errorCode === 'UNREGISTERED' || r.status === 404) return { kind: 'gone', reason: 'gone', error };
  if (r.errorCode === 'SENDER_ID_MISMATCH') return { kind: 'gone', reason: 'invalid', error };
  if (r.errorCode === 'INVALID_ARGUMENT') {
    // The same code covers a malformed payload (our bug: keep the token) and a token that is not one.
    const aboutToken = r.fieldViolations.includes('message.token') || (!r.fieldViolations.length && /registration token/i.test(r.message));
    return aboutToken ? { kind: 'gone', reason: 'invalid', error } : { kind: 'fatal', error: `${error}: ${r.message}`.slice(0, 200) };
  }
  if (r.status === 429 || r.status >= 500 || ['QUOTA_EXCEEDED', 'UNAVAILABLE', 'INTERNAL'].includes(r.errorCode)) return { kind: 'retry', error, retryAfterMs: r.retryAfterMs };
  // 401 after a fresh token: credentials trouble on Google's side or ours; worth another try later.
  if (r.status === 401 && r.errorCode !== 'THIRD_PARTY_AUTH_ERROR') return { kind: 'retry', error };
  return { kind: 'fatal', error };
}

function thrown(err: unknown): TargetOutcome {
  if (err instanceof FcmAuthError) {
    const retry = err.status === 429 || err.status >= 500 || err.status === 0;
    return { kind: retry ? 'retry' : 'fatal', error: err.message.slice(0, 200), retryAfterMs: err.retryAfterMs };
  }
  // Network errors and timeouts.
  return { kind: 'retry', error: `network: ${(err as Error).message}`.slice(0, 200) };
}
