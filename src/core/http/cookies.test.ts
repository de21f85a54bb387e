import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { App } from '../module.js';
import { installCookies } from './cookies.js';

describe('cookies without hooks', () => {
  const build = () => {
    const app = Fastify();
    installCookies(app as unknown as App, 'a-secret-of-enough-length-for-tests');
    app.get('/read', async (request) => ({ cookies: request.cookies, again: request.cookies === request.cookies }));
    app.get('/set', async (_request, reply) => {
      reply.setCookie('a', '1', { httpOnly: true, path: '/' }).setCookie('b', 'two', { signed: true }).clearCookie('c');
      return { ok: true };
    });
    return app;
  };

  it('parses the Cookie header on first read, once per request, and {} without one', async () => {
    const app = build();
    const res = await app.inject({ url: '/read', headers: { cookie: 'x=1; y=%C3%B1' } });
    expect(res.json()).toEqual({ cookies: { x: '1', y: 'ñ' }, again: true });
    expect((await app.inject({ url: '/read' })).json()).toEqual({ cookies: {}, again: true });
    await app.close();
  });

  it('sets, signs and clears cookies as separate Set-Cookie headers', async () => {
    const app = build();
    const res = await app.inject({ url: '/set' });
    const set = res.headers['set-cookie'] as string[];
    expect(set).toHaveLength(3);
    expect(set[0]).toBe('a=1; Path=/; HttpOnly; SameSite=Lax');
    const signed = decodeURIComponent(set[1].split(';')[0].slice(2));
    expect(app.unsignCookie(signed)).toEqual({ valid: true, renew: false, value: 'two' });
    expect(set[2]).toMatch(/^c=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax$/);
    await app.close();
  });
});
