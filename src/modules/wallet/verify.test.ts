import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNeptuno } from '../../testing/cli.js';
import { createDatabase } from '../../core/db/database.js';
import type { TestApp } from '../../testing/app.js';
import { runCron } from '../../testing/cron.js';
import { recordEvents } from '../../testing/events.js';
import { targets } from '../../testing/targets.js';
import { waitFor } from '../../testing/wait.js';
import { ledgerDb, walletTestApp } from './ledger-testing.js';

describe.each(targets)('wallet verify on %s', (target) => {
  let t: TestApp;
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });

  beforeAll(async () => {
    t = await walletTestApp(target, {}, { logger: pino({ level: 'info' }, sink) });
  });
  afterAll(() => t?.close());

  it('passes on a ledger written by the service, and the daily cron says so', async () => {
    const w = t.ctx.services.wallet;
    await w.grant({ userId: 'v1' }, { amount: 50, kind: 'paid', source: 'v:1', reason: 'x' });
    await w.grant({ guestId: 'g1' }, { amount: 5, kind: 'promotional', source: 'v:2', reason: 'x', expiresAt: new Date(Date.now() + 60_000) });
    await w.spend({ userId: 'v1' }, { amount: 20, reason: 'x' });
    const hold = await w.hold({ userId: 'v1' }, { amount: 10, ttlMs: 60_000, reason: 'x' });
    await w.capture(hold.id, 4);
    await w.reverse('v:1', { reason: 'refund' });
    const report = await w.verify();
    expect(report).toMatchObject({ ok: true, problems: [] });
    expect(report.accounts).toBe(2);
    await runCron(t, 'wallet.verify');
    expect(await t.ctx.metrics.getSingleMetricAsString('neptuno_wallet_ledger_problems')).toMatch(/neptuno_wallet_ledger_problems 0$/m);
  });

  it('finds a cached balance, a bucket and a hold total that disagree with the entries, and the cron alerts', async () => {
    const db = ledgerDb(t);
    // What a bug or a hand-edit would do: the cache drifts from the ledger.
    await db.updateTable('wallet_accounts').set({ balance: 31, held: 1 }).where('id', '=', 'g:g1').execute();
    const report = await t.ctx.services.wallet.verify();
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual(
      expect.arrayContaining([
        { check: 'balance_mismatch', id: 'g:g1', expected: 5, actual: 31 },
        { check: 'buckets_vs_balance', id: 'g:g1', expected: 5, actual: 31 },
        { check: 'held_mismatch', id: 'g:g1', expected: 0, actual: 1 },
      ]),
    );
    const events = recordEvents(t);
    await runCron(t, 'wallet.verify');
    expect(events.payloads('wallet.ledger.mismatch')[0].problems).toHaveLength(report.problems.length);
    expect(await t.ctx.metrics.getSingleMetricAsString('neptuno_wallet_ledger_problems')).toMatch(new RegExp(`neptuno_wallet_ledger_problems ${report.problems.length}$`, 'm'));
    await waitFor(() => lines.some((l) => l.level === 50 && l.msg === 'wallet ledger does not add up'), 'the error log line');
    await db.updateTable('wallet_accounts').set({ balance: 5, held: 0 }).where('id', '=', 'g:g1').execute();
    expect((await t.ctx.services.wallet.verify()).ok).toBe(true);
  });
});

const neptuno = (args: string[], cwd: string) => runNeptuno(args, cwd);

describe('neptuno wallet verify', { timeout: 120_000 }, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'neptuno-wallet-'));
    writeFileSync(join(dir, 'neptuno.yaml'), 'server:\n  host: 127.0.0.1\n  port: 0\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 when the ledger adds up and 1, naming each problem, when it does not', async () => {
    const ok = await neptuno(['wallet', 'verify'], dir);
    expect([ok.code, ok.stderr]).toEqual([0, '']);
    expect(ok.stdout).toContain('Ledger adds up: 0 wallets');
    const database = createDatabase({ url: `sqlite:${join(dir, 'data/neptuno.db')}` });
    try {
      const now = new Date().toISOString();
      await database.db
        .insertInto('wallet_accounts')
        .values({ id: 'u:forged', owner_type: 'user', owner_id: 'forged', balance: 5, held: 0, debt: 0, created_at: now, updated_at: now })
        .execute();
    } finally {
      await database.destroy();
    }
    const bad = await neptuno(['wallet', 'verify'], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Ledger does NOT add up');
    expect(bad.stderr).toContain('balance_mismatch  u:forged  expected 0, found 5');
  });
});
