import type { Logger } from 'pino';
import type { BetterAuthOptions } from 'better-auth';

/**
 * better-auth's log lines go to Neptuno's pino logger (JSON, with the module and component), never
 * to better-auth's own console output. Two parts:
 *
 * - `logger.log` receives what better-auth logs through its context logger (`ctx.context.logger`);
 * - `onAPIError.throw` stops its router from printing every refused request ("Invalid origin",
 *   "Invalid callbackURL"…) through its global console logger: API errors still become responses,
 *   and anything else (a database failure) is thrown to Fastify, which answers 500 problem+json
 *   and logs it with the request id. 5xx answers better-auth builds itself are logged by
 *   `sendWebResponse` (handler.ts).
 */

/**
 * Refusals of client input better-auth logs at error level (CSRF origin check, redirect targets).
 * Anyone on the internet can trigger them, so they are warnings here, not errors to page anyone on.
 */
const CLIENT_REFUSAL = /^Invalid (origin|callbackURL|redirectURL|errorCallbackURL|newUserCallbackURL|redirectTo)\b/;

export function betterAuthLogger(log: Logger): NonNullable<BetterAuthOptions['logger']> {
  return {
    level: 'warn',
    log: (level, message, ...args) => {
      const details = args.length ? args : undefined;
      if (level === 'error' && !CLIENT_REFUSAL.test(message)) log.error({ details }, message);
      else if (level === 'error' || level === 'warn') log.warn({ details }, message);
      else if (level === 'debug') log.debug({ details }, message);
      else log.info({ details }, message);
    },
  };
}

export const betterAuthApiErrors: NonNullable<BetterAuthOptions['onAPIError']> = { throw: true };
