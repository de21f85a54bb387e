import { Type } from 'typebox';
import { defineModule } from '../../core/module.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import type { TestTarget } from '../../testing/targets.js';
import authModule from '../auth/module.js';
import guestsModule from '../guests/module.js';
import usersModule from '../users/module.js';
import legalModule from './module.js';

/** Test helpers shared by the legal suites (not shipped behaviour). */

export const ADMIN_TOKEN = 'admin-token-for-legal-tests-0123456789';
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

const ok = { schema: { response: { 200: Type.Object({ ok: Type.Boolean() }) } } };

/** An app's own module: guarded by prefix, exempt, by its route option, and one with a custom prefix. */
export const vault = defineModule({
  name: 'vault',
  routes: (app) => {
    app.get('/open', { ...ok, config: { scope: 'vault:read' } }, async () => ({ ok: true }));
    app.get('/free', { ...ok, config: { scope: 'vault:read' } }, async () => ({ ok: true }));
    app.get('/newsletter', { ...ok, config: { scope: 'vault:read', consent: ['marketing'] } }, async () => ({ ok: true }));
    app.get('/never', { ...ok, config: { scope: 'vault:read', consent: false } }, async () => ({ ok: true }));
  },
});
export const store = defineModule({
  name: 'store',
  prefix: '/v1/shop-front',
  routes: (app) => {
    app.get('/cart', { ...ok, config: { scope: 'store:read' } }, async () => ({ ok: true }));
  },
});

export function legalTestApp(target: TestTarget, legal: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<TestApp> {
  return createTestApp({
    target,
    modules: [authModule, guestsModule, usersModule, legalModule, vault, store],
    config: {
      admin: { token: ADMIN_TOKEN },
      modules: {
        legal: { guard: { prefixes: ['/v1/vault'], exempt: ['/v1/vault/free'], modules: ['store'] }, ...legal },
      },
      ...extra,
    },
  });
}

export async function publish(t: TestApp, body: Record<string, unknown>) {
  const res = await t.app.inject({ method: 'POST', url: '/v1/admin/legal/documents', headers: admin, payload: body });
  if (res.statusCode !== 201) throw new Error(`publish failed: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; slug: string; version: string };
}

export const terms = (version: string, extra: Record<string, unknown> = {}) => ({
  slug: 'terms',
  version,
  title: { es: `Términos ${version}`, en: `Terms ${version}` },
  content: { es: `Texto ${version}`, en: `Text ${version}` },
  required: true,
  ...extra,
});

/** A real guest: its id and the headers a browser on the API's origin sends. */
export async function newGuest(t: TestApp): Promise<{ id: string; headers: Record<string, string> }> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/public/guest' });
  if (res.statusCode !== 201) throw new Error(`guest creation failed: ${res.statusCode} ${res.body}`);
  const raw = res.headers['set-cookie'];
  const cookie = (Array.isArray(raw) ? raw : [String(raw)]).find((c) => c.includes('neptuno_guest='))!;
  return { id: res.json().id, headers: { cookie: cookie.split(';')[0], origin: new URL(t.config.server.publicUrl).origin } };
}
