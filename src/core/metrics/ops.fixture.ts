/**
 * A module that makes the operator metrics move, shared by the metrics, Sentry and tracing tests.
 * Not a test file.
 */
import { Type } from 'typebox';
import { sql } from 'kysely';
import { defineModule } from '../module.js';

declare module '../events.js' {
  interface DomainEvents {
    'ops.happened': { n: number };
  }
}

/** What the handlers do; tests set these. */
export const opsHooks = { handlerFails: 0, handlerCalls: 0, outgoingUrl: '' };

export const opsModule = defineModule({
  name: 'ops',
  services: (ctx) => {
    // x-test-tenant: an actor of that tenant (only these tests' resolver).
    ctx.access.addResolver((req) => {
      const tenant = req.headers['x-test-tenant'];
      return typeof tenant === 'string' ? { type: 'user', id: 'u1', role: 'user', tenantId: tenant, via: 'bearer' } : null;
    });
    return {};
  },
  jobs: {
    flaky: async () => {
      throw new Error('flaky job failed');
    },
    fine: async () => {},
  },
  on: {
    'ops.happened': async () => {
      if (opsHooks.handlerCalls++ < opsHooks.handlerFails) throw new Error('ops handler failed');
    },
  },
  routes: async (app, ctx) => {
    app.get('/whoami', { config: { scope: 'public' }, schema: { response: { 200: Type.Object({ tenant: Type.Union([Type.String(), Type.Null()]) }) } } }, async (req) => ({
      tenant: (await req.actor())?.tenantId ?? null,
    }));
    app.get('/count', { config: { scope: 'public' }, schema: { response: { 200: Type.Object({ n: Type.Number() }) } } }, async () => {
      const row = await sql<{ n: number }>`select count(*) as n from neptuno_jobs`.execute(ctx.db);
      return { n: Number(row.rows[0].n) };
    });
    app.get('/cached', { config: { scope: 'public' }, schema: { response: { 200: Type.Object({ n: Type.Number() }) } } }, async () => ({
      n: await ctx.cache.getOrSet('ops:cached', 60_000, async () => 7),
    }));
    app.get('/outgoing', { config: { scope: 'public' }, schema: { response: { 200: Type.Object({ status: Type.Number() }) } } }, async () => {
      const res = await fetch(opsHooks.outgoingUrl);
      await res.text();
      return { status: res.status };
    });
    app.get('/boom', { config: { scope: 'public' } }, async (req) => {
      await req.actor();
      throw new Error('boom for ana@example.com: password=hunter2');
    });
  },
});
