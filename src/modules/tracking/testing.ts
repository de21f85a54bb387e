import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { headerUsers } from '../../testing/header-users.js';
import type { TestTarget } from '../../testing/targets.js';
import type { AnyModule } from '../../core/module.js';
import guests from '../guests/module.js';
import tracking from './module.js';
import type { TrackingService } from './service.js';

/** Test helpers shared by the tracking suites (not shipped behaviour). */

export const ADMIN_TOKEN = 'admin-token-for-tracking-tests-0123456789';
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
export const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
export const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';

export async function trackingTestApp(target: TestTarget, opts: { modules?: AnyModule[]; config?: Record<string, unknown> } = {}): Promise<TestApp> {
  const { modules: moduleConfig = {}, ...rest } = opts.config ?? {};
  return createTestApp({
    target,
    modules: [guests, ...(opts.modules ?? []), tracking, headerUsers],
    config: {
      admin: { token: ADMIN_TOKEN },
      ...rest,
      // Tests run the live publisher by hand (service.live.tick()): its timer never fires in a test.
      modules: { ...(moduleConfig as object), tracking: { live: { intervalMs: 300_000 }, ...((moduleConfig as Record<string, object>).tracking ?? {}) } },
    },
  });
}

export const service = (t: TestApp): TrackingService => t.ctx.services.tracking;
export const origin = (t: TestApp) => new URL(t.config.server.publicUrl).origin;

/** The clock of the tracking service, frozen at `iso` until moved again. */
export function setClock(t: TestApp, iso: string): void {
  service(t).now = () => new Date(iso);
}

export interface Visitor {
  ip?: string;
  ua?: string;
  headers?: Record<string, string>;
}

/** POST /v1/tracking/events from a page of the API's own origin. */
export function send(t: TestApp, body: unknown, v: Visitor = {}, opts: Partial<InjectOptions> = {}): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: '/v1/tracking/events',
    remoteAddress: v.ip ?? '203.0.113.7',
    headers: { origin: origin(t), 'user-agent': v.ua ?? CHROME, 'content-type': 'application/json', ...v.headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
    ...opts,
  });
}

export const page = (t: TestApp, path: string) => `${origin(t)}${path}`;

export async function adminGet(t: TestApp, url: string) {
  const res = await t.app.inject({ method: 'GET', url, headers: admin });
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  return res.json();
}
