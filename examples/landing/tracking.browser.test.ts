import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createTestApp, type TestApp } from '../../src/testing/app.js';
import { targets } from '../../src/testing/targets.js';
import { launchBrowser, skipBrowserTests } from '../../src/testing/browser.js';
import { waitFor } from '../../src/testing/wait.js';
import { builtinModules } from '../../src/modules/index.js';
import { serveLanding, type LandingServer } from './serve.js';
import { CHROME } from '../../src/modules/tracking/testing.js';
import { rangeOf } from '../../src/modules/tracking/range.js';

/*
 * The tracking script on the landing page (docs/tracking.md), in Chromium: a page view on load,
 * a click on the [data-track] share button, an outbound link, and the time on page sent with
 * navigator.sendBeacon when the visitor leaves. The page is on another origin (another port of
 * the same host, like www. and api. of one site), trusted by the API through server.cors.origins.
 */
const HOST = '127.0.0.1';

interface Row {
  type: string;
  name: string | null;
  path: string;
  duration_ms: number | null;
  props: string | null;
  guest_id: string | null;
  visitor: string;
}

describe.skipIf(skipBrowserTests).each(targets)('tracking script on the landing page on $name', { timeout: 120_000 }, (target) => {
  let t: TestApp;
  let api = '';
  let landing: LandingServer;
  let browser: Browser;

  beforeAll(async () => {
    landing = await serveLanding({ api: () => api, host: HOST });
    t = await createTestApp({
      target,
      modules: builtinModules,
      config: {
        env: 'development',
        server: { host: HOST, port: 0, cors: { origins: [landing.url] } },
        modules: { auth: { trustedOrigins: [landing.url] }, tracking: { live: { intervalMs: 300_000 } } },
      },
    });
    api = await t.neptuno.listen();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await landing?.close();
  });

  const rows = async () =>
    (await t.ctx.db
      .selectFrom('tracking_events' as never)
      .select(['type', 'name', 'path', 'duration_ms', 'props', 'guest_id', 'visitor'] as never[])
      .orderBy('id' as never)
      .execute()) as unknown as Row[];

  it('records a page view, a click, an outbound click and the time on page, the last by sendBeacon on leaving', async () => {
    // Headless Chromium says so in its user agent ("HeadlessChrome"), and the bot list drops it:
    // this visitor presents the desktop browser's user agent instead.
    const context = await browser.newContext({ locale: 'es-ES', userAgent: CHROME });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    page.on('pageerror', (e) => errors.push(e.message));
    let preflights = 0;
    context.on('request', (r) => void (r.method() === 'OPTIONS' && r.url().includes('/v1/tracking/') && preflights++));

    await page.goto(landing.url);
    const view = await waitFor(async () => (await rows()).find((r) => r.type === 'pageview'), 'the page view');
    expect(view).toMatchObject({ path: '/', name: null });

    // The share button carries data-track="share" (and data-track-place="hero"); the visitor is a
    // guest by then, and the guest cookie (same site) links the click to them.
    await page.locator('#share:not([disabled])').waitFor();
    await page.click('#share');
    const click = await waitFor(async () => (await rows()).find((r) => r.type === 'click' && r.name === 'share'), 'the share click');
    expect(JSON.parse(click.props!)).toEqual({ place: 'hero' });
    expect(click.guest_id).toMatch(/.+/);
    expect(click.visitor).toBe(view.visitor);

    // An outbound link (kept from navigating away: the script listens in the capture phase).
    await page.evaluate(() => {
      const a = (globalThis as unknown as { document: { getElementById(id: string): { addEventListener(t: string, f: (e: { preventDefault(): void }) => void): void; click(): void } } }).document.getElementById('source');
      a.addEventListener('click', (e) => e.preventDefault());
      a.click();
    });
    const outbound = await waitFor(async () => (await rows()).find((r) => r.type === 'click' && r.name === 'outbound'), 'the outbound click');
    expect(JSON.parse(outbound.props!)).toEqual({ url: 'https://github.com/neptuno-dev/neptuno' });

    // Every sendBeacon call is noted in localStorage, which outlives the page.
    await page.evaluate(() => {
      const w = globalThis as unknown as { navigator: { sendBeacon(u: string, b: string): boolean }; localStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void } };
      const send = w.navigator.sendBeacon.bind(w.navigator);
      w.navigator.sendBeacon = (url, body) => {
        w.localStorage.setItem('beacons', `${w.localStorage.getItem('beacons') ?? ''}${body}\n`);
        return send(url, body);
      };
    });
    // Closing the tab: pagehide, then visibilitychange to hidden, each reporting the visible time
    // not yet reported, with sendBeacon (the page is going away: a fetch could be cancelled).
    await page.close({ runBeforeUnload: true });
    const engagement = await waitFor(async () => (await rows()).find((r) => r.type === 'engagement'), 'the time on page');
    expect(engagement).toMatchObject({ path: '/', visitor: view.visitor });
    expect(engagement.duration_ms).toBeGreaterThan(0);
    const probe = await context.newPage();
    await probe.goto(`${landing.url}/nothing-here`);
    const beacons = await probe.evaluate(() => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem('beacons'));
    expect(beacons).toContain(`"duration":${engagement.duration_ms}`);
    // No preflight for any of them: sendBeacon and the fetches send text/plain.
    expect(preflights).toBe(0);

    // What the dashboard shows: one visitor, one view, two clicks, not a bounce, some time on the page.
    const stats = await t.ctx.services.tracking.queries.summary(rangeOf(new Date(Date.now() - 3_600_000), new Date(Date.now() + 3_600_000)));
    expect(stats).toMatchObject({ views: 1, visitors: 1, events: 2, bounceRate: 0 });
    expect(stats.avgTimeOnPageMs).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await context.close();
  });
});
