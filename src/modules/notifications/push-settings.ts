import { Type, type Static, type TObject } from 'typebox';
import { Value } from 'typebox/value';
import { normalizeKey } from '../../core/config/validate.js';

/**
 * The push channels' sections of `modules.notifications.channels`. The module's schema leaves
 * channel sections open (each provider adds its own keys), so each channel checks its own here,
 * at start-up. Keys match the way environment overrides write them too:
 * `NEPTUNO_MODULES__NOTIFICATIONS__CHANNELS__FCM__SERVICE_ACCOUNT` reaches `serviceAccount`.
 */

const Hosts = Type.Array(Type.String({ minLength: 1, maxLength: 253, pattern: '^(\\*|(\\*\\.)?[A-Za-z0-9.-]+)$' }), { minItems: 1, maxItems: 100 });

/** The push services browsers subscribe with today (Chrome/Edge/Opera/Samsung: FCM; Firefox: Mozilla autopush; Safari: Apple; legacy Edge: WNS). */
export const KNOWN_PUSH_HOSTS = ['fcm.googleapis.com', 'android.googleapis.com', 'updates.push.services.mozilla.com', '*.push.services.mozilla.com', 'web.push.apple.com', '*.push.apple.com', '*.notify.windows.com'];

export const WebPushSettingsSchema = Type.Object({
  /** VAPID `sub` claim: a mailto: or https: contact push services use to reach the operator. Default: publicUrl when https, else mailto:push@<its host>. */
  subject: Type.Optional(Type.String({ minLength: 1, maxLength: 300, pattern: '^(mailto:|https://)' })),
  /** How long a push service keeps a message for an offline browser (TTL header). */
  ttlSeconds: Type.Integer({ minimum: 0, maximum: 2_419_200, default: 86_400 }),
  /**
   * Hosts a subscription endpoint may point at (`*.example.com` matches subdomains; `*` any).
   * The server POSTs to whatever endpoint a browser hands over, so anything else is refused at
   * subscription time: no request forgery towards internal hosts.
   */
  allowedHosts: { ...Hosts, default: KNOWN_PUSH_HOSTS },
  /** Extra CA certificates (PEM) trusted for push services: a private push service, or the tests' local one. */
  ca: Type.Optional(Type.String({ minLength: 1, maxLength: 100_000 })),
  timeoutMs: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000 }),
  /** Subscriptions kept per user or guest (browsers, profiles); the least recently registered go first. */
  maxPerOwner: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
});
export type WebPushSettings = Static<typeof WebPushSettingsSchema>;

export const FcmSettingsSchema = Type.Object({
  /** The Firebase service-account key: its JSON, or a path to the file. Default: the FCM_SERVICE_ACCOUNT environment variable. */
  serviceAccount: Type.Optional(Type.String({ minLength: 1, maxLength: 20_000 })),
  /** Default: the service account's project_id. */
  projectId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  /** FCM's API origin (a local fake in tests). */
  baseUrl: Type.String({ minLength: 1, maxLength: 500, pattern: '^https?://', default: 'https://fcm.googleapis.com' }),
  /** The OAuth token endpoint. Default: the service account's token_uri (https://oauth2.googleapis.com/token). */
  tokenUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 500, pattern: '^https?://' })),
  timeoutMs: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000 }),
  /** Android notification channel id, when the app declares one. */
  androidChannelId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  maxPerOwner: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
});
export type FcmSettings = Static<typeof FcmSettingsSchema>;

export const OneSignalSettingsSchema = Type.Object({
  /** The OneSignal app id (a UUID). Default: the ONESIGNAL_APP_ID environment variable. */
  appId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  /** The app's REST API key. Default: the ONESIGNAL_REST_API_KEY environment variable. */
  restApiKey: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  baseUrl: Type.String({ minLength: 1, maxLength: 500, pattern: '^https?://', default: 'https://api.onesignal.com' }),
  /**
   * `subscriptions`: send to the subscription ids devices registered with POST
   * /v1/notifications/devices. `external_id`: send to the user's id as OneSignal's external_id
   * alias (the app calls `OneSignal.login(userId)`), no device registration needed; users only.
   */
  target: Type.Union([Type.Literal('subscriptions'), Type.Literal('external_id')], { default: 'subscriptions' }),
  timeoutMs: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000 }),
  maxPerOwner: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
});
export type OneSignalSettings = Static<typeof OneSignalSettingsSchema>;

/**
 * Reads a channel's yaml section against its schema: keys matched ignoring case, `_` and `-`
 * (environment overrides arrive as `service_account`), strings converted (env values are text),
 * defaults applied. Throws naming the channel and the key.
 */
export function readSettings<S extends TObject>(channel: string, schema: S, section: Record<string, unknown>): Static<S> {
  const known = Object.keys(schema.properties);
  const picked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(section)) {
    if (key === 'enabled' || key === 'retry') continue;
    const name = known.find((k) => normalizeKey(k) === normalizeKey(key));
    if (!name) throw new Error(`modules.notifications.channels.${channel}: unknown setting "${key}" (known: ${known.join(', ')})`);
    picked[name] = value;
  }
  const value = Value.Default(schema, Value.Convert(schema, picked));
  if (!Value.Check(schema, value)) {
    const first = Value.Errors(schema, value)[0] as { instancePath?: string; message?: string } | undefined;
    throw new Error(`modules.notifications.channels.${channel}${first?.instancePath?.replace(/\//g, '.') ?? ''}: ${first?.message ?? 'invalid'}`);
  }
  return value as Static<S>;
}

/** Whether a URL's host is one of the patterns (`host`, `*.suffix`, `*`). */
export function hostAllowed(hostname: string, patterns: readonly string[]): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return patterns.some((p) => {
    const pattern = p.toLowerCase();
    if (pattern === '*') return true;
    if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
    return host === pattern;
  });
}
