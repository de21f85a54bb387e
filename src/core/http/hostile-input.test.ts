import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { sql } from 'kysely';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { builtinModules } from '../../modules/index.js';
import { CookieJar, TEST_ORIGIN, TEST_PASSWORD, uniqueEmail } from '../../modules/auth/test-helpers.js';
import { TABLES } from '../../modules/auth/schema.js';
import guestbook from '../../../examples/guestbook/module.js';
import { FakeMercadoPago } from '../../modules/payments/testing/index.js';
import {
  forgedCredentials,
  forgedCursors,
  hostileHeaders,
  hostileJsonValues,
  hostileRawBodies,
  hostileUrlValues,
  RAW_INFINITY,
  rng,
  validValue,
  type Schema,
} from './hostile-input.fixture.js';

/**
 * The guard against 5xx on hostile input. It reads the app's own /openapi.json (every shipped
 * module plus the guestbook example), so a route added later joins automatically, and sends
 * each operation malformed, hostile and boundary values in its path, query, body, headers and
 * credentials, as each kind of caller. Any 5xx fails; every 4xx must be problem+json.
 * Deterministic: one seed (NEPTUNO_FUZZ_SEED overrides it to explore), and a bounded number of
 * cases per operation so the run stays short as routes are added.
 */
const SEED = Number(process.env.NEPTUNO_FUZZ_SEED ?? 20_261_129);
const CASES_PER_OPERATION = Number(process.env.NEPTUNO_FUZZ_CASES ?? 100);
const ADMIN_TOKEN = 'admin-token-for-hostile-input-0123456789';
/** Set-up traffic comes from another address than the hostile traffic, whose rate limits it must not share. */
const SETUP_IP = '10.9.9.9';
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface Operation {
  method: string;
  path: string;
  params: Array<{ in: string; name: string; required?: boolean; schema?: Schema }>;
  body?: Schema;
}

interface Case {
  label: string;
  path?: Record<string, string>;
  query?: Record<string, string | string[]>;
  /** Raw query string appended as is (already encoded). */
  rawQuery?: string;
  body?: unknown;
  raw?: { type: string; body: string | Buffer };
  headers?: Record<string, string>;
  /** Replaces the actor's credentials. */
  credentials?: Record<string, string>;
}

type Actor = { name: string; headers: () => Record<string, string>; alive?: () => Promise<boolean>; renew?: () => Promise<void> };

function operationsOf(doc: { paths: Record<string, Record<string, Schema>> }): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      out.push({ method: method.toUpperCase(), path, params: op.parameters ?? [], body: op.requestBody?.content?.['application/json']?.schema });
    }
  }
  // Paths nobody declared: better-auth's namespace and the rest of /v1.
  for (const path of ['/v1/auth/does-not-exist', '/v1/auth/sign-in/does-not-exist', '/v1/no-such-module']) {
    for (const method of ['GET', 'POST']) out.push({ method, path, params: [], body: { type: 'object', properties: { a: {} } } });
  }
  return out;
}

function casesOf(op: Operation, r: ReturnType<typeof rng>): Case[] {
  const cases: Case[] = [];
  const pathParams = op.params.filter((p) => p.in === 'path');
  const queryParams = op.params.filter((p) => p.in === 'query');
  for (const p of pathParams) for (const v of hostileUrlValues) cases.push({ label: `path ${p.name}=${v.slice(0, 40)}`, path: { [p.name]: v } });
  for (const p of queryParams) {
    const values = p.name === 'cursor' ? [...forgedCursors, ...hostileUrlValues] : hostileUrlValues;
    for (const v of values) cases.push({ label: `query ${p.name}=${v.slice(0, 40)}`, rawQuery: `${encodeURIComponent(p.name)}=${v}` });
    cases.push({ label: `query ${p.name} twice`, rawQuery: `${p.name}=1&${p.name}=2` });
    cases.push({ label: `query ${p.name}[a]`, rawQuery: `${p.name}[a]=1&${p.name}[__proto__]=1` });
  }
  cases.push({ label: 'query with NUL in an unknown key', rawQuery: 'x%00=1&__proto__=1&constructor=1' });
  const hasBody = op.method !== 'GET';
  if (hasBody) {
    const props = Object.keys(op.body?.properties ?? {});
    for (const key of props) {
      for (const v of hostileJsonValues) cases.push({ label: `body.${key}=${JSON.stringify(v)?.slice(0, 40)}`, body: { [key]: v } });
      // Deep nesting inside a field, below the body's top level.
      cases.push({ label: `body.${key} nested 2000 deep`, raw: { type: 'application/json', body: `{"${key}":${'['.repeat(2000)}${']'.repeat(2000)}}` } });
    }
    for (const raw of hostileRawBodies) cases.push({ label: `raw ${raw.type} ${String(raw.body).slice(0, 30)}`, raw });
  } else {
    cases.push({ label: 'GET with a deep JSON body', raw: hostileRawBodies[0] });
  }
  for (const h of hostileHeaders) cases.push({ label: `header ${JSON.stringify(h).slice(0, 60)}`, headers: h });
  for (const c of forgedCredentials) cases.push({ label: `credentials ${JSON.stringify(c).slice(0, 60)}`, credentials: c });
  return cases.length > CASES_PER_OPERATION ? r.sample(cases, CASES_PER_OPERATION) : cases;
}

