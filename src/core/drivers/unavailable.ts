/**
 * Recognises the errors drivers raise when a dependency (Redis, PostgreSQL, another network
 * service) cannot be reached, as opposed to a bug or bad input. The kernel answers those with
 * 503 `dependency_unavailable` and Retry-After: the client should try again, and nothing about
 * the request was wrong. Matched on the drivers' stable error names, codes and messages.
 */

// ioredis: offline with the offline queue off, a command timeout, a connection closed under a
// command, retries exhausted.
const REDIS_MESSAGES = new Set([
  "Stream isn't writeable and enableOfflineQueue options is false",
  'Command timed out',
  'Connection is closed.',
]);
// pg / pg-pool: a connection lost or never made.
const PG_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
];
// Network errors (any driver) and PostgreSQL SQLSTATEs: class 08 (connection exception),
// 57P01-03 (server shutting down, crashed, starting up), 53300 (too many connections).
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
const PG_CODES = new Set(['57P01', '57P02', '57P03', '53300']);

export type Dependency = 'redis' | 'database' | 'network';

/** Which kind of dependency `err` (or an error in its `cause` chain) says is unreachable; null if none. */
export function unavailableDependency(err: unknown): Dependency | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name === 'MaxRetriesPerRequestError' || REDIS_MESSAGES.has(e.message)) return 'redis';
    if (PG_MESSAGES.some((m) => e instanceof Error && e.message.startsWith(m))) return 'database';
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string') {
      if (NETWORK_CODES.has(code)) return 'network';
      if (PG_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return 'database';
    }
  }
  return null;
}
