import { addHeaderUsers } from '../../testing/header-users.js';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, type TestApp } from '../../testing/app.js';
import type { TestTarget } from '../../testing/targets.js';
import type { AnyModule } from '../../core/module.js';
import guestsModule from '../guests/module.js';
import gamificationModule from './module.js';

/** Shared set-up of the gamification tests (not shipped: only *.test.ts import it). */

export const ADMIN_TOKEN = 'admin-token-for-gamification-tests-0123456789';
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Extra event types the tests use besides the shipped defaults. */
export const testEventTypes = {
  capped: { points: 10, dailyCap: 7 },
  tap: { points: 1 },
  big: { points: 300 },
};

/** `config`: the gamification section; `root`: other neptuno.yaml sections (and other modules' sections). */
export async function gamificationApp(
  target: TestTarget,
  modules: AnyModule[] = [],
  config: Record<string, unknown> = {},
  root: { modules?: Record<string, unknown>; [k: string]: unknown } = {},
): Promise<TestApp> {
  const defaults = (await import('typebox/value')).Value.Default((gamificationModule.config)!, {}) as { eventTypes: object };
  const t = await createTestApp({
    target,
    modules: [guestsModule, ...modules, gamificationModule],
    config: {
      ...root,
      admin: { token: ADMIN_TOKEN },
      modules: { ...root.modules, gamification: { eventTypes: { ...defaults.eventTypes, ...testEventTypes }, ...config } },
    },
  });
  // Unit-level tests also play as users without the auth module: `x-test-user: <id>`.
  addHeaderUsers(t.ctx.access, -50);
  return t;
}

export const guestCookie = (res: LightMyRequestResponse): string | undefined => {
  const raw = res.headers['set-cookie'];
  const list = Array.isArray(raw) ? raw : raw ? [String(raw)] : [];
  return list.find((c) => c.includes('neptuno_guest='))?.split(';')[0];
};

/** A player seen through HTTP: a guest (cookie) or a test user (header). */
export class Client {
  constructor(
    private readonly t: TestApp,
    public headers: Record<string, string> = {},
    public id = '',
  ) {}

  static async guest(t: TestApp): Promise<Client> {
    const res = await t.app.inject({ method: 'POST', url: '/v1/public/guest' });
    return new Client(t, { cookie: guestCookie(res)! }, res.json().id);
  }

  static user(t: TestApp, id: string): Client {
    return new Client(t, { 'x-test-user': id }, id);
  }

  /** POSTs as a browser on the API's own origin would (Origin sent: cookie credentials need it). */
  post(payload: unknown, headers: Record<string, string> = {}) {
    const origin = new URL(this.t.config.server.publicUrl).origin;
    return this.t.app.inject({ method: 'POST', url: '/v1/gamification/events', payload: payload as object, headers: { origin, ...this.headers, ...headers } });
  }

  async send(type: string, id?: string) {
    const res = await this.post({ type, id });
    if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`);
    return res.json();
  }

  async get(path: string) {
    const res = await this.t.app.inject({ method: 'GET', url: `/v1/gamification${path}`, headers: this.headers });
    if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`);
    return res.json();
  }
}
