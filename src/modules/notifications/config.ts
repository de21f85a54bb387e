import { Type, type Static } from 'typebox';
import { TwilioConfigSchema } from './channels/twilio-config.js';
import { WebhooksConfigSchema } from './webhooks/config.js';

const Name = (description: string) => Type.String({ pattern: '^[a-z][a-z0-9_-]{0,63}$', description });

/** One locale of a notification type's text, as Handlebars sources (`{{points}}`, `{{badge}}`). */
export const TemplateSchema = Type.Object(
  {
    /** Short headline: inbox title, push title, SMS first line. */
    title: Type.String({ minLength: 1, maxLength: 500 }),
    /** Plain-text body: inbox, push, SMS. */
    body: Type.String({ minLength: 1, maxLength: 5000 }),
    /** Where a click leads (absolute URL or an app path like /badges/{{badge}}). */
    url: Type.Optional(Type.String({ maxLength: 2000 })),
    /** Email subject (default: the title). */
    subject: Type.Optional(Type.String({ maxLength: 500 })),
    /** Email HTML (default: the body in a paragraph, plus a button to `url`). Values are HTML-escaped. */
    html: Type.Optional(Type.String({ maxLength: 50_000 })),
  },
  { additionalProperties: false },
);
export type TemplateSource = Static<typeof TemplateSchema>;

const Templates = Type.Object({ es: Type.Optional(TemplateSchema), en: Type.Optional(TemplateSchema) }, { additionalProperties: false });

/** A notification type: what it says, where it goes by default, and what users may switch off. */
export const TypeSchema = Type.Object(
  {
    /** Channels used when a send names none. */
    /** Default: in-app only. */
    channels: Type.Optional(Type.Array(Name('channel'), { minItems: 1, maxItems: 20 })),
    /** May users turn this type off per channel (preferences, unsubscribe links)? Default true. */
    optOut: Type.Optional(Type.Boolean()),
    /** Sent as critical by default (bypasses quiet hours and preferences). Default false. */
    critical: Type.Optional(Type.Boolean()),
    templates: Templates,
    /**
     * Group sends to the same recipient within `windowSeconds` into one message (ten "you got
     * points" become one). `key` (Handlebars over data) splits groups; the digest templates get
     * `{{count}}`, `{{items}}` (each send's data), `{{first}}` and `{{last}}`.
     */
    digest: Type.Optional(
      Type.Object(
        {
          windowSeconds: Type.Integer({ minimum: 10, maximum: 7 * 86_400 }),
          key: Type.Optional(Type.String({ maxLength: 200 })),
          templates: Templates,
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type NotificationTypeConfig = Static<typeof TypeSchema>;

const RetrySchema = Type.Object(
  {
    attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
    backoffMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400_000 })),
    maxBackoffMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 86_400_000 })),
  },
  { additionalProperties: false },
);

/** One channel's switch and retry policy; providers add their own keys (secrets come from the environment). */
const ChannelSchema = Type.Object(
  { enabled: Type.Boolean({ default: true }), retry: Type.Optional(RetrySchema) },
  { additionalProperties: true },
);

/** A domain event turned into a notification without code. */
export const EventWiringSchema = Type.Object(
  {
    type: Name('notification type'),
    /**
     * The payload field naming the recipient: `userId`, `guestId`, `tenantId`, or `actor` for
     * `{ actorType, actorId }` payloads (gamification). A dotted path reaches nested fields
     * (`owner.userId`); `userId|guestId` takes the first one present.
     */
    to: Type.String({ minLength: 1, maxLength: 100 }),
    channels: Type.Optional(Type.Array(Name('channel'), { minItems: 1 })),
    critical: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type EventWiring = Static<typeof EventWiringSchema>;

const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });

