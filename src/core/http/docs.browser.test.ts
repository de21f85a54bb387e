import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { launchBrowser, skipBrowserTests } from '../../testing/browser.js';
import { builtinModules } from '../../modules/index.js';

describe.skipIf(skipBrowserTests)('API docs in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  beforeAll(async () => {
    t = await createTestApp({ target: targets[0], modules: builtinModules, config: { server: { host: '127.0.0.1', port: 0 } } });
    base = await t.neptuno.listen();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('renders /docs with every module\'s operations and no console errors', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/docs/`);
    await page.waitForSelector('.swagger-ui .info .title', { timeout: 15_000 });
    expect(await page.textContent('.swagger-ui .info .title')).toContain('Neptuno API');
    await page.waitForSelector('.opblock', { timeout: 15_000 });
    const paths = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.getAttribute('data-path')));
    expect(paths).toEqual(expect.arrayContaining(['/health/ready', '/v1/public/guest', '/v1/admin/settings']));
    expect(errors).toEqual([]);
    await page.screenshot({ path: `${process.env.TMPDIR ?? '/tmp'}/neptuno-docs.png` });
  });
});
