import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from '../../testing/app.js';
import { recordEvents, type EventRecorder } from '../../testing/events.js';
import { targets } from '../../testing/targets.js';
import { ledgerDb, ledgerFacts, spend, user, walletTestApp } from './ledger-testing.js';

/** The invariants, on SQLite and on PostgreSQL + Redis. */
describe.each(targets)('wallet invariants on %s', (target) => {
  let t: TestApp;
  let events: EventRecorder;
  const wallet = () => t.ctx.services.wallet;

  beforeAll(async () => {
    t = await walletTestApp(target);
    events = recordEvents(t);
  });
  afterAll(() => t?.close());

  it('500 concurrent spends of 1 on a wallet of 300: exactly 300 succeed, balance 0, entries add up, none duplicated', async () => {
    await wallet().grant({ userId: 'hot' }, { amount: 300, kind: 'paid', source: 'inv:hot', reason: 'seed' });
    events.clear();
    const answers = await Promise.all(Array.from({ length: 500 }, () => spend(t, user('hot'), { amount: 1, reason: 'race' })));
    const codes = answers.map((a) => a.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(300);
    expect(answers.filter((a) => a.statusCode === 409 && a.json().code === 'insufficient_credits')).toHaveLength(200);
    // Every success saw its own balance: 299 … 0, each exactly once.
    expect(answers.filter((a) => a.statusCode === 201).map((a) => a.json().balance).sort((x, y) => x - y)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    const facts = await ledgerFacts(t, 'u:hot');
    expect(facts).toMatchObject({ balance: 0, entrySum: 0, held: 0 });
    expect(facts.distinctEntries).toBe(facts.entries);
    expect(facts.entries).toBe(301);
    const spends = await ledgerDb(t).selectFrom('wallet_transfers').select('id').where('account_id', '=', 'u:hot').where('kind', '=', 'spend').execute();
    expect(spends).toHaveLength(300);
    expect(events.payloads('wallet.debited')).toHaveLength(300);
    expect((await wallet().verify()).problems).toEqual([]);
  });

  it('the same Idempotency-Key 50 times at once spends once, and every answer is the first one', async () => {
    await wallet().grant({ userId: 'idem' }, { amount: 100, kind: 'paid', source: 'inv:idem', reason: 'seed' });
    // A client retries while the first is in progress (409 idempotency_in_progress, Retry-After):
    // what each of the 50 finally gets must be the first answer.
    const until = async (): Promise<LightMyRequestResponse> => {
      for (let i = 0; i < 500; i++) {
        const r = await spend(t, user('idem'), { amount: 7, reason: 'once' }, 'idem-key-1');
        if (!(r.statusCode === 409 && r.json().code === 'idempotency_in_progress')) return r;
        await new Promise((resolve) => setImmediate(resolve));
      }
      throw new Error('never finished');
    };
    const answers = await Promise.all(Array.from({ length: 50 }, until));
    expect(answers.every((a) => a.statusCode === 201)).toBe(true);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    expect(answers.filter((a) => a.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
    expect(answers[0].json()).toMatchObject({ balance: 93, available: 93 });
    expect(await ledgerFacts(t, 'u:idem')).toMatchObject({ balance: 93, entrySum: 93 });
    // The same key with another body is refused, not replayed.
    const other = await spend(t, user('idem'), { amount: 8, reason: 'once' }, 'idem-key-1');
    expect(other.statusCode).toBe(422);
  });

  it('a grant with the same source delivered 50 times in parallel credits once', async () => {
    events.clear();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => wallet().grant({ userId: 'paid' }, { amount: 500, kind: 'paid', source: 'payment:mercadopago:777', reason: 'Pack 500' })),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.transferId)).size).toBe(1);
    expect(await ledgerFacts(t, 'u:paid')).toMatchObject({ balance: 500, entrySum: 500, entries: 1 });
    expect(events.payloads('wallet.credited')).toHaveLength(1);
    // And inside the caller's own transaction (a payment's), with a failure rolling both back.
    await expect(
      t.ctx.tx(async () => {
        await wallet().grant({ userId: 'paid' }, { amount: 5, kind: 'paid', source: 'payment:mercadopago:778', reason: 'x' });
        throw new Error('payment write failed');
      }),
    ).rejects.toThrow('payment write failed');
    expect(await ledgerFacts(t, 'u:paid')).toMatchObject({ balance: 500 });
    const inTx = await t.ctx.tx(() => wallet().grant({ userId: 'paid' }, { amount: 5, kind: 'paid', source: 'payment:mercadopago:778', reason: 'x' }));
    expect(inTx).toMatchObject({ created: true, balance: 505 });
  });

  it('a reversal delivered 50 times in parallel claws back once', async () => {
    await wallet().grant({ userId: 'rev' }, { amount: 50, kind: 'paid', source: 'payment:stripe:9', reason: 'pack' });
    await wallet().spend({ userId: 'rev' }, { amount: 20, reason: 'use' });
    const results = await Promise.all(Array.from({ length: 50 }, () => wallet().reverse('payment:stripe:9', { reason: 'chargeback' })));
    expect(new Set(results.map((r) => r.transferId)).size).toBe(1);
    expect(results[0]).toMatchObject({ reversed: 30, debt: 20 });
    expect(await wallet().balance({ userId: 'rev' })).toMatchObject({ balance: 0, debt: 20 });
  });

  it('100 concurrent captures and releases of one hold resolve it once', async () => {
    await wallet().grant({ userId: 'holder' }, { amount: 40, kind: 'paid', source: 'inv:hold', reason: 'seed' });
    const hold = await wallet().hold({ userId: 'holder' }, { amount: 25, ttlMs: 60_000, reason: 'booking' });
    expect(await wallet().balance({ userId: 'holder' })).toMatchObject({ balance: 40, held: 25, available: 15 });
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        t.app.inject({ method: 'POST', url: `/v1/wallet/holds/${hold.id}/${i % 2 ? 'release' : 'capture'}`, headers: user('holder'), payload: i % 4 === 0 ? { amount: 10 } : {} }),
      ),
    );
    const ok = answers.filter((a) => a.statusCode === 200);
    expect(ok).toHaveLength(1);
    expect(answers.filter((a) => a.statusCode === 409 && a.json().code === 'wallet_hold_resolved')).toHaveLength(99);
    const after = await wallet().balance({ userId: 'holder' });
    const won = ok[0].json();
    expect(after.held).toBe(0);
    expect(after.balance).toBe(40 - (won.status === 'captured' ? won.captured : 0));
    expect(await ledgerFacts(t, 'u:holder')).toMatchObject({ balance: after.balance, entrySum: after.balance, held: 0 });
    expect((await wallet().verify()).problems).toEqual([]);
  });

  it('bad input gets a 4xx problem and writes nothing', async () => {
    await wallet().grant({ userId: 'strict' }, { amount: 10, kind: 'paid', source: 'inv:strict', reason: 'seed' });
    const before = await ledgerFacts(t, 'u:strict');
    const transfersBefore = (await ledgerDb(t).selectFrom('wallet_transfers').select('id').execute()).length;
    const bodies: unknown[] = [
      { amount: -1, reason: 'x' },
      { amount: 0, reason: 'x' },
      { amount: 1.5, reason: 'x' },
      { amount: 2 ** 53, reason: 'x' },
      { amount: 1e15, reason: 'x' },
      { amount: '5', reason: 'x' },
      { amount: true, reason: 'x' },
      { amount: [1], reason: 'x' },
      { amount: null, reason: 'x' },
      { amount: { n: 1 }, reason: 'x' },
      { amount: 1, reason: 5 },
      { amount: 1, reason: '' },
      { amount: 1, reason: 'x'.repeat(501) },
      { amount: 1 },
      { reason: 'x' },
      { amount: 1, reason: 'x', extra: 1 },
      [],
      'spend',
    ];
    const raw = [...bodies.map((b) => JSON.stringify(b)), '{"amount":1,"reason":"x","__proto__":{"amount":5}}', '{"amount":1,', '{"amount":01,"reason":"x"}', '{"amount":1e309,"reason":"x"}'];
    for (const payload of raw) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/wallet/spend', headers: { ...user('strict'), 'content-type': 'application/json' }, payload });
      expect([res.statusCode, payload]).toEqual([400, payload]);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const holds = [{ amount: 1, ttlSeconds: 0, reason: 'x' }, { amount: 1, ttlSeconds: 1.5, reason: 'x' }, { amount: -3, ttlSeconds: 60, reason: 'x' }, { amount: 1, ttlSeconds: '60', reason: 'x' }];
    for (const body of holds) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/wallet/holds', headers: user('strict'), payload: body });
      expect(res.statusCode).toBe(400);
    }
    // The service refuses what the schemas would (other modules call it directly).
    const grants: Array<Record<string, unknown>> = [
      { amount: 1.5, kind: 'paid', source: 's1', reason: 'r' },
      { amount: -5, kind: 'paid', source: 's2', reason: 'r' },
      { amount: Number.NaN, kind: 'paid', source: 's3', reason: 'r' },
      { amount: '5', kind: 'paid', source: 's4', reason: 'r' },
      { amount: 5, kind: 'gold', source: 's5', reason: 'r' },
      { amount: 5, kind: 'paid', source: '', reason: 'r' },
      { amount: 5, kind: 'paid', source: 's7', reason: 'r', expiresAt: new Date('2000-01-01') },
      { amount: 5, kind: 'paid', source: 's8', reason: 'r', priority: 1.5 },
      { amount: 1e13, kind: 'paid', source: 's9', reason: 'r' },
    ];
    for (const g of grants) await expect(wallet().grant({ userId: 'strict' }, g as never)).rejects.toMatchObject({ status: 400 });
    await expect(wallet().grant({ nobody: 'x' } as never, { amount: 1, kind: 'paid', source: 's10', reason: 'r' })).rejects.toMatchObject({ status: 400, code: 'invalid_wallet_owner' });
    await expect(wallet().spend({ userId: 'strict' }, { amount: 0.5, reason: 'r' })).rejects.toMatchObject({ status: 400 });
    expect(await ledgerFacts(t, 'u:strict')).toEqual(before);
    expect((await ledgerDb(t).selectFrom('wallet_transfers').select('id').execute()).length).toBe(transfersBefore);
  });
});
