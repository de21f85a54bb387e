import { createTestApp, type TestApp } from '../../testing/app.js';
import { headerUser, headerUsers } from '../../testing/header-users.js';
import type { TestTarget } from '../../testing/targets.js';
import authModule from '../auth/module.js';
import couponsModule from '../coupons/module.js';
import guestsModule from '../guests/module.js';
import walletModule from './module.js';

/** Test helpers shared by the shop suites (not shipped behaviour). */

export const ADMIN_TOKEN = 'admin-token-for-wallet-shop-tests-0123456789';
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };


export const user = headerUser;

/** The four packs of docs/wallet.md's worked example, and a few items. */
export const shopConfig = {
  packages: {
    starter: { credits: 100, price: { amount: 1000, currency: 'ARS' }, names: { es: 'Inicial', en: 'Starter' }, sort: 1 },
    basic: { credits: 500, price: { amount: 4500, currency: 'ARS' }, names: { es: 'Básico', en: 'Basic' }, sort: 2 },
    pro: { credits: 1000, price: { amount: 8000, currency: 'ARS' }, names: { es: 'Pro', en: 'Pro' }, sort: 3 },
    business: { credits: 2000, price: { amount: 15000, currency: 'ARS' }, names: { es: 'Empresa', en: 'Business' }, sort: 4 },
    retired: { credits: 5, price: { amount: 100, currency: 'ARS' }, names: { es: 'Viejo', en: 'Old' }, active: false },
    future: { credits: 5, price: { amount: 100, currency: 'ARS' }, names: { es: 'Futuro', en: 'Future' }, startsAt: '2999-01-01T00:00:00Z' },
  },
  items: {
    'golden-frame': { price: 30, stock: 10, names: { es: 'Marco dorado', en: 'Golden frame' } },
    sticker: { price: 5, perUserLimit: 3, names: { es: 'Sticker', en: 'Sticker' } },
    boost: { price: 10, names: { es: 'Impulso', en: 'Boost' }, descriptions: { en: 'Doubles your points for a day' } },
  },
};

export async function shopTestApp(target: TestTarget, extra: Record<string, unknown> = {}, modules = [authModule, guestsModule, couponsModule, walletModule, headerUsers]): Promise<TestApp> {
  return createTestApp({
    target,
    modules,
    config: { admin: { token: ADMIN_TOKEN }, modules: { wallet: { ...shopConfig, ...extra } } },
  });
}

let seq = 0;
/** Credits for an owner straight through the ledger (kind paid), once per call. */
export async function fund(t: TestApp, owner: { userId: string } | { guestId: string }, amount: number) {
  return t.ctx.services.wallet.grant(owner, { amount, kind: 'paid', source: `test:fund:${process.pid}:${Date.now()}:${seq++}`, reason: 'test funds' });
}

export function purchase(t: TestApp, headers: Record<string, string>, itemKey: unknown, idempotencyKey?: string) {
  return t.app.inject({
    method: 'POST',
    url: '/v1/wallet/purchase',
    headers: { ...headers, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
    payload: { itemKey },
  });
}

export const balanceOf = async (t: TestApp, owner: { userId: string } | { guestId: string }) => (await t.ctx.services.wallet.balance(owner)).balance;