/** The request for a case: valid values everywhere except where the case puts its hostile one. */
function requestOf(op: Operation, c: Case, actor: Actor, names: { session: string; guest: string }): InjectOptions {
  let url = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    if (c.path && name in c.path) return c.path[name];
    const p = op.params.find((x) => x.in === 'path' && x.name === name);
    return encodeURIComponent(String(validValue(p?.schema)));
  });
  const query: string[] = [];
  for (const p of op.params.filter((x) => x.in === 'query' && x.required)) {
    if (c.rawQuery?.startsWith(`${p.name}=`)) continue;
    query.push(`${p.name}=${encodeURIComponent(String(validValue(p.schema)))}`);
  }
  if (c.rawQuery) query.push(c.rawQuery);
  if (query.length) url += `?${query.join('&')}`;

  const credentials = c.credentials
    ? Object.fromEntries(Object.entries(c.credentials).map(([k, v]) => [k, v.replaceAll('{session}', names.session).replaceAll('{guest}', names.guest)]))
    : actor.headers();
  const headers: Record<string, string> = { origin: TEST_ORIGIN, ...credentials, ...c.headers };
  const req: InjectOptions = { method: op.method as InjectOptions['method'], url, headers };
  if (c.raw) {
    headers['content-type'] = c.raw.type;
    req.payload = c.raw.body;
  } else if (op.method !== 'GET') {
    const body = c.body !== undefined ? { ...(validValue(op.body) as object), ...(c.body as object) } : validValue(op.body);
    if (body !== undefined) {
      headers['content-type'] ??= 'application/json';
      req.payload = JSON.stringify(body).replaceAll(`"${RAW_INFINITY}"`, '1e309');
    }
  }
  return req;
}

