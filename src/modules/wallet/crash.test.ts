import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_TABLE } from '../../core/http/idempotency-store.js';
import type { TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { waitFor } from '../../testing/wait.js';
import { ledgerDb, ledgerFacts, user, walletTestApp } from './ledger-testing.js';

/**
 * The wallet app SIGKILLed while ~170 spends and captures are in flight, then restarted on the
 * same database: what was acknowledged is in the ledger exactly once, nothing is duplicated,
 * the ledger still verifies, and every Idempotency-Key re-sent afterwards replays or runs once.
 */

interface Child {
  port: number;
  kill(): Promise<void>;
}

async function startChild(t: TestApp): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./crash-app.fixture.ts', import.meta.url))], {
    env: { ...process.env, WALLET_CRASH_RAW: JSON.stringify(t.raw), WALLET_CRASH_SCHEMA: t.schema ?? '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    const line = await waitFor(() => /listening (\d+)/.exec(out) ?? (child.exitCode !== null ? 'exited' : null), 'the wallet app to listen', 45_000);
    if (line === 'exited') throw new Error('the wallet app exited before listening');
    return { port: Number(line[1]), kill };
  } catch (err) {
    await kill();
    throw err;
  }
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  replayed: boolean;
}

const OWNER = 'crash-u';
const GRANT = 1000;
const HOLDS = 10;
const HOLD_AMOUNT = 5;
const SPENDS = 160;
const SPEND_AMOUNT = 7; // 160 × 7 = 1120 > what is available: some spends must be refused, none may overdraw

