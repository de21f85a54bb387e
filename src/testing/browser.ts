import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium; never a downloaded browser. `.ci/run` installs the package. */
export const CHROMIUM = process.env.NEPTUNO_CHROMIUM ?? '/usr/bin/chromium';

const inCi = /^(1|true)$/i.test(process.env.CI ?? '');

/**
 * True when browser suites skip: Chromium is missing and this is not CI. A contributor without
 * Chromium still gets a green `npm test` (with a notice saying what was skipped); CI (CI=true)
 * requires the browser, so there a missing one fails the suites instead of hiding them.
 * Use as `describe.skipIf(skipBrowserTests)(…)`.
 */
export const skipBrowserTests = !existsSync(CHROMIUM) && !inCi;

if (skipBrowserTests) {
  console.warn(`NOTICE: browser tests skipped: Chromium not found at ${CHROMIUM} (apt-get install chromium, or set NEPTUNO_CHROMIUM). CI runs them.`);
}

/** Headless Chromium with the flags this machine needs; `extraArgs` for a test's own (host rules…). */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set NEPTUNO_CHROMIUM)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', ...extraArgs],
  });
}
