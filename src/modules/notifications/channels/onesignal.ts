import type { Counter } from 'prom-client';
import type { Devices } from '../devices.js';
import { retryAfterMs } from '../push-receipts.js';
import { ownerOf } from '../webpush-subscriptions.js';
import type { OneSignalSettings } from '../push-settings.js';
import type { ChannelResult, Delivery, NotificationChannel } from './contract.js';

export interface OneSignalDeps {
  settings: OneSignalSettings & { appId: string; restApiKey: string };
  devices: Devices;
  removed: Counter<'channel' | 'reason'>;
  publicUrl: string;
}

/** OneSignal's answer to a create-message call: `errors` is either a list of sentences or an object of invalid ids. */
interface CreateAnswer {
  id?: string;
  errors?: string[] | { invalid_player_ids?: string[]; invalid_aliases?: Record<string, string[]> } | Record<string, unknown>;
}

/** The create-message body for one recipient (https://documentation.onesignal.com/reference/push-notification). */
export function oneSignalBody(d: Delivery, settings: OneSignalDeps['settings'], publicUrl: string, subscriptionIds: string[] | null): Record<string, unknown> {
  const url = d.content.url ? new URL(d.content.url, publicUrl).href : null;
  // The content is rendered in the recipient's language, like every channel; OneSignal requires an
  // `en` entry as its fallback, so it carries the same text when the recipient reads Spanish.
  const localized = (text: string) => ({ en: text, [d.recipient.locale]: text });
  return {
    app_id: settings.appId,
    ...(subscriptionIds ? { include_subscription_ids: subscriptionIds } : { include_aliases: { external_id: [d.recipient.id] }, target_channel: 'push' }),
    headings: localized(d.content.title),
    contents: localized(d.content.body.slice(0, 2000)),
    data: { type: d.type, notificationId: d.notificationId },
    ...(url ? { url } : {}),
    priority: d.critical ? 10 : 5,
    // The delivery id (a UUID, stable across retries): a retried request never notifies twice.
    idempotency_key: d.id,
  };
}

/**
 * OneSignal's REST API: one create-message call per delivery, to the recipient's registered
 * subscription ids (`target: subscriptions`) or to the user's external_id alias
 * (`target: external_id`). Partial success is the normal case: a 200 may carry `errors` naming
 * invalid ids (those devices are removed, the rest counted delivered) and an empty `id` when
 * nobody received it. 429 and 5xx retry through the module's backoff, honouring Retry-After; the
 * request's idempotency_key makes the retry safe.
 */
export function oneSignalChannel(deps: OneSignalDeps): NotificationChannel {
  const { settings, devices } = deps;
  const endpoint = `${settings.baseUrl.replace(/\/+$/, '')}/notifications?c=push`;
  const byAlias = settings.target === 'external_id';
  return {
    name: 'onesignal',
    retry: { attempts: 6, backoffMs: 10_000 },
    // external_id is the account's id: guests are reached through registered subscriptions only.
    canReach: (r) => (byAlias ? r.kind === 'user' : (ownerOf(r) ? devices.any(ownerOf(r)!, 'onesignal') : false)),
    async send(d): Promise<ChannelResult> {
      const rows = byAlias ? [] : (ownerOf(d.recipient) ? await devices.rows(ownerOf(d.recipient)!, 'onesignal') : []);
      if (!byAlias && !rows.length) return { status: 'bounced', retryable: false, error: 'no OneSignal subscription left' };
      let res: Response;
      try {
        res = await fetch(endpoint, {
          method: 'POST',
          headers: { authorization: `Key ${settings.restApiKey}`, 'content-type': 'application/json; charset=utf-8', accept: 'application/json' },
          body: JSON.stringify(oneSignalBody(d, settings, deps.publicUrl, byAlias ? null : rows.map((r) => r.token))),
          signal: AbortSignal.timeout(settings.timeoutMs),
        });
      } catch (err) {
        return { status: 'failed', retryable: true, error: `network: ${(err as Error).message}`.slice(0, 200) };
      }
      const answer = (await res.json().catch(() => ({}))) as CreateAnswer;
      const sentences = Array.isArray(answer.errors) ? answer.errors.map(String).join('; ').slice(0, 200) : '';
      if (res.status === 429 || res.status >= 500) return { status: 'failed', retryable: true, retryAfterMs: retryAfterMs(res.headers.get('retry-after')), error: `${res.status} ${sentences}`.trim() };
      if (!res.ok) return { status: 'failed', retryable: false, error: `${res.status} ${sentences}`.trim() };

      const errors = answer.errors && !Array.isArray(answer.errors) ? (answer.errors as { invalid_player_ids?: unknown; invalid_aliases?: unknown }) : {};
      const invalidIds = new Set(Array.isArray(errors.invalid_player_ids) ? errors.invalid_player_ids.map(String) : []);
      const invalid = rows.filter((r) => invalidIds.has(r.token));
      if (invalid.length) {
        await devices.remove(invalid.map((r) => r.id));
        deps.removed.inc({ channel: 'onesignal', reason: 'invalid' }, invalid.length);
      }
      const aliases = errors.invalid_aliases && typeof errors.invalid_aliases === 'object' ? Object.values(errors.invalid_aliases as Record<string, unknown>).flat().length : 0;
      const note = [invalid.length ? `${invalid.length} invalid subscription(s) removed` : '', aliases ? 'external_id has no subscribed device' : '', sentences].filter(Boolean).join('; ');
      // An empty id: OneSignal created nothing, nobody was reachable.
      if (!answer.id) return { status: 'bounced', retryable: false, error: note || 'no subscribed recipient' };
      return { status: 'sent', providerMessageId: answer.id, ...(note ? { error: note } : {}) };
    },
  };
}
