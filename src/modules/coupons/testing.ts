import { createTestApp, type TestApp } from '../../testing/app.js';
import { headerUser, headerUsers } from '../../testing/header-users.js';
import type { TestTarget } from '../../testing/targets.js';
import guestsModule from '../guests/module.js';
import couponsModule from './module.js';

/** Test helpers shared by the coupon suites (not shipped behaviour). */

export const ADMIN_TOKEN = 'admin-token-for-coupon-tests-0123456789';
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };


export const user = headerUser;

export async function couponTestApp(target: TestTarget): Promise<TestApp> {
  return createTestApp({ target, modules: [guestsModule, couponsModule, headerUsers], config: { admin: { token: ADMIN_TOKEN } } });
}

/**
 * A real guest (POST /v1/public/guest): its id and the headers a browser on the API's own origin
 * sends with its cookie (Origin included: cookie-authenticated POSTs must come from a trusted origin).
 */
export async function newGuest(t: TestApp): Promise<{ id: string; headers: Record<string, string> }> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/public/guest' });
  if (res.statusCode !== 201) throw new Error(`guest creation failed: ${res.statusCode} ${res.body}`);
  const raw = res.headers['set-cookie'];
  const cookie = (Array.isArray(raw) ? raw : [String(raw)]).find((c) => c.includes('neptuno_guest='))!;
  return { id: res.json().id, headers: { cookie: cookie.split(';')[0], origin: new URL(t.config.server.publicUrl).origin } };
}

export async function createCoupon(t: TestApp, body: Record<string, unknown>) {
  const res = await t.app.inject({ method: 'POST', url: '/v1/admin/coupons', headers: admin, payload: body });
  if (res.statusCode !== 201) throw new Error(`coupon creation failed: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; code: string; [k: string]: unknown };
}

export function redeem(t: TestApp, headers: Record<string, string>, code: string, idempotencyKey?: string) {
  return t.app.inject({
    method: 'POST',
    url: '/v1/coupons/redeem',
    headers: { ...headers, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
    payload: { code },
  });
}
