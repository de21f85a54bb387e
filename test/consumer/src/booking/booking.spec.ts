import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auth, guests } from 'neptuno';
import {
  CookieJar,
  TEST_ORIGIN,
  createAdmin,
  createTestApp,
  freezeClock,
  recordEvents,
  runCron,
  settle,
  signUpAndIn,
  targets,
  type TestApp,
  type TestClock,
} from 'neptuno/testing';
import booking from './module.js';

const ADMIN_TOKEN = 'booking-admin-token-booking-admin-token-0123';

describe.each(targets)('a booking module built on the neptuno package, on %s', (target) => {
  let t: TestApp;
  let clock: TestClock | undefined;
  beforeAll(async () => {
    t = await createTestApp({ target, modules: [auth, guests, booking], workers: true, config: { admin: { token: ADMIN_TOKEN } } });
  });
  afterAll(() => t?.close());
  afterEach(() => clock?.restore());

  const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString();
  const book = (cookie: string, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/v1/booking/bookings', headers: { cookie, origin: TEST_ORIGIN }, payload });

  it('gives a new account its quota through user.registered, then books until it runs out', async () => {
    const events = recordEvents(t);
    const ana = await signUpAndIn(t.app);
    await settle(t); // user.registered has reached the booking module's handler
    expect(await t.ctx.services.booking.remaining(ana.userId)).toBe(2);
    // The shipped modules' services are typed in this project too.
    expect(await t.ctx.services.auth.getUser(ana.userId)).toMatchObject({ email: ana.email });
    const first = await book(ana.cookie, { slot: tomorrow(), note: 'mesa 4' });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ status: 'held', note: 'mesa 4' });
    expect((await book(ana.cookie, { slot: first.json().slot })).json()).toMatchObject({ status: 409, code: 'slot_taken' });
    expect((await book(ana.cookie, { slot: new Date(Date.now() + 2 * 86_400_000).toISOString() })).statusCode).toBe(201);
    const none = await book(ana.cookie, { slot: new Date(Date.now() + 3 * 86_400_000).toISOString() });
    expect(none.statusCode).toBe(422);
    expect(none.json().code).toBe('quota_exhausted');
    const mine = await t.app.inject({ url: '/v1/booking/bookings', headers: { cookie: ana.cookie } });
    expect(mine.json().data).toHaveLength(2);
    // Refused bookings rolled back: only the two that committed announced themselves.
    expect(events.payloads('booking.created').map((e) => e.bookingId).sort()).toEqual(mine.json().data.map((b: { id: string }) => b.id).sort());
    events.stop();
  });

  it('answers field errors in the caller language', async () => {
    const ana = await signUpAndIn(t.app);
    await settle(t);
    const past = await t.app.inject({
      method: 'POST',
      url: '/v1/booking/bookings',
      headers: { cookie: ana.cookie, origin: TEST_ORIGIN, 'accept-language': 'en' },
      payload: { slot: '2001-01-01T00:00:00Z' },
    });
    expect(past.statusCode).toBe(422);
    expect(past.json()).toMatchObject({ code: 'validation_failed', errors: [{ pointer: '/body/slot', code: 'in_the_past' }] });
    const bad = await book(ana.cookie, { slot: 'soon', extra: 1 });
    expect(bad.statusCode).toBe(400);
  });

  it('lets guests look but only people book (not guests, not the admin token)', async () => {
    const jar = new CookieJar();
    jar.store(await t.app.inject({ method: 'POST', url: '/v1/public/guest', headers: { origin: TEST_ORIGIN } }));
    expect((await t.app.inject({ url: '/v1/booking/availability', headers: { cookie: jar.header() } })).json()).toEqual({ open: true });
    expect((await book(jar.header(), { slot: tomorrow() })).statusCode).toBe(401);
    const service = await t.app.inject({
      method: 'POST',
      url: '/v1/booking/bookings',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { slot: tomorrow() },
    });
    expect(service.statusCode).toBe(403);
    expect(service.json().code).toBe('person_required');
  });

  it('confirms through its job, and shows every booking to an admin', async () => {
    const ana = await signUpAndIn(t.app);
    await settle(t);
    const { id } = (await book(ana.cookie, { slot: new Date(Date.now() + 5 * 86_400_000).toISOString() })).json();
    const status = async () => (await t.app.inject({ url: `/v1/booking/bookings/${id}`, headers: { cookie: ana.cookie } })).json().status;
    await expect.poll(status, { timeout: 10_000 }).toBe('confirmed');
    const admin = await createAdmin(t);
    const all = await t.app.inject({ url: '/v1/admin/booking/bookings?limit=100', headers: { cookie: admin.cookie } });
    expect(all.statusCode).toBe(200);
    expect(all.json().data.map((b: { id: string }) => b.id)).toContain(id);
    expect((await t.app.inject({ url: '/v1/admin/booking/bookings', headers: { cookie: ana.cookie } })).statusCode).toBe(403);
  });

  it('expires unconfirmed holds on its cron, on a frozen clock', async () => {
    // No workers here: the confirm job must not run before the cron does.
    const quiet = await createTestApp({ target, modules: [auth, guests, booking] });
    try {
      clock = freezeClock('2030-05-01T10:00:00Z');
      const ana = await signUpAndIn(quiet.app);
      await settle(quiet);
      const res = await quiet.app.inject({
        method: 'POST',
        url: '/v1/booking/bookings',
        headers: { cookie: ana.cookie, origin: TEST_ORIGIN },
        payload: { slot: '2030-05-03T10:00:00Z' },
      });
      const { id } = res.json();
      clock.advance(10 * 60_000);
      await runCron(quiet, 'booking.expire-holds');
      expect((await quiet.ctx.services.booking.get(ana.userId, id)).status).toBe('held');
      clock.advance(6 * 60_000);
      await runCron(quiet, 'booking.expire-holds');
      expect((await quiet.ctx.services.booking.get(ana.userId, id)).status).toBe('expired');
    } finally {
      await quiet.close();
    }
  });
});