export const NotificationsConfigSchema = Type.Object(
  {
    channels: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }), ChannelSchema, {
      default: { inapp: { enabled: true }, email: { enabled: true } },
    }),
    /**
     * Notification types by name, added to the built-in ones (BUILTIN_TYPES below; a type here
     * with the same name replaces it). Modules may declare more with `notifications.defineType`.
     */
    types: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_-]{0,63}$' }), TypeSchema, { default: {} }),
    /** Domain events → notification types: `'badge.awarded': { type: badge, to: actor }`. */
    events: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,99}$' }), EventWiringSchema, {
      default: {
        'badge.awarded': { type: 'badge', to: 'actor' },
        'level.up': { type: 'level_up', to: 'actor' },
        'wallet.low_balance': { type: 'wallet_low_balance', to: 'userId|guestId' },
        'payment.succeeded': { type: 'payment_succeeded', to: 'userId' },
        'payment.failed': { type: 'payment_failed', to: 'userId' },
        'plans.usage.threshold': { type: 'plan_usage', to: 'userId' },
        'plans.usage.exceeded': { type: 'plan_usage_exceeded', to: 'userId' },
        'payment.refunded': { type: 'payment_refunded', to: 'userId' },
        'payment.subscription.trial_will_end': { type: 'trial_ending', to: 'owner.userId' },
      },
    }),
    quietHours: Type.Object(
      {
        /** Hold non-critical notifications on every channel but in-app during the night, by the user's time zone. */
        enabled: Type.Boolean({ default: true }),
        start: { ...HHMM, default: '22:00' },
        end: { ...HHMM, default: '08:00' },
        /** For users without a time zone in their profile. */
        defaultTimezone: Type.String({ default: 'UTC', maxLength: 64 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Default retry policy of a channel that declares none (its yaml `retry` wins over both). */
    retry: Type.Object(
      {
        attempts: Type.Integer({ minimum: 1, maximum: 50, default: 6 }),
        backoffMs: Type.Integer({ minimum: 1, maximum: 86_400_000, default: 10_000 }),
        maxBackoffMs: Type.Integer({ minimum: 1, maximum: 7 * 86_400_000, default: 3_600_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Inbox items older than this are removed by a daily cron. */
    inboxKeepDays: Type.Integer({ minimum: 1, maximum: 3650, default: 180 }),
    /** Delivery and attempt records older than this are removed by the same cron (dead ones too). */
    deliveryKeepDays: Type.Integer({ minimum: 1, maximum: 3650, default: 30 }),
    /** SMS and WhatsApp through Twilio (channels/twilio-config.ts). */
    twilio: TwilioConfigSchema,
    /** Outgoing webhooks, Standard Webhooks signatures (webhooks/config.ts). */
    webhooks: WebhooksConfigSchema,
    /** Recipients resolved per batch when a send targets a tenant or a segment. */
    fanOutBatch: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
  },
  { additionalProperties: false, default: {} },
);

export type NotificationsConfig = Static<typeof NotificationsConfigSchema>;

/**
 * Types every app has: `message` (an admin's free text: `{{title}}`, `{{body}}`), and the
 * gamification ones wired to its events by default.
 */
export const BUILTIN_TYPES: Record<string, NotificationTypeConfig> = {
  message: {
    channels: ['inapp'],
    optOut: false,
    critical: false,
    templates: { es: { title: '{{title}}', body: '{{body}}' }, en: { title: '{{title}}', body: '{{body}}' } },
  },
  badge: {
    channels: ['inapp', 'email'],
    optOut: true,
    critical: false,
    templates: {
      es: { title: '¡Nueva insignia!', body: 'Ganaste la insignia {{badge}}.' },
      en: { title: 'New badge!', body: 'You earned the {{badge}} badge.' },
    },
  },
  level_up: {
    channels: ['inapp', 'email'],
    optOut: true,
    critical: false,
    templates: {
      es: { title: '¡Subiste de nivel!', body: 'Ahora estás en el nivel {{level}}.' },
      en: { title: 'Level up!', body: 'You reached the {{level}} level.' },
    },
  },
  wallet_low_balance: {
    channels: ['inapp', 'email'],
    templates: {
      es: { title: 'Te quedan pocos créditos', body: 'Tu saldo es de {{balance}} créditos.' },
      en: { title: 'Your credits are running low', body: 'Your balance is {{balance}} credits.' },
    },
  },
  payment_succeeded: {
    channels: ['inapp', 'email'],
    optOut: false,
    templates: {
      es: { title: 'Pago recibido', body: 'Recibimos tu pago de {{money amount currency}}. ¡Gracias!' },
      en: { title: 'Payment received', body: 'We received your payment of {{money amount currency}}. Thank you!' },
    },
  },
  payment_failed: {
    channels: ['inapp', 'email'],
    optOut: false,
    critical: true,
    templates: {
      es: { title: 'Tu pago no se completó', body: 'El pago de {{money amount currency}} fue rechazado. Puedes intentarlo de nuevo.' },
      en: { title: 'Your payment did not go through', body: 'The payment of {{money amount currency}} was declined. You can try again.' },
    },
  },
  plan_usage: {
    channels: ['inapp', 'email'],
    templates: {
      es: { title: 'Llevas el {{threshold}} % de tu plan', body: 'Usaste {{usage}} de {{limit}} ({{metric}}) este periodo.' },
      en: { title: "You have used {{threshold}}% of your plan", body: 'You used {{usage}} of {{limit}} ({{metric}}) this period.' },
    },
  },
  plan_usage_exceeded: {
    channels: ['inapp', 'email'],
    templates: {
      es: { title: 'Llegaste al límite de tu plan', body: 'Usaste {{usage}} de {{limit}} ({{metric}}). Mejora tu plan para seguir.' },
      en: { title: 'You reached your plan limit', body: 'You used {{usage}} of {{limit}} ({{metric}}). Upgrade to keep going.' },
    },
  },
  payment_refunded: {
    channels: ['inapp', 'email'],
    optOut: false,
    templates: {
      es: { title: 'Pago reembolsado', body: 'Te devolvimos {{money amount currency}}.' },
      en: { title: 'Payment refunded', body: 'We refunded {{money amount currency}}.' },
    },
  },
  trial_ending: {
    channels: ['inapp', 'email'],
    templates: {
      es: { title: 'Tu prueba gratis termina pronto', body: 'Elige cómo seguir antes de que termine.' },
      en: { title: 'Your free trial ends soon', body: 'Choose how to continue before it ends.' },
    },
  },
  /**
   * One-time codes from the auth module (sign-in, email and phone verification): the code comes
   * sealed (`secret`), never stored readable. Critical: no quiet hours, no opt-out.
   */
  auth_otp: {
    channels: ['email'],
    optOut: false,
    critical: true,
    templates: {
      es: { title: 'Código de verificación', subject: '{{code}} es tu código', body: 'Tu código es {{code}}. Vence en {{minutes}} minutos. Si no lo pediste, ignora este mensaje.' },
      en: { title: 'Verification code', subject: '{{code}} is your code', body: 'Your code is {{code}}. It expires in {{minutes}} minutes. If you did not ask for it, ignore this message.' },
    },
  },
  /** Not wired by default (auth already sends its verification email): `user.registered: { type: welcome, to: userId }`. */
  welcome: {
    channels: ['inapp'],
    templates: {
      es: { title: '¡Bienvenida!', body: 'Tu cuenta está lista.' },
      en: { title: 'Welcome!', body: 'Your account is ready.' },
    },
  },
};
