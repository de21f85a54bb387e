import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { defineModule } from './module.js';
import { createTestApp, type TestApp } from '../testing/app.js';
import { targets } from '../testing/targets.js';

const ADMIN = 'admin-token-for-tests-0123456789abcdef';

/** A module exercising what the kernel offers: a table, validated routes, an error, admin routes. */
const notes = defineModule({
  name: 'notes',
  config: Type.Object({ maxLength: Type.Integer({ default: 50 }) }),
  migrations: {
    '0001_notes': {
      async up(db) {
        await db.schema
          .createTable('notes')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('text', 'text', (c) => c.notNull())
          .execute();
      },
    },
  },
  routes: async (app, ctx) => {
    app.post(
      '/',
      {
        schema: {
          body: Type.Object({ id: Type.Integer({ minimum: 1 }), text: Type.String({ minLength: 1, maxLength: ctx.config.maxLength }) }, { additionalProperties: false }),
          response: { 201: Type.Object({ id: Type.Integer(), text: Type.String() }) },
        },
      },
      async (req, reply) => {
        const body = req.body as { id: number; text: string };
        await ctx.db.insertInto('notes').values(body).execute();
        return reply.code(201).send(body);
      },
    );
    app.get('/boom', async () => {
      throw new Error('secret internals: password=hunter2');
    });
    app.get('/:id', { schema: { params: Type.Object({ id: Type.Integer() }) } }, async (req) => {
      const row = await ctx.db.selectFrom('notes').selectAll().where('id', '=', (req.params as { id: number }).id).executeTakeFirst();
      return row ?? { missing: true };
    });
  },
});

