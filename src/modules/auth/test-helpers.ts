/**
 * Test helpers for the auth module's own tests: a real SMTP server that captures what the app
 * sends. The cookie jar and sign-up / sign-in shortcuts are public (`neptuno/testing`) and
 * re-exported here so these tests keep one import.
 */
import { afterAll, beforeAll } from 'vitest';
import { createTestApp, type TestApp, type TestAppOptions } from '../../testing/app.js';
import type { TestTarget } from '../../testing/targets.js';
import { startTestSmtp, type TestSmtp } from '../../testing/smtp.js';
import auth from './module.js';

export * from '../../testing/auth.js';

// The SMTP capture is the kernel's (MIME-aware: subject, text and HTML parts decoded).
export { startTestSmtp, type ReceivedMail as CapturedMail, type TestSmtp } from '../../testing/smtp.js';

/**
 * The setup most auth suites share, called inside `describe`: a real SMTP server and a test app
 * (modules default: auth) whose mail goes to it, both closed after the suite. `ready` gets them
 * once started:
 * @example
 * let t: TestApp;
 * let smtp: TestSmtp;
 * useAuthTestApp(target, { modules: [auth, probe] }, (f) => ({ t, smtp } = f));
 */
export function useAuthTestApp(
  target: TestTarget,
  opts: Omit<TestAppOptions, 'target'>,
  ready: (fixture: { t: TestApp; smtp: TestSmtp }) => void,
): void {
  let t: TestApp | undefined;
  let smtp: TestSmtp | undefined;
  beforeAll(async () => {
    smtp = await startTestSmtp();
    const config = opts.config ?? {};
    const mail = { url: smtp.url, ...(config.mail as Record<string, unknown> | undefined) };
    t = await createTestApp({ ...opts, target, modules: opts.modules ?? [auth], config: { ...config, mail } });
    ready({ t, smtp });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });
}
