import { Gauge } from 'prom-client';
import { defineModule } from '../../core/module.js';
import { WalletConfigSchema } from './config.js';
import type { WalletHoldEvent, WalletLedgerMismatchEvent, WalletLowBalanceEvent, WalletMovementEvent } from './ledger-events.js';
import { ledgerMessages } from './messages.js';
import { ledgerRoutes } from './routes.js';
import { ledgerMigrations } from './schema.js';
import { WalletService } from './service.js';
import { catalogAdminRoutes } from './admin-routes.js';
import { ledgerAdminRoutes } from './ledger-admin-routes.js';
import { catalogMessages } from './catalog-messages.js';
import { catalogRoutes } from './catalog-routes.js';
import { catalogMigrations } from './catalog-schema.js';
import { withShop, type WalletShopApi } from './catalog-service.js';
import type { OwnerType } from './schema.js';
import { grantsImport } from './imports.js';

export type { WalletOwner } from './owner.js';

declare module '../../core/module.js' {
  interface Services {
    /** The ledger plus the shop (packages, items, purchases): catalog-service.ts. */
    wallet: WalletService & WalletShopApi;
  }
}

declare module '../../core/events.js' {
  interface DomainEvents {
    /** Credits came into a wallet (a grant). Keyed by wallet: one wallet's movements arrive in commit order. */
    'wallet.credited': WalletMovementEvent;
    /** Credits left a wallet (spend, capture, reverse, expire, settle…). */
    'wallet.debited': WalletMovementEvent;
    'wallet.hold.created': WalletHoldEvent;
    'wallet.hold.captured': WalletHoldEvent;
    'wallet.hold.released': WalletHoldEvent;
    'wallet.hold.expired': WalletHoldEvent;
    /** A debit took the balance below modules.wallet.lowBalanceThreshold (once per crossing). */
    'wallet.low_balance': WalletLowBalanceEvent;
    /** `wallet verify` (the daily cron) found the ledger not adding up: an alert. */
    'wallet.ledger.mismatch': WalletLedgerMismatchEvent;
    /** An item was bought with credits (in the purchase's transaction). */
    'wallet.item.purchased': { purchaseId: string; ownerType: OwnerType; ownerId: string; itemKey: string; price: number };
    /** An admin refunded an item purchase: its credits went back, the unit back to stock. */
    'wallet.item.refunded': { purchaseId: string; ownerType: OwnerType; ownerId: string; itemKey: string; price: number; adminId: string };
  }
}

/** One gauge per app (registry): problems found by the last verification. */
const gauges = new WeakMap<object, Gauge>();

export default defineModule({
  name: 'wallet',
  dependsOn: ['auth'],
  config: WalletConfigSchema,
  migrations: { ...ledgerMigrations, ...catalogMigrations },
  messages: { es: { ...ledgerMessages.es, ...catalogMessages.es }, en: { ...ledgerMessages.en, ...catalogMessages.en } },
  services: (ctx) => ({ wallet: withShop(new WalletService(ctx), ctx) }),
  routes: async (app, ctx) => {
    await ledgerRoutes(app, ctx);
    await catalogRoutes(app, ctx, () => ctx.services.wallet.shop);
  },
  adminRoutes: async (app, ctx) => {
    await ledgerAdminRoutes(app, ctx);
    await catalogAdminRoutes(app, ctx, () => ctx.services.wallet.shop);
  },
  on: {
    // Bridges (bridges.ts): each grant's ledger source is unique per effect, so redeliveries credit once.
    'coupon.redeemed': (e, ctx) => ctx.services.wallet.bridges.couponRedeemed(e),
    'badge.awarded': (e, ctx) => ctx.services.wallet.bridges.achievement('badge', e.badge, e),
    'level.up': (e, ctx) => ctx.services.wallet.bridges.achievement('level', e.level, e),
    'challenge.completed': (e, ctx) => ctx.services.wallet.bridges.achievement('challenge', e.challenge, e),
    // Idempotent: one wallet_guest_merges row per guest (bridges-lifecycle.ts).
    'guest.merged': async ({ guestId, userId }, ctx) => void (await ctx.services.wallet.lifecycle.mergeGuest(guestId, userId)),
    'user.deleted': ({ userId }, ctx) => ctx.services.wallet.lifecycle.eraseUser(userId),
  },
  imports: [grantsImport],
  exportUser: (userId, ctx) => ctx.services.wallet.lifecycle.exportUser(userId),
  async start(ctx) {
    await ctx.services.wallet.shop.seed();
    gauges.set(
      ctx.metrics,
      new Gauge({ name: 'neptuno_wallet_ledger_problems', help: 'Problems found by the last wallet ledger verification (0: the ledger adds up)', registers: [ctx.metrics] }),
    );
  },
  crons: [
    {
      name: 'expire',
      schedule: '*/5 * * * *',
      run: async (ctx) => {
        await ctx.services.wallet.expireDue();
      },
    },
    {
      name: 'verify',
      schedule: '17 3 * * *',
      run: async (ctx) => {
        const report = await ctx.services.wallet.verify();
        gauges.get(ctx.metrics)?.set(report.problems.length);
        if (report.ok) {
          ctx.log.info({ accounts: report.accounts, transfers: report.transfers }, 'wallet ledger verified');
          return;
        }
        ctx.log.error({ problems: report.problems.slice(0, 20), count: report.problems.length }, 'wallet ledger does not add up');
        await ctx.tx(async (trx) => void trx.emit('wallet.ledger.mismatch', { checkedAt: report.checkedAt, problems: report.problems }));
      },
    },
  ],
});