describe.each(targets)('kernel HTTP on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ target, modules: [notes], config: { admin: { token: ADMIN } } });
  });
  afterAll(() => t?.close());

  it('answers liveness and readiness with every check named', async () => {
    expect((await t.app.inject('/health/live')).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject('/health/ready');
    expect(ready.statusCode).toBe(200);
    const checks = Object.keys(ready.json().checks);
    expect(checks).toEqual(expect.arrayContaining(['database', 'queue', ...(target.redisUrl ? ['redis'] : [])]));
  });

  it('echoes a well-formed X-Request-ID and replaces a malformed one', async () => {
    const given = await t.app.inject({ url: '/health/live', headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers['x-request-id']).toBe('abc-123');
    const bad = await t.app.inject({ url: '/health/live', headers: { 'x-request-id': 'bad id\n' } });
    expect(bad.headers['x-request-id']).toMatch(/^[\w-]{8}-[0-9a-z]+$/);
    const other = await t.app.inject('/health/live');
    expect(other.headers['x-request-id']).not.toBe(bad.headers['x-request-id']);
  });

  it('answers unknown routes with a 404 problem in the request language', async () => {
    const es = await t.app.inject({ url: '/nope', headers: { 'accept-language': 'es-AR,es;q=0.9' } });
    expect(es.statusCode).toBe(404);
    expect(es.headers['content-type']).toContain('application/problem+json');
    expect(es.json()).toMatchObject({ status: 404, code: 'route_not_found', title: 'Ruta no encontrada' });
    const en = await t.app.inject({ url: '/nope', headers: { 'accept-language': 'en-US,en;q=0.8,es;q=0.5' } });
    expect(en.json().title).toBe('Route not found');
  });

  it('answers a known path with the wrong method with 405 and Allow', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: '/v1/notes/' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toContain('POST');
    expect(res.json().code).toBe('method_not_allowed');
  });

  it('rejects invalid fields with field errors and writes nothing', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/notes/', payload: { id: 0, text: '', extra: 1 } });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe('validation_failed');
    const pointers = body.errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/body/id', '/body/text', '/body/extra']));
    const count = await t.ctx.db.selectFrom('notes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it('applies the module config section (maxLength) to validation', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/notes/', payload: { id: 1, text: 'x'.repeat(51) } });
    expect(res.statusCode).toBe(400);
    const ok = await t.app.inject({ method: 'POST', url: '/v1/notes/', payload: { id: 1, text: 'hola' } });
    expect(ok.statusCode).toBe(201);
  });

  it('answers malformed JSON, wrong media types and oversized bodies with 4xx problems', async () => {
    const malformed = await t.app.inject({ method: 'POST', url: '/v1/notes/', headers: { 'content-type': 'application/json' }, payload: '{"id": 1,' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('malformed_body');
    const media = await t.app.inject({ method: 'POST', url: '/v1/notes/', headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
    expect(media.statusCode).toBe(415);
    expect(media.json().code).toBe('unsupported_media_type');
    const big = await t.app.inject({ method: 'POST', url: '/v1/notes/', payload: { id: 2, text: 'x'.repeat(2_000_000) } });
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe('payload_too_large');
    const param = await t.app.inject('/v1/notes/not-a-number');
    expect(param.statusCode).toBe(400);
    expect(param.json().errors[0].pointer).toBe('/params/id');
  });

  it('turns a handler exception into a 500 problem with the request id and no internals', async () => {
    const res = await t.app.inject({ url: '/v1/notes/boom', headers: { 'x-request-id': 'req-500' } });
    expect(res.statusCode).toBe(500);
    const body = res.json();
    expect(body).toMatchObject({ code: 'internal_error', requestId: 'req-500' });
    expect(res.body).not.toContain('hunter2');
    expect(res.body).not.toContain('at ');
  });

  it('sets security headers', async () => {
    const res = await t.app.inject('/health/live');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['strict-transport-security']).toBeDefined();
  });

  it('guards admin settings with the admin token', async () => {
    expect((await t.app.inject('/v1/admin/settings')).statusCode).toBe(401);
    const wrong = await t.app.inject({ url: '/v1/admin/settings', headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    const ok = await t.app.inject({ url: '/v1/admin/settings', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().data.map((s: { key: string }) => s.key)).toContain('modules.notes.enabled');
  });

  it('rejects unknown settings and wrong types without applying any of the patch', async () => {
    const auth = { authorization: `Bearer ${ADMIN}` };
    const res = await t.app.inject({ method: 'PATCH', url: '/v1/admin/settings', headers: auth, payload: { 'modules.notes.enabled': false, 'no.such': 1 } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].pointer).toBe('/body/no.such');
    const typed = await t.app.inject({ method: 'PATCH', url: '/v1/admin/settings', headers: auth, payload: { 'modules.notes.enabled': 'no' } });
    expect(typed.statusCode).toBe(400);
    expect(t.ctx.settings.get('modules.notes.enabled')).toBe(true);
  });

  it('switches a module off at run time (404 module_disabled) and back on', async () => {
    const auth = { authorization: `Bearer ${ADMIN}` };
    const off = await t.app.inject({ method: 'PATCH', url: '/v1/admin/settings', headers: auth, payload: { 'modules.notes.enabled': false } });
    expect(off.statusCode).toBe(200);
    const res = await t.app.inject('/v1/notes/1');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'module_disabled' });
    await t.app.inject({ method: 'PATCH', url: '/v1/admin/settings', headers: auth, payload: { 'modules.notes.enabled': null } });
    expect((await t.app.inject('/v1/notes/1')).statusCode).toBe(200);
  });

  it('exposes Prometheus metrics by route template', async () => {
    await t.app.inject('/v1/notes/1');
    const res = await t.app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('http_request_duration_seconds_bucket');
    expect(res.body).toContain('route="/v1/notes/:id"');
    expect(res.body).toContain('process_cpu_user_seconds_total');
    expect(res.body).not.toContain('route="/v1/notes/1"');
  });

  it('serves an OpenAPI 3.1 document and the docs UI', async () => {
    const doc = (await t.app.inject('/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health/ready', '/v1/notes', '/v1/admin/settings']));
    const ui = await t.app.inject('/docs/');
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });
});

describe.each(targets.filter((t) => t.redisUrl))('kernel across replicas on %s', (target) => {
  it('a settings change reaches every replica within a second', async () => {
    const a = await createTestApp({ target, modules: [notes], config: { admin: { token: ADMIN } } });
    const b = await createTestApp({ target, modules: [notes], replicaOf: a });
    try {
      expect((await b.app.inject('/v1/notes/1')).statusCode).toBe(200);
      await a.app.inject({ method: 'PATCH', url: '/v1/admin/settings', headers: { authorization: `Bearer ${ADMIN}` }, payload: { 'modules.notes.enabled': false } });
      await expect.poll(async () => (await b.app.inject('/v1/notes/1')).statusCode, { timeout: 1000, interval: 50 }).toBe(404);
    } finally {
      await b.close();
      await a.close();
    }
  });
});

describe.each(targets)('kernel configuration effects on %s', (target) => {
  it('answers CORS preflights only for configured origins, with credentials', async () => {
    const t = await createTestApp({ target, config: { server: { cors: { origins: ['https://landing.example.com'] } } } });
    try {
      const ok = await t.app.inject({
        method: 'OPTIONS',
        url: '/health/live',
        headers: { origin: 'https://landing.example.com', 'access-control-request-method': 'POST' },
      });
      expect(ok.headers['access-control-allow-origin']).toBe('https://landing.example.com');
      expect(ok.headers['access-control-allow-credentials']).toBe('true');
      const other = await t.app.inject({ url: '/health/live', headers: { origin: 'https://evil.example.net' } });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  it('takes the client IP from X-Forwarded-For only behind a trusted proxy', async () => {
    const ipModule = defineModule({
      name: 'ip',
      routes: (app) => {
        app.get('/', async (req) => ({ ip: req.ip }));
      },
    });
    const direct = await createTestApp({ target, modules: [ipModule] });
    const proxied = await createTestApp({ target, modules: [ipModule], config: { server: { trustProxy: '127.0.0.1' } } });
    const hops = await createTestApp({ target, modules: [ipModule], config: { server: { trustProxy: 1 } } });
    try {
      const headers = { 'x-forwarded-for': '203.0.113.7' };
      expect((await direct.app.inject({ url: '/v1/ip/', headers, remoteAddress: '127.0.0.1' })).json().ip).toBe('127.0.0.1');
      expect((await proxied.app.inject({ url: '/v1/ip/', headers, remoteAddress: '127.0.0.1' })).json().ip).toBe('203.0.113.7');
      // A forged header from an untrusted peer is ignored.
      expect((await proxied.app.inject({ url: '/v1/ip/', headers, remoteAddress: '198.51.100.1' })).json().ip).toBe('198.51.100.1');
      // A hop count (deploy/: TRUST_PROXY=1) trusts that many hops from a proxy on a private or
      // loopback address, never a client on the internet sending the header itself.
      const ip = async (remoteAddress: string, xff: string) =>
        (await hops.app.inject({ url: '/v1/ip/', headers: { 'x-forwarded-for': xff }, remoteAddress })).json().ip;
      expect(await ip('127.0.0.1', '203.0.113.7')).toBe('203.0.113.7');
      expect(await ip('10.1.2.3', '198.51.100.9, 203.0.113.7')).toBe('203.0.113.7');
      expect(await ip('::ffff:172.18.0.5', '203.0.113.7')).toBe('203.0.113.7');
      expect(await ip('fd00::5', '203.0.113.7')).toBe('203.0.113.7');
      expect(await ip('198.51.100.1', '203.0.113.7')).toBe('198.51.100.1');
    } finally {
      await direct.close();
      await proxied.close();
      await hops.close();
    }
  });

  it('honours the body limit from config', async () => {
    const t = await createTestApp({ target, modules: [notes], config: { server: { bodyLimit: 2048 } } });
    try {
      const res = await t.app.inject({ method: 'POST', url: '/v1/notes/', payload: { id: 1, text: 'x'.repeat(3000) } });
      expect(res.statusCode).toBe(413);
    } finally {
      await t.close();
    }
  });

  it('refuses to start when an enabled module needs a disabled one', async () => {
    const needsNotes = defineModule({ name: 'reports', dependsOn: ['notes'] });
    await expect(createTestApp({ target, modules: [notes, needsNotes], config: { modules: { notes: { enabled: false } } } })).rejects.toThrow(
      /"reports" depends on "notes", which is disabled/,
    );
  });

  it('runs jobs and counts them in /metrics', async () => {
    let runs = 0;
    const worker = defineModule({
      name: 'worker',
      jobs: {
        tick: async () => {
          runs++;
        },
      },
    });
    const t = await createTestApp({ target, modules: [worker], workers: true });
    try {
      await t.ctx.enqueue('worker.tick', {});
      await expect.poll(() => runs, { timeout: 5000 }).toBe(1);
      await expect.poll(async () => (await t.app.inject('/metrics')).body, { timeout: 5000 }).toContain('neptuno_jobs_completed_total{name="worker.tick"} 1');
    } finally {
      await t.close();
    }
  });
});

describe.each(targets)('readiness on %s', (target) => {
  it('answers 503 naming the failing check when the database is gone', async () => {
    const t = await createTestApp({ target });
    try {
      await t.ctx.database.destroy();
      const res = await t.app.inject('/health/ready');
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const body = res.json();
      expect(body.code).toBe('not_ready');
      expect(body.checks.database).toMatch(/^fail/);
      expect(body.detail).toContain('database');
      expect((await t.app.inject('/health/live')).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});
