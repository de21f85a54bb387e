import { createHmac, hkdfSync } from 'node:crypto';
import { safeEqual } from '../../core/crypto.js';
import type { FastifyReply } from 'fastify';

/**
 * The guest cookie: `v1.<guestId>.<HMAC-SHA256(key, "v1.<guestId>")>` in base64url. The key is
 * derived from the application secret with HKDF so no other feature signing with the same
 * secret can produce a valid guest cookie.
 */
export class GuestCookie {
  readonly name: string;
  private readonly key: Buffer;
  private readonly secure: boolean;
  private readonly maxAgeSeconds: number;

  constructor(secret: string, opts: { development: boolean; maxAgeDays: number }) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'neptuno', 'guests/cookie/v1', 32));
    this.secure = !opts.development;
    // __Host- makes the browser refuse the cookie unless Secure, Path=/ and no Domain: it cannot
    // be planted by a sibling subdomain. Plain HTTP in development cannot use it.
    this.name = opts.development ? 'neptuno_guest' : '__Host-neptuno_guest';
    this.maxAgeSeconds = opts.maxAgeDays * 86_400;
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.key).update(payload).digest();
  }

  sign(guestId: string): string {
    const payload = `v1.${guestId}`;
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  /** The guest id inside a cookie value, or null when malformed or forged. */
  verify(value: string): string | null {
    const last = value.lastIndexOf('.');
    if (last < 0 || !value.startsWith('v1.')) return null;
    const payload = value.slice(0, last);
    const given = Buffer.from(value.slice(last + 1), 'base64url');
    const expected = this.mac(payload);
    if (!safeEqual(given, expected)) return null;
    const id = payload.slice(3);
    return id.length > 0 ? id : null;
  }

  /** Reads this cookie from a raw Cookie header without needing @fastify/cookie. */
  fromHeader(header: string | undefined): string | null {
    for (const value of this.rawValues(header)) {
      const id = this.verify(value);
      if (id) return id;
    }
    return null;
  }

  /** The (unverified) values of this cookie in a Cookie header, in order. */
  rawValues(header: string | undefined): string[] {
    const out: string[] = [];
    // Cheap exit for the common header without a guest cookie.
    if (!header || !header.includes(this.name)) return out;
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0 || part.slice(0, eq).trim() !== this.name) continue;
      let value = part.slice(eq + 1).trim();
      if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      out.push(value);
    }
    return out;
  }

  serialize(guestId: string): string {
    const attrs = [`${this.name}=${this.sign(guestId)}`, 'Path=/', `Max-Age=${this.maxAgeSeconds}`, 'HttpOnly', 'SameSite=Lax'];
    if (this.secure) attrs.push('Secure');
    return attrs.join('; ');
  }

  /** Adds the cookie to the reply, keeping Set-Cookie headers other code already added. */
  set(reply: FastifyReply, guestId: string): void {
    appendSetCookie(reply, this.serialize(guestId));
  }
}

export function appendSetCookie(reply: FastifyReply, cookie: string): void {
  const current = reply.getHeader('set-cookie');
  const list = current === undefined ? [] : Array.isArray(current) ? current.map(String) : [String(current)];
  reply.header('set-cookie', [...list, cookie]);
}
