import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import pino from 'pino';
import { targets } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import auth from './module.js';
import { betterAuthLogger } from './logging.js';
import { CookieJar, signUpAndIn, TEST_ORIGIN, TEST_PASSWORD, uniqueEmail } from './test-helpers.js';

/** better-auth's log lines go to pino (logging.ts), never to its own console output. */
describe('betterAuthLogger', () => {
  const capture = () => {
    const lines: Array<{ level: number; msg: string; component?: string }> = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    return { lines, log: pino({ level: 'debug' }, stream).child({ component: 'better-auth' }) };
  };

  it('writes through pino: failures as errors, refusals of client input as warnings', () => {
    const { lines, log } = capture();
    const logger = betterAuthLogger(log);
    logger.log!('error', 'Invalid origin: https://evil.example');
    logger.log!('error', 'Invalid callbackURL: https://evil.example/x');
    logger.log!('error', 'Failed to create session', new Error('boom'));
    logger.log!('warn', 'something odd');
    logger.log!('info', 'for your information');
    expect(lines.map((l) => [pino.levels.labels[l.level], l.msg])).toEqual([
      ['warn', 'Invalid origin: https://evil.example'],
      ['warn', 'Invalid callbackURL: https://evil.example/x'],
      ['error', 'Failed to create session'],
      ['warn', 'something odd'],
      ['info', 'for your information'],
    ]);
    expect(lines.every((l) => l.component === 'better-auth')).toBe(true);
    // better-auth filters by this level before calling log (info lines are not produced at all).
    expect(logger.level).toBe('warn');
  });
});

describe.each(targets)('better-auth writes nothing to the console on %s', (target) => {
  let t: TestApp;
  const spies: MockInstance[] = [];
  const printed = () => spies.flatMap((s) => s.mock.calls.map((args) => args.map(String).join(' ')));

  beforeAll(async () => {
    t = await createTestApp({ target, modules: [auth] });
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => {
    for (const s of spies.splice(0)) s.mockRestore();
  });
  const watchConsole = () => {
    for (const method of ['error', 'warn', 'log', 'info'] as const) spies.push(vi.spyOn(console, method).mockImplementation(() => {}));
  };

  it('refused requests (untrusted origin, untrusted callbackURL) are 403 problems and print nothing', async () => {
    const s = await signUpAndIn(t.app);
    watchConsole();
    const signOut = await t.app.inject({ method: 'POST', url: '/v1/auth/sign-out', headers: { origin: 'https://evil.example', cookie: s.cookie } });
    expect(signOut.statusCode).toBe(403);
    expect(signOut.json().code).toBe('csrf_origin_rejected');
    const reset = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/request-password-reset',
      headers: { origin: TEST_ORIGIN },
      payload: { email: s.email, redirectTo: 'https://evil.example/steal' },
    });
    expect(reset.statusCode).toBe(403);
    expect(printed()).toEqual([]);
  });

  it('a failure inside better-auth (a missing table) is a 500 problem from Fastify, not a console line', async () => {
    const broken = await createTestApp({ target, modules: [auth] });
    try {
      const email = uniqueEmail('broken');
      expect((await signUpAndIn(broken.app, { email })).userId).toEqual(expect.any(String));
      await broken.ctx.db.schema.alterTable('auth_sessions').renameTo('auth_sessions_gone').execute();
      watchConsole();
      const res = await broken.app.inject({
        method: 'POST',
        url: '/v1/auth/sign-in/email',
        headers: { origin: TEST_ORIGIN, cookie: new CookieJar().header() },
        payload: { email, password: TEST_PASSWORD },
      });
      expect(res.statusCode).toBe(500);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 500, code: 'internal_error' });
      expect(res.body).not.toMatch(/auth_sessions|stack/i);
      expect(printed()).toEqual([]);
    } finally {
      await broken.close();
    }
  });
});
