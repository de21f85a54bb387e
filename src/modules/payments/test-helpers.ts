import { expect } from 'vitest';
import { typedDb } from '../../core/db/dialect.js';
import type { KernelContext } from '../../core/module.js';
import { settle, waitFor } from '../../testing/index.js';
import type { PaymentTables } from './schema.js';

/** Spartan Market's credit packs (docs/payments.md), prices in ARS minor units. */
export const SPARTAN_PACKS = [
  { key: 'pack-100', credits: 100, price: { amount: 1_000, currency: 'ARS' }, names: { es: '100 créditos', en: '100 credits' } },
  { key: 'pack-500', credits: 500, price: { amount: 4_500, currency: 'ARS' }, names: { es: '500 créditos', en: '500 credits' } },
  { key: 'pack-1000', credits: 1_000, price: { amount: 8_000, currency: 'ARS' }, names: { es: '1.000 créditos', en: '1,000 credits' } },
  { key: 'pack-2000', credits: 2_000, price: { amount: 15_000, currency: 'ARS' }, names: { es: '2.000 créditos', en: '2,000 credits' } },
];

/** Every stored webhook processed by its job, and the events they committed delivered. */
export async function drain(t: { ctx: KernelContext }): Promise<void> {
  const db = typedDb<PaymentTables>(t.ctx);
  await waitFor(async () => {
    const r = await db.selectFrom('payment_webhook_inbox').select((eb) => eb.fn.countAll<number>().as('n')).where('processed_at', 'is', null).executeTakeFirstOrThrow();
    return Number(r.n) === 0;
  }, 'the stored webhooks to be processed');
  await settle(t);
}

export async function paymentRow(t: { ctx: KernelContext }, id: string) {
  return typedDb<PaymentTables>(t.ctx).selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export async function countRows(t: { ctx: KernelContext }, table: keyof PaymentTables, where: Record<string, string> = {}): Promise<number> {
  let q = typedDb<PaymentTables>(t.ctx).selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n'));
  for (const [k, v] of Object.entries(where)) q = q.where(k as never, '=', v as never);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

export function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toContain('application/problem+json');
  expect((res.json() as { code: string }).code).toBe(code);
}
