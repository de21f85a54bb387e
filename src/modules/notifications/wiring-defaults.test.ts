import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { waitFor } from '../../testing/wait.js';
import { inbox, notificationsApp, person } from './testing.js';

/**
 * The default wiring turns the real events of gamification, wallet, payments and plans into
 * notifications without code: each payload below has the shape its module emits (module.ts /
 * events.ts of each), and each must land in the user's inbox rendered from the built-in type.
 */
describe.each(targets)('notifications: default event wiring on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await notificationsApp(target, { notifications: { quietHours: { enabled: false } } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('notifies for badges, levels, low balance, payments, refunds, trials and plan usage', async () => {
    const u = await person(t, { locale: 'en' });
    const pay = { paymentId: 'p1', provider: 'stripe', userId: u.userId, tenantId: null, purpose: { kind: 'package', key: 'gold' }, amount: 1999, currency: 'USD', providerPaymentId: 'pi_1' };
    const usage = { ownerType: 'user', ownerId: u.userId, tenantId: null, userId: u.userId, metric: 'api_calls', limitName: 'calls', period: '2026-11', limit: 100, usage: 80, resetAt: null };
    const events: [string, Record<string, unknown>, string][] = [
      ['badge.awarded', { actorType: 'user', actorId: u.userId, badge: 'Ambassador' }, 'New badge!'],
      ['level.up', { actorType: 'user', actorId: u.userId, level: 'gold', previousLevel: 'silver' }, 'Level up!'],
      ['wallet.low_balance', { ownerType: 'user', ownerId: u.userId, userId: u.userId, balance: 3, threshold: 5 }, 'Your credits are running low'],
      ['payment.succeeded', pay, 'Payment received'],
      ['payment.failed', pay, 'Your payment did not go through'],
      ['payment.refunded', { ...pay, reason: 'refund' }, 'Payment refunded'],
      ['payment.subscription.trial_will_end', { provider: 'stripe', providerSubscriptionId: 'sub_1', planKey: 'pro', owner: { userId: u.userId }, status: 'trialing', cause: 'trial_will_end' }, 'Your free trial ends soon'],
      ['plans.usage.threshold', { ...usage, threshold: 80 }, 'You have used 80% of your plan'],
      ['plans.usage.exceeded', { ...usage, usage: 100, mode: 'hard' }, 'You reached your plan limit'],
    ];
    for (const [event, payload] of events) await t.ctx.tx(async (trx) => trx.emit(event as never, payload as never));
    const box = await waitFor(async () => {
      const b = await inbox(t, { cookie: u.cookie }, '?limit=50');
      return b.data.length >= events.length ? b : null;
    }, 'every wired notification');
    expect(box.data.map((i) => i.title).sort()).toEqual(events.map((e) => e[2]).sort());
    expect(box.data.find((i) => i.type === 'payment_refunded')!.body).toBe('We refunded $19.99.');
  });
});
