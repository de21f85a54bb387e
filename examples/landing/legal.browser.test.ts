import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createTestApp, type TestApp } from '../../src/testing/app.js';
import { targets } from '../../src/testing/targets.js';
import { launchBrowser, skipBrowserTests } from '../../src/testing/browser.js';
import { builtinModules } from '../../src/modules/index.js';
import { serveLanding, type LandingServer } from './serve.js';

const HOST = '127.0.0.1';
const ADMIN = 'admin-token-for-the-landing-legal-test-0123456789';
const SHOTS = mkdtempSync(join(tmpdir(), 'neptuno-landing-legal-'));

/**
 * The legal module's 428 guard end to end: the landing page's share button posts to a route the
 * configuration guards; a visitor who signed up and has not accepted the terms gets 428
 * consent_required, the page shows the terms (legal-ui.js), the visitor accepts, and the same
 * share goes through.
 */
describe.skipIf(skipBrowserTests).each(targets)('landing consent to the terms on $name', { timeout: 120_000 }, (target) => {
  let t: TestApp;
  let api = '';
  let page: LandingServer;
  let browser: Browser;

  beforeAll(async () => {
    page = await serveLanding({ api: () => api, host: HOST });
    t = await createTestApp({
      target,
      modules: builtinModules,
      config: {
        env: 'development',
        admin: { token: ADMIN },
        server: { host: HOST, port: 0, cors: { origins: [page.url] } },
        modules: { auth: { trustedOrigins: [page.url] }, legal: { guard: { prefixes: ['/v1/gamification/events'] } } },
      },
    });
    api = await t.neptuno.listen();
    browser = await launchBrowser();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/legal/documents',
      headers: { authorization: `Bearer ${ADMIN}` },
      payload: {
        slug: 'terms',
        version: '1.0',
        title: { es: 'Términos y condiciones', en: 'Terms and conditions' },
        content: { es: 'Participar es gratis. Un premio por persona.', en: 'Taking part is free. One prize per person.' },
        required: true,
      },
    });
    expect(res.statusCode).toBe(201);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await page?.close();
  });

  it('signs up, meets 428 on a guarded route, reads and accepts the terms, and the route works', async () => {
    const context = await browser.newContext({ locale: 'es-ES' });
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    const statuses: number[] = [];
    tab.on('response', (r) => {
      if (r.url().endsWith('/v1/gamification/events')) statuses.push(r.status());
    });
    await tab.goto(page.url);
    await tab.locator('#who', { hasText: 'Jugando como' }).waitFor();

    const email = `lia.${target.name}.${Date.now()}@example.com`;
    await tab.fill('#sign-up input[name=name]', 'Lía');
    await tab.fill('#sign-up input[name=email]', email);
    await tab.fill('#sign-up input[name=password]', 'mareas-y-caracolas-42');
    await tab.click('#sign-up button');
    await tab.locator('#who', { hasText: 'Hola, Lía' }).waitFor();

    await tab.locator('#share:not([disabled])').waitFor();
    await tab.click('#share');
    const dialog = tab.locator('[data-testid="consent"]');
    await dialog.locator('section[data-slug="terms"]').waitFor();
    expect(await dialog.isVisible()).toBe(true);
    expect(statuses).toEqual([428]);
    expect(await dialog.locator('h3').textContent()).toBe('Términos y condiciones (1.0)');
    expect(await dialog.locator('.legal-text').textContent()).toBe('Participar es gratis. Un premio por persona.');
    const pending = await tab.evaluate(() => (globalThis as unknown as { neptuno: { pendingDocuments(): Promise<{ data: Array<{ slug: string }> }> } }).neptuno.pendingDocuments());
    expect(pending.data.map((d) => d.slug)).toEqual(['terms']);
    await tab.screenshot({ path: join(SHOTS, `consent-${target.name}.png`), fullPage: true });

    await tab.click('[data-testid="consent-accept"]');
    await tab.locator('#share-result', { hasText: '¡+50 puntos!' }).waitFor();
    expect(await dialog.isVisible()).toBe(false);
    expect(statuses).toEqual([428, 200]);

    // Recorded for the account, with the browser's user agent; the route stays open.
    const user = await t.ctx.db.selectFrom('auth_users').select('id').where('email', '=', email).executeTakeFirstOrThrow();
    const history = await t.ctx.services.legal.consents.history({ type: 'user', id: user.id });
    expect(history).toEqual([expect.objectContaining({ slug: 'terms', version: '1.0', actorType: 'user' })]);
    expect(history[0].userAgent).toMatch(/Chrom/);
    const [again] = await Promise.all([tab.waitForResponse((r) => r.url().endsWith('/v1/gamification/events')), tab.click('#share')]);
    expect(again.status()).toBe(200);
    expect(errors).toEqual([]);
    await context.close();
    console.log(`landing legal screenshots: ${SHOTS}`);
  });
});
