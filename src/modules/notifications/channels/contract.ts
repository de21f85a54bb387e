import type { Logger } from 'pino';
import type { Locale } from '../../../core/i18n/index.js';

/**
 * The channel contract: every way a notification reaches someone (in-app inbox, email, and the
 * remote providers: web push, FCM, OneSignal, Twilio SMS/WhatsApp, outgoing webhooks) is a
 * `NotificationChannel`. The notifications module owns everything around a send: fan-out,
 * preferences, quiet hours, digests, retries with backoff and jitter, the dead-letter state,
 * attempt records and metrics. A channel only turns one `Delivery` into one provider call and
 * says how it went; it never retries by itself, never writes delivery rows and never throws for
 * an expected failure (a thrown error is recorded as `failed`, retryable).
 *
 * A provider is registered by name (`channels/index.ts` for the shipped ones, or
 * `ctx.services.notifications.channels.register(channel)` from another module's `start`) and is
 * switched on in neptuno.yaml under `modules.notifications.channels.<name>`.
 */

/**
 * Who a delivery goes to: a user account or a guest, with what the module knows about them; or a
 * bare address (`kind: 'address'`, the id is the email or E.164 number) for messages that must
 * reach someone before they have a verified account (one-time codes).
 */
export interface Recipient {
  kind: 'user' | 'guest' | 'address';
  id: string;
  /** es or en: the profile's locale, else the app default. The content is already rendered in it. */
  locale: Locale;
  /** The account's address (users only); null for guests. */
  email: string | null;
  /** The account's verified phone number in E.164 (`+573001234567`, auth's phone-number plugin); null when none. */
  phone: string | null;
  /** IANA time zone from the profile (quiet hours already applied by the module); null when unset. */
  timezone: string | null;
}

/**
 * The notification rendered for the recipient's locale from the type's templates (Handlebars,
 * `data` as the context). Every channel gets `title` and `body` (plain text: push, SMS, inbox);
 * email also gets `subject` and `html` (the type's email template, or the body in a paragraph).
 */
export interface DeliveryContent {
  title: string;
  body: string;
  /** Where a click leads (absolute or app-relative), from the type's `url` template; null when none. */
  url: string | null;
  subject: string;
  html: string;
}

/** One notification to one recipient over one channel, as a channel sees it. */
export interface Delivery {
  /** Stable across retries: use it as the provider's idempotency key where one exists. */
  id: string;
  notificationId: string;
  /** The notification type (`badge`, `payment_failed`…). */
  type: string;
  channel: string;
  recipient: Recipient;
  /** The data the notification was sent with (already used to render `content`). */
  data: Record<string, unknown>;
  content: DeliveryContent;
  critical: boolean;
  /** 1 on the first try; the module retries with backoff and jitter up to `retry.attempts`. */
  attempt: number;
  /**
   * A link that opts the recipient out of this type on this channel without signing in (signed
   * token, public route). Email puts it in the footer; null for guests and non-optional types.
   */
  unsubscribeUrl: string | null;
  createdAt: string;
}

/**
 * How a send went.
 * - `sent`: the provider accepted it (it may report `delivered`/`bounced` later through
 *   `ctx.services.notifications.reportStatus(channel, providerMessageId, status)`).
 * - `delivered`: known to have reached the recipient (the in-app inbox, a synchronous provider).
 * - `failed`: not sent. `retryable: true` (a timeout, 429, 5xx) retries with backoff; false
 *   (a 4xx that will never pass) goes straight to the dead-letter state.
 * - `bounced`: the address or token is gone for good (404/410 push subscription, hard bounce);
 *   never retried. The channel removes the stale token/subscription itself before answering.
 */
export interface ChannelResult {
  status: 'sent' | 'delivered' | 'failed' | 'bounced';
  providerMessageId?: string;
  retryable?: boolean;
  /**
   * The provider's Retry-After (429, 503), in ms: the next try waits at least this long (capped at
   * a day) instead of the backoff alone.
   */
  retryAfterMs?: number;
  /** Short reason, kept in the attempt record and the admin list (no secrets, no message bodies). */
  error?: string;
}

/** What the module hands a channel besides the delivery. */
export interface ChannelContext {
  log: Logger;
  /** The app's public base URL (links in messages). */
  publicUrl: string;
  /** This channel's section of `modules.notifications.channels` (provider keys come from the environment). */
  config: Record<string, unknown>;
}

export interface ChannelRetryPolicy {
  /** Total tries before the delivery goes to the dead-letter state. */
  attempts: number;
  /** First retry delay; doubled each time, then a random jitter of up to the same amount is added. */
  backoffMs: number;
  /** Cap on one delay. */
  maxBackoffMs: number;
}

export interface NotificationChannel {
  /** Lowercase name used in neptuno.yaml, type defaults, preferences and metrics (`inapp`, `email`, `webpush`…). */
  name: string;
  /**
   * Whether quiet hours apply (default true). In-app answers false: the inbox is silent anyway.
   * Critical notifications bypass quiet hours whatever this says.
   */
  quietHours?: boolean;
  /** Retry policy defaults for this channel; neptuno.yaml may override them per channel. */
  retry?: Partial<ChannelRetryPolicy>;
  /**
   * Can this recipient be reached at all (email needs an address, push needs a registered
   * device)? False: no delivery is created for them on this channel (nothing to retry).
   */
  canReach?(recipient: Recipient, ctx: ChannelContext): boolean | Promise<boolean>;
  /** Sends one delivery. Resolve with the outcome; throwing counts as a retryable failure. */
  send(delivery: Delivery, ctx: ChannelContext): Promise<ChannelResult>;
  /** Optional: runs once at start (create keys, check configuration). */
  start?(ctx: ChannelContext): Promise<void> | void;
  /** Optional: runs at shutdown (close pools). */
  stop?(): Promise<void> | void;
}
