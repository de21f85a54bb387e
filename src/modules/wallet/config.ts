import { Type, type Static } from 'typebox';
import { catalogConfigProperties } from './catalog-config.js';

/**
 * `modules.wallet` in neptuno.yaml: the ledger's settings. (Packages and items, edited by the
 * shop side of the module, have their own keys here too.)
 */
export const WalletConfigSchema = Type.Object(
  {
    /**
     * `wallet.low_balance` fires when a debit takes a wallet from at least this many credits to
     * fewer, once per crossing. 0: never.
     */
    lowBalanceThreshold: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 }),
    /**
     * Credits charged by `ctx.services.wallet.requireCredits()` per route, keyed by
     * `'METHOD /full/path'` as the route is declared (`'POST /v1/reports/:id/export': 5`).
     * A route listed here is charged this amount whatever its code passes as the default.
     */
    routeCosts: Type.Record(Type.String({ pattern: '^(GET|POST|PUT|PATCH|DELETE) /\\S*$', maxLength: 300 }), Type.Integer({ minimum: 0, maximum: 1_000_000_000 }), {
      default: {},
    }),
    /** Longest hold a caller may ask for (POST /v1/wallet/holds and the service). */
    maxHoldSeconds: Type.Integer({ minimum: 1, maximum: 30 * 86_400, default: 7 * 86_400 }),
    /** Hold taken by requireCredits for the duration of a request: longer than any request runs. */
    requestHoldSeconds: Type.Integer({ minimum: 1, maximum: 3_600, default: 120 }),
    /** Answers stored for an Idempotency-Key on the wallet's routes are kept this long. */
    idempotencyTtlHours: Type.Integer({ minimum: 1, maximum: 24 * 30, default: 24 }),
    // Packages, items and credit rewards (catalog-config.ts).
    ...catalogConfigProperties,
  },
  { additionalProperties: false, default: {} },
);

export type WalletConfig = Static<typeof WalletConfigSchema>;
