import type { TestApp } from './app.js';

/**
 * Runs a module's cron now, by its full name (`<module>.<cron>`), and waits for it; its error is
 * thrown. Works whether or not the test app runs workers, so a test never waits for a schedule.
 *
 * @example
 *   await runCron(t, 'guests.remove-idle');
 */
export function runCron(t: Pick<TestApp, 'neptuno'>, name: string): Promise<void> {
  return t.neptuno.runCron(name);
}
