import { fastifyCookie, Signer, type CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../module.js';

/**
 * @fastify/cookie's API (request.cookies, reply.setCookie / cookie / clearCookie, signCookie /
 * unsignCookie, app.parseCookie / serializeCookie) without its hooks. The plugin parses the
 * Cookie header in an onRequest hook and runs an onSend hook on every reply, whether or not the
 * route reads or sets a cookie (~1–2 µs of every request, docs/performance.md). Here
 * `request.cookies` is parsed on first read and remembered for the request, and `setCookie`
 * serializes at once into a Set-Cookie header (Fastify appends repeated Set-Cookie values), so a
 * request that touches no cookie pays nothing.
 */
const PARSED = Symbol('neptuno.cookies');
const { parse, serialize } = fastifyCookie;
type WithParsed = FastifyRequest & { [PARSED]?: Record<string, string | undefined> };

export function installCookies(app: App, secret: string): void {
  const signer = new Signer(secret, 'sha256');
  const sign = (value: string) => signer.sign(value);
  const unsign = (value: string) => signer.unsign(value);
  app.decorate('parseCookie', (header: string) => parse(header));
  app.decorate('serializeCookie', serialize);
  app.decorate('signCookie', sign);
  app.decorate('unsignCookie', unsign);
  app.decorateRequest('signCookie', sign);
  app.decorateRequest('unsignCookie', unsign);
  app.decorateReply('signCookie', sign);
  app.decorateReply('unsignCookie', unsign);

  app.decorateRequest('cookies', {
    getter(this: WithParsed) {
      let parsed = this[PARSED];
      if (parsed === undefined) {
        const header = this.headers.cookie;
        parsed = header ? parse(header) : {};
        this[PARSED] = parsed;
      }
      return parsed;
    },
  } as never);

  function setCookie(this: FastifyReply, name: string, value: string, options?: CookieSerializeOptions) {
    const { signed, secure, ...rest } = { sameSite: 'lax' as const, ...options };
    const opts = { ...rest, secure: secure === 'auto' ? this.request.protocol === 'https' : secure };
    return this.header('set-cookie', serialize(name, signed ? sign(value) : value, opts));
  }
  app.decorateReply('setCookie', setCookie);
  app.decorateReply('cookie', setCookie);
  app.decorateReply('clearCookie', function (this: FastifyReply, name: string, options?: CookieSerializeOptions) {
    return setCookie.call(this, name, '', { path: '/', ...options, expires: new Date(0), maxAge: 0, signed: false });
  });
}
