import { Type, type Static } from 'typebox';
import { DateTime } from '../../core/http/datetime.js';

/**
 * The catalog part of `modules.wallet` in neptuno.yaml: credit packages (sold for money by the
 * payments module), digital items (bought with credits) and credit rewards for gamification.
 *
 * Precedence: yaml seeds the database at start-up. A key whose row still comes from yaml is
 * refreshed from yaml on every start; once an admin creates, edits or deletes a key through
 * /v1/admin/wallet/packages|items, the database row wins and yaml changes to that key are
 * ignored (the same rule as gamification definitions). Stock sold is never taken from yaml.
 */
const Closed = { additionalProperties: false } as const;

export const CATALOG_KEY_PATTERN = '^[a-z0-9][a-z0-9_.-]{0,63}$';
export const CatalogKey = Type.String({ pattern: CATALOG_KEY_PATTERN, maxLength: 64 });

/** Display names: both languages are required, so a shop never shows a key to a customer. */
export const CatalogNames = Type.Object(
  { es: Type.String({ minLength: 1, maxLength: 200 }), en: Type.String({ minLength: 1, maxLength: 200 }) },
  Closed,
);

/** Optional longer texts per language. */
export const CatalogDescriptions = Type.Object(
  { es: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })), en: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })) },
  Closed,
);

/** The most credits one package or item may carry: far below 2^53 and 2^31, so sums stay exact. */
export const MAX_CATALOG_CREDITS = 1_000_000_000;

export const PackageDef = Type.Object(
  {
    /** Credits granted (kind `paid`) when the package is paid for. */
    credits: Type.Integer({ minimum: 1, maximum: MAX_CATALOG_CREDITS }),
    /** Price in integer minor units of an ISO 4217 currency at its ISO exponent (ARS 10.00 = 1000). */
    price: Type.Object(
      {
        amount: Type.Integer({ minimum: 1, maximum: 1_000_000_000_000 }),
        currency: Type.String({ pattern: '^[A-Z]{3}$' }),
      },
      Closed,
    ),
    names: CatalogNames,
    descriptions: Type.Optional(CatalogDescriptions),
    /** false hides it and refuses new checkouts; the active window below narrows it further. */
    active: Type.Optional(Type.Boolean()),
    startsAt: Type.Optional(DateTime()),
    endsAt: Type.Optional(DateTime()),
    /** Display order, ascending (then by key). */
    sort: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 })),
  },
  Closed,
);

export const ItemDef = Type.Object(
  {
    /** Price in credits. */
    price: Type.Integer({ minimum: 1, maximum: MAX_CATALOG_CREDITS }),
    /** Units for sale in total; absent or null: unlimited. */
    stock: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: MAX_CATALOG_CREDITS }), Type.Null()])),
    /** Units one wallet owner may hold; absent or null: no limit. */
    perUserLimit: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000 }), Type.Null()])),
    names: CatalogNames,
    descriptions: Type.Optional(CatalogDescriptions),
    active: Type.Optional(Type.Boolean()),
    sort: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 })),
  },
  Closed,
);

/** Credits given for gamification achievements (promotional), keyed by badge, level or challenge key. */
export const CreditRewards = Type.Object(
  {
    badges: Type.Record(Type.String({ pattern: CATALOG_KEY_PATTERN }), Type.Integer({ minimum: 1, maximum: MAX_CATALOG_CREDITS }), { default: {} }),
    levels: Type.Record(Type.String({ pattern: CATALOG_KEY_PATTERN }), Type.Integer({ minimum: 1, maximum: MAX_CATALOG_CREDITS }), { default: {} }),
    challenges: Type.Record(Type.String({ pattern: CATALOG_KEY_PATTERN }), Type.Integer({ minimum: 1, maximum: MAX_CATALOG_CREDITS }), { default: {} }),
    /** Days until credits from these rewards and from `credits` coupons expire; null: they never expire. */
    expiresInDays: Type.Union([Type.Integer({ minimum: 1, maximum: 3650 }), Type.Null()], { default: null }),
  },
  { ...Closed, default: {} },
);

/** Properties added to the wallet module's config schema (config.ts spreads them in). */
export const catalogConfigProperties = {
  /** Defaults: the four packs of docs/wallet.md's worked example (replace them in neptuno.yaml). */
  packages: Type.Record(Type.String({ pattern: CATALOG_KEY_PATTERN }), PackageDef, {
    default: {
      'pack-100': { credits: 100, price: { amount: 1_000, currency: 'ARS' }, names: { es: '100 créditos', en: '100 credits' }, sort: 1 },
      'pack-500': { credits: 500, price: { amount: 4_500, currency: 'ARS' }, names: { es: '500 créditos', en: '500 credits' }, sort: 2 },
      'pack-1000': { credits: 1_000, price: { amount: 8_000, currency: 'ARS' }, names: { es: '1.000 créditos', en: '1,000 credits' }, sort: 3 },
      'pack-2000': { credits: 2_000, price: { amount: 15_000, currency: 'ARS' }, names: { es: '2.000 créditos', en: '2,000 credits' }, sort: 4 },
    },
  }),
  items: Type.Record(Type.String({ pattern: CATALOG_KEY_PATTERN }), ItemDef, { default: {} }),
  rewards: CreditRewards,
};

export type PackageDef = Static<typeof PackageDef>;
export type ItemDef = Static<typeof ItemDef>;
export type CreditRewards = Static<typeof CreditRewards>;

/** The catalog's view of the module config. */
export interface CatalogConfig {
  packages: Record<string, PackageDef>;
  items: Record<string, ItemDef>;
  rewards: CreditRewards;
}