describe.each(targets)('hostile input on %s', (target) => {
  let t: TestApp;
  const actors: Actor[] = [];
  const names = { session: '', guest: '' };

  const setup = (opts: InjectOptions) => t.app.inject({ ...opts, remoteAddress: SETUP_IP } as InjectOptions);
  const whoami = async (headers: Record<string, string>) => (await setup({ url: '/v1/public/whoami', headers })).json().kind as string;

  /** A fresh user with a session; role 'admin' when asked. */
  async function user(role?: 'admin') {
    const email = uniqueEmail('fuzz');
    const up = await setup({ method: 'POST', url: '/v1/auth/sign-up/email', headers: { origin: TEST_ORIGIN }, payload: { email, password: TEST_PASSWORD, name: 'Fuzz' } });
    if (up.statusCode !== 200) throw new Error(`sign-up: ${up.statusCode} ${up.body}`);
    if (role) await sql`update ${sql.table(TABLES.users)} set role = ${role} where email = ${email}`.execute(t.ctx.db);
    const res = await setup({ method: 'POST', url: '/v1/auth/sign-in/email', headers: { origin: TEST_ORIGIN }, payload: { email, password: TEST_PASSWORD } });
    if (res.statusCode !== 200) throw new Error(`sign-in: ${res.statusCode} ${res.body}`);
    const jar = new CookieJar().store(res);
    names.session = jar.names().find((n) => n.includes('session_token')) ?? names.session;
    return { cookie: jar.header(), token: String(res.headers['set-auth-token']) };
  }

  /** An actor whose credentials are made again when a hostile request ended them (sign-out, account deletion…). */
  function renewable(name: string, make: () => Promise<Record<string, string>>): Actor {
    let headers: Record<string, string> = {};
    const actor: Actor = {
      name,
      headers: () => headers,
      alive: async () => (await whoami(headers)) !== 'anonymous',
      renew: async () => {
        headers = await make();
      },
    };
    return actor;
  }

  // Payments with a provider, so its webhook, checkout and refund routes run their real paths.
  let mercadoPago: FakeMercadoPago | undefined;

  beforeAll(async () => {
    mercadoPago = await FakeMercadoPago.start();
    t = await createTestApp({
      target,
      modules: [...builtinModules, guestbook],
      config: { admin: { token: ADMIN_TOKEN }, server: { trustProxy: false }, modules: { payments: { providers: { mercadopago: mercadoPago.config } } } },
    });
    const guest = await setup({ method: 'POST', url: '/v1/public/guest', payload: {} });
    const guestJar = new CookieJar().store(guest);
    names.guest = guestJar.names()[0];
    actors.push(
      { name: 'anonymous', headers: () => ({}) },
      renewable('guest', async () => ({ cookie: new CookieJar().store(await setup({ method: 'POST', url: '/v1/public/guest', payload: {} })).header() })),
      renewable('user session', async () => ({ cookie: (await user()).cookie })),
      renewable('user bearer', async () => ({ authorization: `Bearer ${(await user()).token}` })),
      renewable('api key', async () => {
        const u = await user();
        const key = await setup({ method: 'POST', url: '/v1/api-keys', headers: { cookie: u.cookie, origin: TEST_ORIGIN }, payload: { name: 'fuzz' } });
        return { 'x-api-key': key.json().secret };
      }),
      { name: 'admin token', headers: () => ({ authorization: `Bearer ${ADMIN_TOKEN}` }) },
      renewable('admin user', async () => ({ cookie: (await user('admin')).cookie })),
    );
    for (const a of actors) await a.renew?.();
    for (const a of actors) if (a.alive) expect(await a.alive(), a.name).toBe(true);
  });
  afterAll(async () => {
    await t?.close();
    await mercadoPago?.close();
  });

  it('answers every operation of the OpenAPI document without a 5xx, and every 4xx as problem+json', async () => {
    const doc = (await setup({ url: '/openapi.json' })).json();
    const operations = operationsOf(doc);
    expect(operations.length).toBeGreaterThan(50);
    const r = rng(SEED);
    const failures: string[] = [];
    let sent = 0;
    const started = Date.now();
    for (const [i, op] of operations.entries()) {
      const cases = casesOf(op, r);
      // Every actor sends the valid request once; the hostile cases rotate through the actors.
      const all = [...actors.map((a) => ({ actor: a, c: { label: 'valid' } as Case })), ...cases.map((c, j) => ({ actor: actors[(i + j) % actors.length], c }))];
      for (const { actor, c } of all) {
        const req = requestOf(op, c, actor, names);
        let res;
        try {
          res = await t.app.inject(req);
        } catch (err) {
          // A request no HTTP client could send (light-my-request refuses it): nothing to test.
          if (err instanceof TypeError || (err as { code?: string }).code === 'ERR_INVALID_CHAR') continue;
          throw err;
        }
        sent++;
        const where = `${op.method} ${op.path} [${actor.name}] ${c.label}`;
        if (res.statusCode >= 500) failures.push(`${where}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        else if (res.statusCode >= 400 && !String(res.headers['content-type']).startsWith('application/problem+json')) {
          failures.push(`${where}: ${res.statusCode} as ${res.headers['content-type']}`);
        }
      }
      for (const a of actors) if (a.alive && !(await a.alive())) await a.renew!();
      if (process.env.NEPTUNO_FUZZ_VERBOSE) console.log(`${op.method} ${op.path}: ${all.length} cases, ${Date.now() - started} ms so far`);
    }
    if (process.env.NEPTUNO_FUZZ_VERBOSE) console.log(`FAILURES\n${failures.join('\n')}`);
    expect(sent).toBeGreaterThan(operations.length * 20);
    expect(failures).toEqual([]);
    expect((await setup({ url: '/health/live' })).statusCode).toBe(200);
  }, 300_000);
});
