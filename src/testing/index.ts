/**
 * Test helpers for your own modules: `import { createTestApp, targets } from 'neptuno/testing'`.
 * Run them under Vitest (the clock helper uses its fake timers).
 */
export { createTestApp, type TestApp, type TestAppOptions } from './app.js';
export { targets, isolatedDatabase, uniquePrefix, type TestTarget } from './targets.js';
export { runCron } from './cron.js';
export { freezeClock, type TestClock } from './clock.js';
export {
  CookieJar,
  signUp,
  signIn,
  signUpAndIn,
  createAdmin,
  uniqueEmail,
  TEST_ORIGIN,
  TEST_PASSWORD,
  type Credentials,
  type SignedIn,
} from './auth.js';
export { recordEvents, settle, type EventRecorder } from './events.js';
export { waitFor } from './wait.js';
export { headerUsers, headerUser, addHeaderUsers } from './header-users.js';
export { TestSocket, type Frame } from './realtime.js';
export { scrapeMetrics, parseMetrics, type Scrape } from './metrics.js';
