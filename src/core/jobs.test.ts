import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModule } from './module.js';
import { createTestApp, type TestApp } from '../testing/app.js';
import { targets } from '../testing/targets.js';

declare module './module.js' {
  interface Jobs {
    'reminders.send': { bookingId: string };
  }
}

const TOKEN = 'admin-token-for-job-tests-0123456789';
const admin = { authorization: `Bearer ${TOKEN}` };
const sent: string[] = [];
let gate: { entered: () => void; release: Promise<void> } | null = null;

const reminders = defineModule({
  name: 'reminders',
  jobs: {
    // The payload type comes from `Jobs['reminders.send']`.
    send: async (payload) => {
      const bookingId: string = payload.bookingId;
      const g = gate;
      gate = null;
      if (g) {
        g.entered();
        await g.release;
      }
      sent.push(bookingId);
    },
  },
});

async function waitFor(probe: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 800; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

describe.each(targets)('job control on $name', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ target, modules: [reminders], workers: true, config: { admin: { token: TOKEN } } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('type-checks enqueue payloads against the declared Jobs', async () => {
    const id = await t.ctx.enqueue('reminders.send', { bookingId: 'typed' }, { delayMs: 3_600_000 });
    // @ts-expect-error bookingId is a string
    const wrong = () => t.ctx.enqueue('reminders.send', { bookingId: 1 });
    // @ts-expect-error the payload has no such field
    const extra = () => t.ctx.enqueue('reminders.send', { bookingId: 'x', when: 1 });
    // @ts-expect-error the same check inside a transaction (trx.enqueue)
    const inTx = () => t.ctx.tx(async (trx) => trx.enqueue('reminders.send', { bookingId: 2 }));
    expect([typeof wrong, typeof extra, typeof inTx]).toEqual(['function', 'function', 'function']);
    // Undeclared job names still accept any payload.
    expect(typeof (() => t.ctx.enqueue('other.job', { anything: true }))).toBe('function');
    expect(await t.ctx.queue.remove(id)).toBe(true);
  });

  it('an admin reschedules and removes a queued job by id; a cancelled reminder never runs', async () => {
    const before = sent.length;
    const id = await t.ctx.enqueue('reminders.send', { bookingId: 'b-1' }, { delayMs: 3_600_000 });
    const runAt = '2031-05-06T07:08:09.000Z';
    const moved = await t.app.inject({ method: 'POST', url: `/v1/admin/jobs/${id}/reschedule`, headers: admin, payload: { runAt } });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ id, state: 'delayed', payload: { bookingId: 'b-1' } });
    // BullMQ takes a delay, not a time, and adds it to its own clock reading a moment later: the
    // job may land a few milliseconds after the time asked for, never before (the SQL queue is exact).
    const lateBy = Date.parse(moved.json().runAt) - Date.parse(runAt);
    expect(lateBy).toBeGreaterThanOrEqual(0);
    expect(lateBy).toBeLessThan(1000);
    for (const payload of [{}, { delayMs: 1, runAt }, { runAt: 'tomorrow' }, { runAt: '2030-01-01T23:59:60Z' }, { runAt: '0999-01-01T00:00:00Z' }, { delayMs: -1 }, { delayMs: '1e309' }]) {
      const res = await t.app.inject({ method: 'POST', url: `/v1/admin/jobs/${id}/reschedule`, headers: admin, payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/admin/jobs/${id}`, headers: admin })).statusCode).toBe(204);
    const gone = await t.app.inject({ method: 'DELETE', url: `/v1/admin/jobs/${id}`, headers: admin });
    expect([gone.statusCode, gone.json().code]).toEqual([404, 'job_not_found']);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/admin/jobs/${id}` })).statusCode).toBe(401);

    // Rescheduled to now, it runs; once finished it cannot be rescheduled.
    const soon = await t.ctx.enqueue('reminders.send', { bookingId: 'b-2' }, { delayMs: 3_600_000 });
    expect((await t.app.inject({ method: 'POST', url: `/v1/admin/jobs/${soon}/reschedule`, headers: admin, payload: { delayMs: 0 } })).statusCode).toBe(200);
    await waitFor(async () => (await t.ctx.queue.get(soon))?.state === 'completed', 'the rescheduled job');
    const late = await t.app.inject({ method: 'POST', url: `/v1/admin/jobs/${soon}/reschedule`, headers: admin, payload: { delayMs: 0 } });
    expect([late.statusCode, late.json().code]).toEqual([409, 'job_not_pending']);
    expect(sent.slice(before)).toEqual(['b-2']);
  });

  it('refuses to remove a running job with 409 job_running', async () => {
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    let release!: () => void;
    gate = { entered, release: new Promise<void>((r) => (release = r)) };
    const id = await t.ctx.enqueue('reminders.send', { bookingId: 'b-3' });
    await inside;
    const res = await t.app.inject({ method: 'DELETE', url: `/v1/admin/jobs/${id}`, headers: admin });
    expect([res.statusCode, res.json().code]).toEqual([409, 'job_running']);
    release();
    await waitFor(async () => (await t.ctx.queue.get(id))?.state === 'completed', 'the running job');
  });
});
