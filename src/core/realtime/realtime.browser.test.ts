import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { launchBrowser, skipBrowserTests } from '../../testing/browser.js';
import { signUpAndIn } from '../../testing/auth.js';
import { auth } from '../../modules/index.js';

/*
 * Cross-site websocket hijacking, as a browser does it. Websockets have no CORS: any page may open
 * one to the API, and the browser attaches the API's cookies when the page is same-site (SameSite
 * ignores ports, so on loopback a page on another port of 127.0.0.1 is same-site, like a
 * compromised blog.example.com next to api.example.com). What refuses it is the origin check
 * before the upgrade. Two pages on two ports: one trusted (server.cors.origins), one not.
 */
const HOST = '127.0.0.1';

async function servePage(): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>page</title>'));
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return { url: `http://${HOST}:${(server.address() as AddressInfo).port}`, server };
}

/** Opens a websocket from the page and reports what happened: the welcome frame, or how it failed. */
const tryOpen = (api: string) =>
  new Promise<{ welcome?: { actor: { kind: string; id?: string } }; closeCode?: number; error?: boolean }>((resolve) => {
    const ws = new WebSocket(api.replace(/^http/, 'ws') + '/ws');
    let error = false;
    ws.onerror = () => (error = true);
    ws.onmessage = (e) => {
      resolve({ welcome: JSON.parse(String(e.data)) });
      ws.close();
    };
    ws.onclose = (e) => resolve({ closeCode: e.code, error });
  });

describe.skipIf(skipBrowserTests)('realtime origin check in a browser', { timeout: 60_000 }, () => {
  let t: TestApp;
  let api = '';
  let trusted: { url: string; server: Server };
  let untrusted: { url: string; server: Server };
  let browser: Browser;
  let withCookie: BrowserContext;

  beforeAll(async () => {
    trusted = await servePage();
    untrusted = await servePage();
    t = await createTestApp({
      target: targets[0]!,
      modules: [auth],
      // development: plain-HTTP cookies without the Secure prefix, as `npm start` serves them.
      config: { env: 'development', server: { host: HOST, port: 0, cors: { origins: [trusted.url] } } },
    });
    api = await t.neptuno.listen();
    browser = await launchBrowser();
    const ana = await signUpAndIn(t.app);
    withCookie = await browser.newContext();
    await withCookie.addCookies(
      ana.jar.names().map((name) => ({ name, value: ana.jar.get(name)!, domain: HOST, path: '/', httpOnly: true, sameSite: 'Lax' as const })),
    );
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    trusted?.server.close();
    untrusted?.server.close();
  });

  it('accepts the signed-in user\'s socket from the trusted page', async () => {
    const page = await withCookie.newPage();
    await page.goto(trusted.url);
    const result = await page.evaluate(tryOpen, api);
    expect(result.welcome?.actor.kind).toBe('user');
  });

  it('refuses the same cookie from an untrusted same-site page, before the upgrade', async () => {
    const page = await withCookie.newPage();
    await page.goto(untrusted.url);
    const result = await page.evaluate(tryOpen, api);
    expect(result.welcome).toBeUndefined();
    expect(result.closeCode).toBe(1006);
    expect(result.error).toBe(true);
    // The server answered the handshake with a 403 (csrf_origin_rejected), not some network failure.
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/ws"[^}]*status_code="403"[^}]*\} 1$/m);
  });

  it('lets that page open an anonymous socket when the browser holds no cookie (the refusal is the cookie\'s)', async () => {
    const fresh = await browser.newContext();
    try {
      const page = await fresh.newPage();
      await page.goto(untrusted.url);
      const result = await page.evaluate(tryOpen, api);
      expect(result.welcome?.actor).toEqual({ kind: 'anonymous' });
    } finally {
      await fresh.close();
    }
  });
});
