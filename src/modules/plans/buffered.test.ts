import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { recordEvents } from '../../testing/events.js';
import { targets } from '../../testing/targets.js';
import { plansTestApp, user } from './testing.js';

describe.each(targets)('plans buffered API-call metering on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    // A long interval: the test flushes by hand.
    t = await plansTestApp(target, { apiCalls: { mode: 'buffered', flushMs: 60_000 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('counts calls in memory, holds the quota, and writes the counts (with their alerts) on flush', async () => {
    const events = recordEvents(t);
    const plans = t.ctx.services.plans!;
    const codes = await Promise.all(Array.from({ length: 8 }, () => t.app.inject({ method: 'GET', url: '/v1/crm/ping', headers: user('buf') })));
    expect(codes.filter((r) => r.statusCode === 200)).toHaveLength(5);
    const refused = codes.find((r) => r.statusCode === 429)!;
    expect(refused.json()).toMatchObject({ code: 'plan_quota_exceeded', limit: 5, usage: 5 });
    // Nothing written yet.
    expect((await plans.checkLimit({ userId: 'buf' }, 'apiCallsPerMonth')).usage).toBe(0);
    await plans.buffer!.flush();
    expect((await plans.checkLimit({ userId: 'buf' }, 'apiCallsPerMonth')).usage).toBe(5);
    expect(events.payloads('plans.usage.threshold').filter((e) => e.ownerId === 'buf').map((e) => e.threshold).sort()).toEqual([100, 80]);
    // After a flush the next call reads the stored count again: still refused.
    expect((await t.app.inject({ method: 'GET', url: '/v1/crm/ping', headers: user('buf') })).statusCode).toBe(429);
    await plans.buffer!.flush();
    expect((await plans.checkLimit({ userId: 'buf' }, 'apiCallsPerMonth')).usage).toBe(5);
    events.stop();
  });
});
