import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestApp, type TestApp } from '../../../src/testing/app.js';
import { targets } from '../../../src/testing/targets.js';
import { waitFor } from '../../../src/testing/wait.js';
import { builtinModules } from '../../../src/modules/index.js';
import { createNeptuno, NeptunoError, type Neptuno, type RealtimeMessage, type WebSocketConstructor } from '../src/index.js';

const ADMIN_TOKEN = 'sdk-admin-token-sdk-admin-token-0123456789';
const PAGE = 'http://127.0.0.1:5173';

/**
 * What a browser does with cookies, for Node: keeps Set-Cookie answers and sends them back, and
 * sends the page's Origin (a browser always does on a POST). The SDK itself adds nothing.
 */
function browserLikeFetch() {
  const jar = new Map<string, string>();
  const fetchWithCookies = async (request: Request): Promise<Response> => {
    const headers = new Headers(request.headers);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    if (request.method !== 'GET') headers.set('origin', PAGE);
    const response = await fetch(new Request(request, { headers }));
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return response;
  };
  return { fetch: fetchWithCookies as typeof fetch, cookie: () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ') };
}

describe.each(targets)('neptuno-client against a running Neptuno on $name', { timeout: 60_000 }, (target) => {
  let t: TestApp;
  let baseUrl: string;
  let admin: Neptuno;

  beforeAll(async () => {
    t = await createTestApp({
      target,
      modules: builtinModules,
      config: { admin: { token: ADMIN_TOKEN }, server: { host: '127.0.0.1', port: 0, cors: { origins: [PAGE] } }, modules: { auth: { trustedOrigins: [PAGE] } } },
    });
    baseUrl = await t.neptuno.listen();
    admin = createNeptuno({ baseUrl, token: ADMIN_TOKEN });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('plays as a guest, signs up and in, and keeps the session in the cookie', async () => {
    const browser = browserLikeFetch();
    const neptuno = createNeptuno({ baseUrl, locale: 'en', fetch: browser.fetch });
    const guest = await neptuno.guest();
    expect(guest).toMatchObject({ id: expect.any(String), displayName: expect.stringMatching(/^Guest /) });
    expect(await neptuno.auth.session()).toBeNull();

    const email = `sdk.${target.name}.${Date.now()}@example.com`;
    const { user, signedIn } = await neptuno.auth.signUpAndIn({ email, password: 'mareas-y-caracolas-42', name: 'Ana' });
    expect(signedIn).toBe(true);
    expect((await neptuno.auth.session())?.id).toBe(user.id);
    const { data: me } = await neptuno.api.GET('/v1/profile');
    expect(me).toMatchObject({ id: user.id, email });
    await neptuno.auth.signOut();
    expect(await neptuno.auth.session()).toBeNull();
  });

  it('throws problems as NeptunoError with the code, the language asked for and field errors', async () => {
    const neptuno = createNeptuno({ baseUrl, locale: 'es' });
    const unauthorized = await neptuno.api.GET('/v1/profile').catch((e: unknown) => e);
    expect(unauthorized).toBeInstanceOf(NeptunoError);
    expect(unauthorized).toMatchObject({ status: 401, code: 'authentication_required', title: 'Autenticación requerida' });

    const invalid = (await admin.api
      .POST('/v1/admin/wallet/adjustments', { body: { owner: { userId: 'x' }, amount: 0, reason: '' } })
      .catch((e: unknown) => e)) as NeptunoError;
    expect(invalid.status).toBe(400);
    expect(Object.keys(invalid.fieldErrors())).toEqual(expect.arrayContaining(['amount', 'reason']));

    const offline = createNeptuno({ baseUrl: 'http://127.0.0.1:9' });
    expect(await offline.api.GET('/v1/profile').catch((e: unknown) => e)).toMatchObject({ status: 0, code: 'network_error', retryable: true });
  });

  it('adjusts credits once however often a retry repeats the call, and pages through every transfer', async () => {
    const { id: userId } = await t.ctx.services.auth!.createUser({ email: `sdk.credits.${target.name}.${Date.now()}@example.com`, password: 'mareas-y-caracolas-42', name: 'Bo', emailVerified: true });
    const keys = new Set<string>();
    let calls = 0;
    const result = await admin.idempotent(async (key) => {
      keys.add(key);
      const { data } = await admin.api.POST('/v1/admin/wallet/adjustments', { body: { owner: { userId }, amount: 70, reason: 'feria' }, headers: { 'idempotency-key': key } });
      // The answer is lost on the way back twice: the client cannot know whether it happened.
      if (++calls < 3) throw NeptunoError.network('connection reset');
      return data!;
    }, { backoffMs: 1 });
    expect(calls).toBe(3);
    expect(keys.size).toBe(1);
    expect(result.balance).toBe(70);

    for (let i = 0; i < 4; i++) await admin.api.POST('/v1/admin/wallet/adjustments', { body: { owner: { userId }, amount: 1, reason: `r${i}` } });
    const seen: string[] = [];
    for await (const transfer of admin.paginate('/v1/admin/wallet/transfers', { query: { limit: 2, ownerType: 'user', ownerId: userId } })) seen.push(transfer.id);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });

  it('comes back after a dropped websocket and receives what was published meanwhile, in order', async () => {
    const browser = browserLikeFetch();
    const neptuno = createNeptuno({ baseUrl, fetch: browser.fetch });
    const guest = (await neptuno.guest())!;
    const sockets: WebSocket[] = [];
    // Node 20 has no global WebSocket: the `ws` package, with the cookie a browser would send.
    const WithCookie = class extends WebSocket {
      constructor(url: string) {
        super(url, { headers: { cookie: browser.cookie(), origin: PAGE } });
        sockets.push(this);
      }
    } as unknown as WebSocketConstructor;
    const live = createNeptuno({ baseUrl, realtime: { WebSocket: WithCookie, backoffMs: 10 } });
    const got: RealtimeMessage<{ n: number }>[] = [];
    live.realtime.subscribe<{ n: number }>(`guest:${guest.id}`, (m) => got.push(m));
    await waitFor(() => sockets[0]?.readyState === WebSocket.OPEN, 'the socket');
    // Subscribed once the first message arrives.
    await waitFor(async () => (await t.ctx.realtime.publish(`guest:${guest.id}`, { n: 1 }), got.length > 0), 'the first message');

    sockets[0].terminate(); // the fair's Wi-Fi drops
    await t.ctx.realtime.publish(`guest:${guest.id}`, { n: 2 });
    await t.ctx.realtime.publish(`guest:${guest.id}`, { n: 3 });
    await waitFor(() => got.some((m) => m.data.n === 3), 'the messages missed while away');
    const ns = got.map((m) => m.data.n).filter((n) => n > 1);
    expect(ns).toEqual([2, 3]);
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    live.realtime.close();
  });

  it('sends tracking events the way a closing page does (text/plain, no preflight)', async () => {
    // What a browser adds by itself: its Origin and its user agent (Node's would count as a bot).
    const browserHeaders = { origin: PAGE, 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36' };
    let sentAs = '';
    const page = createNeptuno({
      baseUrl,
      fetch: (async (input: string | URL | Request, init?: RequestInit) => {
        sentAs = String(new Headers(init?.headers).get('content-type'));
        const res = await fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers)), ...browserHeaders } });
        expect(await res.clone().json()).toEqual({ accepted: 1 });
        return res;
      }) as typeof fetch,
    });
    expect(await page.track({ type: 'pageview', url: `${PAGE}/promo?utm_source=sdk` })).toBe(true);
    expect(sentAs).toBe('text/plain;charset=UTF-8');
  });
});
