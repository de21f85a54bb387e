import { Gauge } from 'prom-client';
import { defineModule } from '../../core/module.js';
import { WalletConfigSchema } from './config.js';
import type { WalletHoldEvent, WalletLedgerMismatchEvent, WalletLowBalanceEvent, WalletMovementEvent } from './ledger-events.js';
import { ledgerMessages } from './messages.js';
import { ledgerRoutes } from './routes.js';
import { ledgerMigrations } from './schema.js';
import { WalletService } from './service.js';

export type { WalletOwner } from './owner.js';

declare module '../../core/module.js' {
  interface Services {
    wallet: WalletService;
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
  }
}

/** One gauge per app (registry): problems found by the last verification. */
const gauges = new WeakMap<object, Gauge>();

export default defineModule({
  name: 'wallet',
  dependsOn: ['auth'],
  config: WalletConfigSchema,
  migrations: ledgerMigrations,
  messages: ledgerMessages,
  services: (ctx) => ({ wallet: new WalletService(ctx) }),
  routes: ledgerRoutes,
  start(ctx) {
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
