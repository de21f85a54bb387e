import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { LightMyRequestResponse } from 'fastify';
import type { App } from '../../core/module.js';

/**
 * Test helpers for anything behind a signed-in user: a cookie jar over app.inject, sign-up /
 * sign-in shortcuts, and a real SMTP server that captures what the app sends.
 */

export const TEST_ORIGIN = 'http://localhost:8000'; // server.publicUrl's default
export const TEST_PASSWORD = 'correct horse battery staple';

/** Cookies from Set-Cookie headers, replayed as a Cookie header. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(res: LightMyRequestResponse): this {
    const raw = res.headers['set-cookie'];
    const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    for (const line of list) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return this;
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  names(): string[] {
    return [...this.cookies.keys()];
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  clone(): CookieJar {
    const copy = new CookieJar();
    for (const [k, v] of this.cookies) copy.cookies.set(k, v);
    return copy;
  }
}

export interface Credentials {
  email: string;
  password?: string;
  name?: string;
}

let counter = 0;
/** A fresh address per call, so tests never collide on the unique email. */
export const uniqueEmail = (label = 'user') => `${label}.${process.pid}.${Date.now().toString(36)}.${counter++}@example.com`;

export async function signUp(app: App, c: Credentials): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/v1/auth/sign-up/email',
    headers: { origin: TEST_ORIGIN },
    payload: { email: c.email, password: c.password ?? TEST_PASSWORD, name: c.name ?? 'Test User' },
  });
}

export interface SignedIn {
  jar: CookieJar;
  /** Cookie header value for app.inject. */
  cookie: string;
  /** Session token for Authorization: Bearer. */
  token: string;
  userId: string;
}

/** Signs in (the account must exist) and returns the cookie jar and bearer token. */
export async function signIn(app: App, c: Credentials, jar = new CookieJar()): Promise<SignedIn> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/auth/sign-in/email',
    headers: { origin: TEST_ORIGIN, ...(jar.header() ? { cookie: jar.header() } : {}) },
    payload: { email: c.email, password: c.password ?? TEST_PASSWORD },
  });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  jar.store(res);
  const body = res.json() as { token: string; user: { id: string } };
  return { jar, cookie: jar.header(), token: res.headers['set-auth-token'] as string, userId: body.user.id };
}

/** Sign-up then sign-in: a user with a live session. */
export async function signUpAndIn(app: App, c: Partial<Credentials> = {}): Promise<SignedIn & { email: string }> {
  const email = c.email ?? uniqueEmail();
  const res = await signUp(app, { ...c, email });
  if (res.statusCode !== 200) throw new Error(`sign-up failed: ${res.statusCode} ${res.body}`);
  return { ...(await signIn(app, { ...c, email })), email };
}

export interface CapturedMail {
  from: string;
  to: string[];
  raw: string;
  /** Decoded body (quoted-printable undone). */
  text: string;
  /** The first http(s) link in the body. */
  link: string | null;
}

function decodeQuotedPrintable(input: string): string {
  const bytes: number[] = [];
  const soft = input.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i++) {
    const ch = soft[i];
    if (ch === '=' && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(ch, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A real SMTP server on a random local port that keeps every message it receives. */
export async function startTestSmtp() {
  const messages: CapturedMail[] = [];
  const waiters: Array<() => void> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const split = raw.indexOf('\r\n\r\n');
        const head = raw.slice(0, split);
        const bodyPart = raw.slice(split + 4);
        const text = /content-transfer-encoding:\s*quoted-printable/i.test(head)
          ? decodeQuotedPrintable(bodyPart)
          : /content-transfer-encoding:\s*base64/i.test(head)
            ? Buffer.from(bodyPart.replace(/\s+/g, ''), 'base64').toString('utf8')
            : bodyPart;
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          text,
          link: /https?:\/\/[^\s"<>]+/.exec(text)?.[0] ?? null,
        });
        for (const w of waiters.splice(0)) w();
        callback();
      });
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    /** Resolves with the first message to `to` whose decoded body (or raw source) matches, waiting for it. */
    async waitFor(to: string, match?: RegExp, timeoutMs = 10_000): Promise<CapturedMail> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find((m) => m.to.includes(to) && (!match || match.test(m.text) || match.test(m.raw)));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no email to ${to} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 200);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type TestSmtp = Awaited<ReturnType<typeof startTestSmtp>>;