async function send(port: number, op: { key: string; url: string; body: object }): Promise<Answer> {
  const res = await fetch(`http://127.0.0.1:${port}${op.url}`, {
    method: 'POST',
    headers: { ...user(OWNER), 'content-type': 'application/json', 'idempotency-key': op.key },
    body: JSON.stringify(op.body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, replayed: res.headers.get('idempotent-replayed') === 'true' };
}

describe.each(targets)('wallet killed mid-flight on $name', (target) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('keeps every acknowledged spend and capture exactly once, duplicates none, and verifies after restart', { timeout: 120_000 }, async () => {
    const t = await walletTestApp(target);
    cleanup.push(() => t.close());
    const w = t.ctx.services.wallet;
    const db = ledgerDb(t);
    await w.grant({ userId: OWNER }, { amount: GRANT, kind: 'paid', source: 'crash:grant', reason: 'crash test' });
    const holds = await Promise.all(Array.from({ length: HOLDS }, (_, i) => w.hold({ userId: OWNER }, { amount: HOLD_AMOUNT, ttlMs: 3_600_000, reason: `crash-hold-${i}` })));

    const ops = [
      ...Array.from({ length: SPENDS }, (_, i) => ({ key: `s-${i}`, url: '/v1/wallet/spend', body: { amount: SPEND_AMOUNT, reason: `crash:s-${i}` } })),
      ...holds.map((h, i) => ({ key: `c-${i}`, url: `/v1/wallet/holds/${h.id}/capture`, body: {} })),
    ].sort((a, b) => a.key.localeCompare(b.key)); // captures interleaved with spends

    // First life: everything fired at once; killed once some answers are back.
    const first = await startChild(t);
    cleanup.push(first.kill);
    const before = new Map<string, Answer>();
    let failed = 0;
    const inFlight = ops.map((op) =>
      send(first.port, op).then(
        (a) => void before.set(op.key, a),
        () => void failed++,
      ),
    );
    await waitFor(() => before.size >= 20, 'the first answers');
    await first.kill();
    await Promise.all(inFlight);
    const acked = [...before].filter(([, a]) => a.status === 201 || a.status === 200);
    // The kill really was mid-flight: some requests got no answer.
    expect(failed).toBeGreaterThan(0);
    expect(before.size + failed).toBe(ops.length);
    for (const [, a] of before) expect([200, 201, 409]).toContain(a.status);

    const spendTransfers = async () => {
      const rows = await db.selectFrom('wallet_transfers').select(['id', 'reason', 'kind', 'ref']).where('account_id', '=', `u:${OWNER}`).execute();
      return { spends: rows.filter((r) => r.kind === 'spend'), captures: rows.filter((r) => r.kind === 'capture') };
    };
    const invariants = async () => {
      expect(await w.verify()).toMatchObject({ ok: true, problems: [] });
      const facts = await ledgerFacts(t, `u:${OWNER}`);
      expect(facts.balance).toBe(facts.entrySum);
      expect(facts.balance).toBeGreaterThanOrEqual(0);
      expect(facts.distinctEntries).toBe(facts.entries);
      const { spends, captures } = await spendTransfers();
      // No spend and no capture twice: one transfer per reason (key), one capture per hold.
      expect(new Set(spends.map((s) => s.reason)).size).toBe(spends.length);
      expect(new Set(captures.map((c) => c.ref)).size).toBe(captures.length);
      // Every acknowledged answer names a transfer that is in the ledger.
      const ids = new Set([...spends, ...captures].map((r) => r.id));
      for (const [key, a] of acked) {
        expect(ids.has(String(a.body.transferId)), `${key} acknowledged ${String(a.body.transferId)}`).toBe(true);
      }
      return { facts, spends, captures };
    };

    // Second life on the same database: the ledger is whole before anything is re-sent.
    const second = await startChild(t);
    cleanup.push(second.kill);
    await invariants();
    for (const [key, a] of acked) {
      const row = key.startsWith('s-') ? (await spendTransfers()).spends.find((s) => s.reason === `crash:${key}`) : undefined;
      if (row) expect(row.id).toBe(a.body.transferId);
    }

    // The killed requests' claims would lapse after their 30 s lease (nobody renews them): lapse them now.
    await sql`update ${sql.table(IDEMPOTENCY_TABLE)} set locked_until = 0 where state = 'running'`.execute(t.ctx.db);

    // Every key re-sent once: an acknowledged one gets its first answer back, spending nothing more.
    const resent = new Map(await Promise.all(ops.map(async (op) => [op.key, await send(second.port, op)] as const)));
    for (const [key, a] of acked) {
      const again = resent.get(key)!;
      expect(again.status, key).toBe(a.status);
      expect(again.body.transferId, key).toBe(a.body.transferId);
      expect(again.replayed, key).toBe(true);
    }
    const after = await invariants();
    // A key answered 201/200 now maps to exactly one transfer, whether it ran before the kill or now.
    for (const op of ops) {
      const a = resent.get(op.key)!;
      expect([200, 201, 409], op.key).toContain(a.status);
      const rows = op.key.startsWith('s-') ? after.spends.filter((s) => s.reason === `crash:${op.key}`) : after.captures.filter((c) => op.url.includes(`/${c.ref}/`));
      expect(rows.length, op.key).toBe(a.status === 201 || a.status === 200 ? 1 : 0);
      if (rows.length) expect(rows[0].id).toBe(a.body.transferId);
    }
    expect(after.captures.length).toBe([...resent].filter(([k, a]) => k.startsWith('c-') && a.status === 200).length);
    expect(after.facts.balance).toBe(GRANT - SPEND_AMOUNT * after.spends.length - HOLD_AMOUNT * after.captures.length);

    // And a second re-send changes nothing: every answer is now a replay.
    const facts = await ledgerFacts(t, `u:${OWNER}`);
    await Promise.all(
      ops.map(async (op) => {
        const again = await send(second.port, op);
        expect(again.status, op.key).toBe(resent.get(op.key)!.status);
        expect(again.body.transferId, op.key).toBe(resent.get(op.key)!.body.transferId);
      }),
    );
    expect(await ledgerFacts(t, `u:${OWNER}`)).toEqual(facts);
  });
});
