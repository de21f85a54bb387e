import { Type, type Static } from 'typebox';

const Url = (description: string, def: string) => Type.String({ minLength: 1, maxLength: 500, default: def, description });
const Secret = (description: string) => Type.String({ minLength: 1, maxLength: 500, description });

/**
 * `modules.payments.providers.mercadopago`. Secrets come from the environment:
 * NEPTUNO_MODULES__PAYMENTS__PROVIDERS__MERCADOPAGO__ACCESS_TOKEN and …__WEBHOOK_SECRET.
 */
export const MercadoPagoConfigSchema = Type.Object(
  {
    /** `APP_USR-…` (production, or a test user's credentials) or `TEST-…` (sandbox). */
    accessToken: Secret('Access token of the seller account (env …__MERCADOPAGO__ACCESS_TOKEN)'),
    /** The "secret signature" of the webhook configuration (Your integrations > Webhooks). */
    webhookSecret: Secret('Webhook secret signature (env …__MERCADOPAGO__WEBHOOK_SECRET)'),
    baseUrl: Url('API base URL (a local fake in tests and `neptuno payments simulate`)', 'https://api.mercadopago.com'),
    /**
     * Send payers to the sandbox checkout (`sandbox_init_point`). auto: sandbox for `TEST-` access
     * tokens, production otherwise.
     */
    sandbox: Type.Union([Type.Literal('auto'), Type.Boolean()], { default: 'auto' }),
    /** Statement descriptor shown on the card bill (up to 22 characters). */
    statementDescriptor: Type.Optional(Type.String({ minLength: 1, maxLength: 22 })),
  },
  { additionalProperties: false },
);

/** `modules.payments.providers.stripe` (adapter: providers/stripe). */
export const StripeConfigSchema = Type.Object(
  {
    secretKey: Secret('Secret API key sk_live_… / sk_test_… (env …__STRIPE__SECRET_KEY)'),
    webhookSecret: Secret('Signing secret whsec_… of the webhook endpoint (env …__STRIPE__WEBHOOK_SECRET)'),
    baseUrl: Url('API base URL (a local fake in tests)', 'https://api.stripe.com'),
  },
  { additionalProperties: false },
);

/** `modules.payments.providers.wompi` (adapter: providers/wompi). */
export const WompiConfigSchema = Type.Object(
  {
    publicKey: Secret('pub_test_… / pub_prod_… (sandbox or production by prefix)'),
    privateKey: Secret('prv_test_… / prv_prod_… (env …__WOMPI__PRIVATE_KEY)'),
    eventsSecret: Secret('Events secret test_events_… / prod_events_… (env …__WOMPI__EVENTS_SECRET)'),
    integritySecret: Secret('Integrity secret test_integrity_… / prod_integrity_… (env …__WOMPI__INTEGRITY_SECRET)'),
    /** Empty: by the key prefix, https://sandbox.wompi.co/v1 or https://production.wompi.co/v1. */
    baseUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  { additionalProperties: false },
);

/** `modules.payments` in neptuno.yaml (docs/payments.md). */
export const PaymentsConfigSchema = Type.Object(
  {
    /** A provider runs when its section is present (with its secrets). */
    providers: Type.Object(
      {
        mercadopago: Type.Optional(MercadoPagoConfigSchema),
        stripe: Type.Optional(StripeConfigSchema),
        wompi: Type.Optional(WompiConfigSchema),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Where providers send the payer back; `{paymentId}` is replaced. Relative URLs are resolved against server.publicUrl. */
    successUrl: Type.String({ minLength: 1, maxLength: 500, default: '/payments/success?payment={paymentId}' }),
    cancelUrl: Type.String({ minLength: 1, maxLength: 500, default: '/payments/cancel?payment={paymentId}' }),
    /** Longest wait for a provider's API, in ms. */
    providerTimeoutMs: Type.Integer({ minimum: 1000, maximum: 120_000, default: 15_000 }),
    /** Webhook timestamps further than this from our clock are refused (replays of old captures). */
    webhookToleranceSeconds: Type.Integer({ minimum: 30, maximum: 86_400, default: 300 }),
    reconciliation: Type.Object(
      {
        /** A non-final payment younger than this is left to its webhook. */
        minAgeMinutes: Type.Integer({ minimum: 0, maximum: 1440, default: 10 }),
        /** Non-final payments older than this are no longer asked about (pending checkouts nobody paid). */
        maxAgeHours: Type.Integer({ minimum: 1, maximum: 24 * 90, default: 72 }),
        /** Payments asked about per run. */
        batchSize: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Checkouts a user may start per hour (a bot must not flood the provider with preferences). */
    checkoutsPerHour: Type.Integer({ minimum: 1, maximum: 10_000, default: 30 }),
  },
  { additionalProperties: false, default: {} },
);

export type PaymentsConfig = Static<typeof PaymentsConfigSchema>;
export type MercadoPagoConfig = Static<typeof MercadoPagoConfigSchema>;
export type StripeConfig = Static<typeof StripeConfigSchema>;
export type WompiConfig = Static<typeof WompiConfigSchema>;
