import { Type, type Static } from 'typebox';

const Mode = Type.Union([Type.Literal('hard'), Type.Literal('soft')]);

/**
 * One plan as written in neptuno.yaml (`modules.plans.plans.<key>`) or stored by an admin.
 * Optional keys default to: interval month, trialDays 0, limits {} (unlimited), features [],
 * active true, order 0 (catalog.ts applies them: defaults inside a record are not filled by the
 * config loader).
 */
export const PlanDefinitionSchema = Type.Object(
  {
    names: Type.Object({ es: Type.String({ minLength: 1, maxLength: 100 }), en: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
    /** Minor units (cents; CLP has none) and an ISO 4217 code. 0 for a free plan. */
    price: Type.Object(
      { amount: Type.Integer({ minimum: 0, maximum: 1_000_000_000_000 }), currency: Type.String({ pattern: '^[A-Z]{3}$' }) },
      { additionalProperties: false },
    ),
    interval: Type.Optional(Type.Union([Type.Literal('month'), Type.Literal('year')], { default: 'month' })),
    trialDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 730, default: 0 })),
    /**
     * Named limits. `<metric>PerMonth` caps a monthly counter (`apiCallsPerMonth` → `apiCalls`),
     * `max<Metric>` a running total that never resets (`maxCustomers` → `customers`); any other
     * name caps the monthly counter of the same name. Absent: unlimited.
     */
    limits: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$' }), Type.Integer({ minimum: 0, maximum: 1_000_000_000_000 }), { default: {}, additionalProperties: false, maxProperties: 50 })),
    features: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { default: [], maxItems: 100 })),
    providers: Type.Optional(
      Type.Object(
        { stripe: Type.Optional(Type.Object({ priceId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }, { additionalProperties: false })) },
        { additionalProperties: false },
      ),
    ),
    /** false: kept for existing subscribers, hidden from the catalog and refused for new checkouts. */
    active: Type.Optional(Type.Boolean({ default: true })),
    /** Position in the catalog (lowest first; then by key). */
    order: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, default: 0 })),
  },
  { additionalProperties: false },
);
export type PlanDefinition = Static<typeof PlanDefinitionSchema>;

/** `modules.plans` in neptuno.yaml. */
export const PlansConfigSchema = Type.Object(
  {
    /** The catalog, keyed by plan key. Admin edits (stored in the database) take precedence per key. */
    plans: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_-]{0,63}$' }), PlanDefinitionSchema, { default: {}, additionalProperties: false }),
    /** The plan of an owner with no live subscription (null: none, so no limits apply). */
    defaultPlan: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()], { default: null }),
    /**
     * Period of a metric's counter when no plan limit says it (`max<Metric>` means total,
     * anything else monthly): e.g. `{ customers: total }` so customers are counted as a
     * running total even on plans without `maxCustomers`.
     */
    metricPeriods: Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.Union([Type.Literal('month'), Type.Literal('total')]), { default: {} }),
    /** hard: a limit refuses (402, or 429 for the monthly API quota); soft: it allows, warns (header + event). */
    enforcement: Type.Union([Type.Literal('hard'), Type.Literal('soft')], { default: 'hard' }),
    /** Per-limit override of `enforcement`, e.g. `{ apiCallsPerMonth: soft }`. */
    limitModes: Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Mode, { default: {} }),
    /** Percentages of a limit that raise `plans.usage.threshold`, once per owner, metric and period. */
    alertThresholds: Type.Array(Type.Integer({ minimum: 1, maximum: 100 }), { default: [80, 100], maxItems: 10 }),
    /** A past_due subscription keeps its plan (the provider is still retrying the payment). */
    pastDueKeepsPlan: Type.Boolean({ default: true }),
    /** A live subscription whose period ended this long ago without news stops counting. */
    graceHours: Type.Integer({ minimum: 0, maximum: 24 * 60, default: 72 }),
    /**
     * Payments of a plan (`payment.succeeded` with purpose plan) from these providers buy one
     * period each (prepaid: Mercado Pago and Wompi checkouts). Stripe plans arrive as subscriptions.
     */
    prepaidProviders: Type.Array(Type.String({ minLength: 1, maxLength: 20 }), { default: ['mercadopago', 'wompi'] }),
    apiCalls: Type.Object(
      {
        /** Count every authenticated API call per owner as the monthly metric `apiCalls`. */
        enabled: Type.Boolean({ default: true }),
        /** The plan limit that caps them (429 past it in hard mode). */
        limit: Type.String({ minLength: 1, maxLength: 64, default: 'apiCallsPerMonth' }),
        /**
         * exact: one database write per call, the quota exact on every replica. buffered: counted in
         * memory and written every flushMs (a crash loses up to flushMs of counts; replicas may
         * overshoot the quota by one interval's calls). docs/plans.md weighs the two.
         */
        mode: Type.Union([Type.Literal('exact'), Type.Literal('buffered')], { default: 'exact' }),
        flushMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 1000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** How long a replica trusts its cached view of an owner's plan (other replicas' changes show within it). */
    planCacheMs: Type.Integer({ minimum: 0, maximum: 300_000, default: 5_000 }),
  },
  { additionalProperties: false, default: {} },
);
export type PlansConfig = Static<typeof PlansConfigSchema>;
