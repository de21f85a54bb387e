/**
 * A process that crashes with Sentry configured (sentry.test.ts runs it). Not a test file.
 * SENTRY_DSN: where to report. Exits 1 after reporting, as Node would without reporting.
 */
import pino from 'pino';
import { createErrorReporter } from './errors.js';
import { reportCrashes } from './hooks.js';

const log = pino({ level: 'silent' });
const reporter = await createErrorReporter({ env: 'test', sentry: { dsn: process.env.SENTRY_DSN!, environment: null, release: 'crash-test', sampleRate: 1 } }, log);
reportCrashes(reporter, log);
setTimeout(() => {
  throw new Error('crashed while holding token=abc123 for ana@example.com');
}, 1);
