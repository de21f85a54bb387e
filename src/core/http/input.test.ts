import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { defineModule } from '../module.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { jsonTooDeep, MAX_BODY_DEPTH } from './input.js';

/** Echoes what passed the kernel's input rules, and stores text the way modules do. */
const probe = defineModule({
  name: 'probe',
  migrations: {
    '001_probe': {
      up: async (db) => {
        await db.schema.createTable('probe_texts').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('value', 'text').execute();
      },
    },
  },
  routes: async (app, ctx) => {
    app.post('/echo', { schema: { body: Type.Object({ value: Type.Unknown() }) } }, async (request) => request.body);
    app.get('/texts/:id', { schema: { params: Type.Object({ id: Type.String() }), querystring: Type.Object({ q: Type.Optional(Type.String()) }) } }, async (request) => {
      const { id } = request.params as { id: string };
      const row = await ctx.db.selectFrom('probe_texts' as never).selectAll().where('id' as never, '=', id as never).executeTakeFirst();
      return { id, found: !!row, q: (request.query as { q?: string }).q ?? null };
    });
    app.get('/top', { schema: { querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })), ratio: Type.Optional(Type.Number()) }) } }, async (request) => request.query);
    app.post('/count', { schema: { body: Type.Object({ n: Type.Integer({ minimum: 0, maximum: 100 }) }) } }, async (request) => request.body);
    app.post('/texts', { schema: { body: Type.Object({ id: Type.String(), value: Type.String() }) } }, async (request) => {
      await ctx.db.insertInto('probe_texts' as never).values(request.body as never).execute();
      return { ok: true };
    });
  },
});

describe('jsonTooDeep', () => {
  it('counts nesting outside strings only', () => {
    expect(jsonTooDeep('[[[1]]]', 3)).toBe(false);
    expect(jsonTooDeep('[[[[1]]]]', 3)).toBe(true);
    expect(jsonTooDeep('{"a":"[[[[[[","b":"\\"[[[["}', 1)).toBe(false);
    expect(jsonTooDeep('[1],[2],[3],[4]', 1)).toBe(false);
  });
});

describe.each(targets)('kernel input rules on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ target, modules: [probe] });
  });
  afterAll(() => t?.close());

  const post = (url: string, payload: string) =>
    t.app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', 'accept-language': 'en' } });

  it(`refuses a JSON body nested deeper than ${MAX_BODY_DEPTH} levels before parsing it`, async () => {
    for (const body of ['['.repeat(10_000) + ']'.repeat(10_000), `{"value":${'{"a":'.repeat(MAX_BODY_DEPTH)}1${'}'.repeat(MAX_BODY_DEPTH)}}`]) {
      const res = await post('/v1/probe/echo', body);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ code: 'body_too_deep', title: 'Body nested too deeply' });
    }
    const ok = `{"value":${'['.repeat(MAX_BODY_DEPTH - 1)}${']'.repeat(MAX_BODY_DEPTH - 1)}}`;
    expect((await post('/v1/probe/echo', ok)).statusCode).toBe(200);
  });

  it('refuses NUL and lone surrogates anywhere in a JSON body, keys included, pointing at the field', async () => {
    const cases: Array<[string, string, string]> = [
      ['{"id":"a","value":"x\\u0000y"}', '/body/value', 'nul_character'],
      ['{"id":"a","value":"\\ud800"}', '/body/value', 'invalid_unicode'],
      ['{"value":{"list":["ok","\\udfff"]}}', '/body/value/list/1', 'invalid_unicode'],
      ['{"value":{"k\\u0000":1}}', '/body/value/k\u0000', 'nul_character'],
    ];
    for (const [body, pointer, code] of cases) {
      const res = await post(body.includes('"id"') ? '/v1/probe/texts' : '/v1/probe/echo', body);
      expect(res.statusCode, body).toBe(400);
      expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [{ pointer, code }] });
    }
    // A real surrogate pair (an emoji) is valid text, and is stored as it came.
    expect((await post('/v1/probe/texts', '{"id":"e","value":"\\ud83e\\udd84"}')).json()).toEqual({ ok: true });
    const count = await t.ctx.db.selectFrom('probe_texts' as never).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number((count as { n: unknown }).n)).toBe(1);
  });

  it('refuses NUL in path parameters and query values on both databases alike', async () => {
    const inPath = await t.app.inject({ url: '/v1/probe/texts/a%00b' });
    expect(inPath.statusCode).toBe(400);
    expect(inPath.json()).toMatchObject({ code: 'validation_failed', errors: [{ pointer: '/params/id', code: 'nul_character' }] });
    const inQuery = await t.app.inject({ url: '/v1/probe/texts/a?q=%00' });
    expect(inQuery.json()).toMatchObject({ code: 'validation_failed', errors: [{ pointer: '/querystring/q', code: 'nul_character' }] });
    expect((await t.app.inject({ url: '/v1/probe/texts/a?q=%F0%9F%A6%84' })).json()).toEqual({ id: 'a', found: false, q: '🦄' });
  });

  it('refuses numbers that are not finite: Ajv coerces "1e309" to Infinity and then skips minimum/maximum', async () => {
    for (const [q, pointer] of [['limit=1e309', '/querystring/limit'], ['limit=-1e309', '/querystring/limit'], ['ratio=Infinity', '/querystring/ratio']]) {
      const res = await t.app.inject({ url: `/v1/probe/top?${q}` });
      expect(res.statusCode, q).toBe(400);
      expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [{ pointer, code: 'finite' }] });
    }
    expect((await t.app.inject({ url: '/v1/probe/top?limit=100&ratio=0.5' })).json()).toEqual({ limit: 100, ratio: 0.5 });
    const body = await post('/v1/probe/echo', '{"value":[1,-1e309]}');
    expect(body.json()).toMatchObject({ code: 'validation_failed', errors: [{ pointer: '/body/value/1', code: 'finite' }] });
    // A string the validator coerces into a number: Infinity again, after parsing.
    const coerced = await post('/v1/probe/count', '{"n":"1e309"}');
    expect(coerced.json()).toMatchObject({ code: 'validation_failed', errors: [{ pointer: '/body/n', code: 'finite' }] });
    expect((await post('/v1/probe/count', '{"n":"12"}')).json()).toEqual({ n: 12 });
  });

  it('answers a path that is not valid percent-encoding, or too long, with problem+json', async () => {
    const bad = await t.app.inject({ url: '/v1/probe/texts/%ED%A0%80', headers: { 'accept-language': 'es' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bad.json()).toMatchObject({ code: 'malformed_url', title: 'URL mal formada' });
    const long = await t.app.inject({ url: `/v1/probe/texts/${'x'.repeat(5000)}` });
    expect(long.statusCode).toBe(414);
    expect(long.json()).toMatchObject({ code: 'uri_too_long' });
  });
});
