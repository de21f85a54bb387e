import type { Logger } from 'pino';
import type { AnyModule } from '../../core/module.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { headerUser, headerUsers } from '../../testing/header-users.js';
import type { TestTarget } from '../../testing/targets.js';
import authModule from '../auth/module.js';
import guestsModule from '../guests/module.js';
import walletModule from './module.js';
import type { LedgerDb } from './schema.js';

/** Test helpers shared by the wallet ledger suites (not shipped behaviour). */


export const user = headerUser;

export function walletTestApp(target: TestTarget, config: Record<string, unknown> = {}, extra: { logger?: Logger; modules?: AnyModule[] } = {}): Promise<TestApp> {
  return createTestApp({
    target,
    modules: [authModule, guestsModule, walletModule, headerUsers, ...(extra.modules ?? [])],
    config: { modules: { wallet: config } },
    logger: extra.logger,
  });
}

export const ledgerDb = (t: TestApp) => t.ctx.db as unknown as LedgerDb;

/** The invariants, read straight from the tables: what `wallet verify` proves, plus no duplicated entry. */
export async function ledgerFacts(t: TestApp, accountId: string) {
  const db = ledgerDb(t);
  const acc = await db.selectFrom('wallet_accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
  const entries = await db.selectFrom('wallet_entries').selectAll().where('account_id', '=', accountId).execute();
  const keys = new Set(entries.map((e) => `${e.transfer_id}|${e.seq}`));
  return {
    balance: Number(acc?.balance ?? 0),
    held: Number(acc?.held ?? 0),
    debt: Number(acc?.debt ?? 0),
    entrySum: entries.reduce((s, e) => s + Number(e.amount), 0),
    entries: entries.length,
    distinctEntries: keys.size,
  };
}

export function spend(t: TestApp, headers: Record<string, string>, payload: unknown, key?: string) {
  return t.app.inject({ method: 'POST', url: '/v1/wallet/spend', headers: { ...headers, ...(key ? { 'idempotency-key': key } : {}) }, payload: payload as object });
}
