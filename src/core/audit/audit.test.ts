import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { runCron } from '../../testing/cron.js';
import { headerUser, headerUsers } from '../../testing/header-users.js';
import { targets } from '../../testing/targets.js';
import { defineModule } from '../module.js';
import { truncateIp } from './audit.js';
import { REDACTED } from './redact.js';

const TOKEN = 'admin-token-for-audit-tests-0123456789abcdef';
const admin = { authorization: `Bearer ${TOKEN}` };

/** A module whose admin route changes a row and records it, and can be told to fail afterwards. */
const notes = defineModule({
  name: 'notes',
  migrations: {
    '0001_notes': {
      async up(db) {
        await db.schema.createTable('notes').addColumn('id', 'varchar(64)', (c) => c.primaryKey()).addColumn('body', 'text').execute();
      },
    },
  },
  adminRoutes: (app, ctx) => {
    app.post(
      '',
      { schema: { body: Type.Object({ id: Type.String({ maxLength: 64 }), body: Type.String({ maxLength: 200 }), fail: Type.Optional(Type.Boolean()) }) } },
      async (req, reply) => {
        const { id, body, fail } = req.body as { id: string; body: string; fail?: boolean };
        await ctx.tx(async (trx) => {
          await trx.insertInto('notes').values({ id, body }).execute();
          // No trx passed: the entry joins the ctx.tx open around the call.
          await ctx.audit.record({ action: 'notes.created', target: { type: 'note', id }, after: { body } });
          if (fail) throw new Error('failed after recording');
        });
        return reply.code(201).send({ id });
      },
    );
  },
});

