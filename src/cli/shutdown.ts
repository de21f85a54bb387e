import type { Logger } from 'pino';
import type { NeptunoApp } from '../core/app.js';
import { flushLogger } from '../core/log.js';

/** Time given to the log destination to take the last lines before exiting without them. */
const LOG_FLUSH_MS = 1_000;

/**
 * Stops on SIGTERM/SIGINT in bounded time, whatever the log destination or a dependency does:
 * closing gets `timeoutMs`, flushing the log LOG_FLUSH_MS, and pino's synchronous flush at exit
 * is bounded too (core/log.ts). An unref'd timer exits if anything still waits past all that.
 * A second signal exits at once.
 */
export function exitOnSignals(app: NeptunoApp, log: Logger, timeoutMs: number): void {
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return process.exit(1);
    stopping = true;
    setTimeout(() => process.exit(1), timeoutMs + 2 * LOG_FLUSH_MS).unref();
    log.info({ signal }, 'shutting down');
    let code = 0;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      timer.unref();
    });
    try {
      if ((await Promise.race([app.close().then(() => 'closed' as const), timedOut])) === 'timeout') {
        log.error({ timeoutMs }, 'shutdown timed out (server.shutdownTimeoutMs): exiting anyway');
        code = 1;
      }
    } catch (err) {
      log.error({ err }, 'error while shutting down');
      code = 1;
    } finally {
      clearTimeout(timer);
    }
    await flushLogger(log, LOG_FLUSH_MS);
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(signal));
}
