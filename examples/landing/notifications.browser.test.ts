import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createTestApp, type TestApp } from '../../src/testing/app.js';
import { targets } from '../../src/testing/targets.js';
import { launchBrowser, skipBrowserTests } from '../../src/testing/browser.js';
import { builtinModules } from '../../src/modules/index.js';
import { serveLanding, type LandingServer } from './serve.js';

const HOST = '127.0.0.1';
const ADMIN = 'admin-token-for-the-landing-notifications-0123456789';

/** The landing page's news bar and inbox (notifications-ui.js) in a real browser: a guest sees the news and a message arrive live. */
describe.skipIf(skipBrowserTests).each(targets)('landing news bar and inbox on $name', { timeout: 120_000 }, (target) => {
  let t: TestApp;
  let api = '';
  let page: LandingServer;
  let browser: Browser;

  beforeAll(async () => {
    page = await serveLanding({ api: () => api, host: HOST });
    t = await createTestApp({
      target,
      modules: builtinModules,
      workers: true,
      config: {
        env: 'development',
        admin: { token: ADMIN },
        server: { host: HOST, port: 0, cors: { origins: [page.url] } },
        modules: { auth: { trustedOrigins: [page.url] } },
      },
    });
    api = await t.neptuno.listen();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await page?.close();
  });

  it('shows the news for guests and a message pushed live to the bell', async () => {
    const admin = { authorization: `Bearer ${ADMIN}` };
    await t.app.inject({ method: 'POST', url: '/v1/admin/notifications/news', headers: admin, payload: { title: { es: 'Sorteo el viernes' }, body: { es: 'Participa' }, audience: 'guests' } });
    const context = await browser.newContext({ locale: 'es-ES' });
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(page.url);
    await tab.locator('#who', { hasText: 'Jugando como' }).waitFor();
    await tab.locator('#news-list', { hasText: 'Sorteo el viernes' }).waitFor({ state: 'attached' });
    expect(await tab.locator('#news-count').textContent()).toBe('1');

    const guestId = await tab.evaluate(async (base) => ((await (await fetch(`${base}/v1/public/whoami`, { credentials: 'include' })).json()) as { id: string }).id, api);
    await t.app.inject({ method: 'POST', url: '/v1/admin/notifications/send', headers: admin, payload: { to: { guestId }, type: 'message', data: { title: 'Hola', body: '¡Bienvenido!' } } });
    // No reload: the unread count arrives over the websocket.
    await tab.locator('[data-testid="inbox-count"]', { hasText: '1' }).waitFor();
    await tab.locator('#inbox-list', { hasText: '¡Bienvenido!' }).waitFor({ state: 'attached' });
    expect(errors).toEqual([]);
    await context.close();
  });
});