describe.each(targets)('audit log on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ target, modules: [headerUsers, notes], config: { admin: { token: TOKEN } } });
  });
  afterAll(async () => {
    await t?.close();
  });

  const list = async (query = '') => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/admin/audit${query}`, headers: admin });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { data: Array<Record<string, any>>; nextCursor: string | null }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  it('writes in the transaction of the change: a rolled-back change leaves no entry', async () => {
    await t.ctx.tx(async (trx) => {
      await trx.insertInto('notes').values({ id: 'kept', body: 'x' }).execute();
      await t.ctx.audit.record({ action: 'notes.created', actor: { type: 'user', id: 'u-kept' }, target: { type: 'note', id: 'kept' } }, trx);
    });
    await expect(
      t.ctx.tx(async (trx) => {
        await trx.insertInto('notes').values({ id: 'lost', body: 'x' }).execute();
        await t.ctx.audit.record({ action: 'notes.created', actor: { type: 'user', id: 'u-lost' }, target: { type: 'note', id: 'lost' } }, trx);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await list('?target=note:kept')).data).toHaveLength(1);
    expect((await list('?target=note:lost')).data).toHaveLength(0);
    expect(await t.ctx.db.selectFrom('notes').selectAll().where('id', '=', 'lost').execute()).toEqual([]);
  });

  it('fills actor, IP and request id from the request; a failing request leaves neither row nor entry', async () => {
    const ok = await t.app.inject({ method: 'POST', url: '/v1/admin/notes', headers: { ...admin, 'x-request-id': 'req-audit-1' }, payload: { id: 'n1', body: 'hello' } });
    expect(ok.statusCode).toBe(201);
    const [entry] = (await list('?action=notes.created&target=note:n1')).data;
    expect(entry).toMatchObject({
      action: 'notes.created',
      actor: { type: 'service', id: 'admin-token' },
      target: { type: 'note', id: 'n1' },
      before: null,
      after: { body: 'hello' },
      ip: '127.0.0.1',
      requestId: 'req-audit-1',
    });
    expect(Date.parse(entry.occurredAt)).toBeGreaterThan(Date.now() - 60_000);

    const bad = await t.app.inject({ method: 'POST', url: '/v1/admin/notes', headers: admin, payload: { id: 'n2', body: 'x', fail: true } });
    expect(bad.statusCode).toBe(500);
    expect((await list('?target=note:n2')).data).toEqual([]);
    expect(await t.ctx.db.selectFrom('notes').selectAll().where('id', '=', 'n2').execute()).toEqual([]);
  });

  it('outside a request the actor is system; an explicit actor keeps only its type and id', async () => {
    await t.ctx.audit.record({ action: 'notes.swept', target: { type: 'note' } });
    await t.ctx.audit.record({ action: 'notes.touched', actor: { type: 'user', id: 'u9', role: 'user', tenantId: null, via: 'session' } });
    expect((await list('?action=notes.swept')).data[0]).toMatchObject({ actor: { type: 'system', id: null }, ip: null, requestId: null, target: { type: 'note', id: null } });
    expect((await list('?action=notes.touched')).data[0].actor).toEqual({ type: 'user', id: 'u9' });
  });

  it('redacts personal data and secrets in before/after', async () => {
    await t.ctx.audit.record({
      action: 'notes.redaction',
      actor: null,
      before: { email: 'ana@example.com', role: 'user', nested: { phone_number: '+57 300', password: 'p' }, note: 'write to ana@example.com' },
      after: { role: 'admin', list: ['x@y.co', 'ok'], displayName: 'Ana', count: 3 },
    });
    const [e] = (await list('?action=notes.redaction')).data;
    expect(e.actor).toEqual({ type: 'anonymous', id: null });
    expect(e.before).toEqual({ email: REDACTED, role: 'user', nested: { phone_number: REDACTED, password: REDACTED }, note: REDACTED });
    expect(e.after).toEqual({ role: 'admin', list: [REDACTED, 'ok'], displayName: REDACTED, count: 3 });
    await expect(t.ctx.audit.record({ action: 'Not An Action' })).rejects.toThrow(TypeError);
  });

  it('filters by actor, action prefix, target and time, and pages with a cursor', async () => {
    for (let i = 0; i < 5; i++) await t.ctx.audit.record({ action: `paging.step_${i % 2}`, actor: { type: 'user', id: 'pager' }, target: { type: 'page', id: String(i) } });
    const first = await list('?actor=pager&limit=2');
    expect(first.data.map((e) => e.target.id)).toEqual(['4', '3']);
    const second = await list(`?actor=pager&limit=2&cursor=${first.nextCursor}`);
    expect(second.data.map((e) => e.target.id)).toEqual(['2', '1']);
    expect((await list('?action=paging.*')).data).toHaveLength(5);
    expect((await list('?action=paging.step_1')).data).toHaveLength(2);
    expect((await list('?actor=pager&actorType=guest')).data).toHaveLength(0);
    expect((await list('?target=page')).data).toHaveLength(5);
    expect((await list('?target=page:3')).data).toHaveLength(1);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await list(`?actor=pager&from=${future}`)).data).toHaveLength(0);
    expect((await list(`?actor=pager&to=${future}`)).data).toHaveLength(5);
    expect((await list('?actor=pager&from=2000-01-01&to=2001-01-01')).data).toHaveLength(0);
  });

  it('is admin-only, refuses bad filters with 400 and has no write route', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/audit' })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/audit', headers: headerUser('someone') })).statusCode).toBe(403);
    for (const q of ['?action=DROP%20TABLE', '?from=2026-13-45', '?limit=0', '?cursor=forged', '?actorType=robot', '?action=users.%25']) {
      const res = await t.app.inject({ method: 'GET', url: `/v1/admin/audit${q}`, headers: admin });
      expect(res.statusCode, q).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      const res = await t.app.inject({ method, url: '/v1/admin/audit', headers: admin, payload: {} });
      expect([404, 405]).toContain(res.statusCode);
    }
    const route = t.ctx.access.scopes.routes.find((r) => r.url === '/v1/admin/audit' && r.method === 'GET');
    expect(route?.scope).toBe('admin');
  });

  it('audits settings changes (module switches included) in the same transaction', async () => {
    const res = await t.app.inject({ method: 'PATCH', url: '/v1/admin/settings', headers: { ...admin, 'x-request-id': 'req-settings' }, payload: { 'modules.notes.enabled': false, 'audit.retentionDays': 30 } });
    expect(res.statusCode).toBe(200);
    const entries = (await list('?action=settings.changed&target=setting:modules.notes.enabled')).data;
    expect(entries[0]).toMatchObject({ actor: { type: 'service', id: 'admin-token' }, before: { value: true }, after: { value: false }, requestId: 'req-settings' });
    expect((await list('?target=setting:audit.retentionDays')).data[0]).toMatchObject({ before: { value: 365 }, after: { value: 30 } });
    // A refused patch (unknown key) writes nothing, audit included.
    const refused = await t.app.inject({ method: 'PATCH', url: '/v1/admin/settings', headers: admin, payload: { 'modules.notes.enabled': true, nope: 1 } });
    expect(refused.statusCode).toBe(400);
    expect((await list('?target=setting:modules.notes.enabled')).data).toHaveLength(1);
    await t.app.inject({ method: 'PATCH', url: '/v1/admin/settings', headers: admin, payload: { 'modules.notes.enabled': null } });
    expect((await list('?target=setting:modules.notes.enabled')).data[0]).toMatchObject({ before: { value: false }, after: { value: true } });
  });

  it('the retention cron deletes entries older than audit.retentionDays, and only those', async () => {
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    await t.ctx.db.insertInto('neptuno_audit_log').values({ id: '000000000001aaaa000000000000', occurred_at: old, action: 'old.entry', actor_type: 'system' }).execute();
    await t.ctx.audit.record({ action: 'fresh.entry' });
    await t.ctx.settings.update({ 'audit.retentionDays': 30 });
    await runCron(t, 'core.audit-prune');
    expect((await list('?action=old.entry')).data).toHaveLength(0);
    expect((await list('?action=fresh.entry')).data).toHaveLength(1);
  });
});

describe('audit IP modes', () => {
  it('truncates addresses to their network', () => {
    expect(truncateIp('203.0.113.7')).toBe('203.0.113.0');
    expect(truncateIp('::ffff:203.0.113.7')).toBe('203.0.113.0');
    expect(truncateIp('2001:db8:1:2::5')).toBe('2001:db8:1::');
  });
});
