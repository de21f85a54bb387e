import { vi } from 'vitest';

/** The test's clock, frozen until the test moves it. */
export interface TestClock {
  now(): Date;
  /** Jumps to a moment (earlier or later). */
  set(at: Date | string | number): void;
  /** Moves forward by ms (or back, when negative). */
  advance(ms: number): void;
  /** Real time again. Call it in afterEach/afterAll. */
  restore(): void;
}

/**
 * Freezes `Date` at `at` (default: now) for this test file. Neptuno and its modules take the time
 * from `Date` only (never the database's clock), so expiries, daily caps, idle clean-ups and
 * session lifetimes all follow this clock. Only `Date` is faked: timers, I/O and the database
 * keep running, so the app works normally while the time stands still.
 *
 * @example
 *   const clock = freezeClock('2026-03-01T12:00:00Z');
 *   clock.advance(31 * 86_400_000);
 *   await runCron(t, 'guests.remove-idle');
 *   clock.restore();
 */
export function freezeClock(at: Date | string | number = Date.now()): TestClock {
  // Faking timers too would stop the job worker's polling and the drivers' timeouts.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(at));
  return {
    now: () => new Date(),
    set: (to) => vi.setSystemTime(new Date(to)),
    advance: (ms) => vi.setSystemTime(new Date(Date.now() + ms)),
    restore: () => vi.useRealTimers(),
  };
}
