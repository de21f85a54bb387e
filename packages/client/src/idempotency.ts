import { NeptunoError } from './errors.js';

/** A fresh Idempotency-Key (a UUID v4; crypto.randomUUID exists in browsers and Node 20). */
export function idempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

export interface RetryOptions {
  /** Attempts in all (default 4). */
  attempts?: number;
  /** First backoff in ms, doubled each time with jitter (default 200). */
  backoffMs?: number;
}

/**
 * Runs a call that moves money, credits or points with ONE Idempotency-Key, retrying with that
 * same key when the outcome is unknown (network failure, 5xx, 429, or 409 `idempotency_in_progress`).
 * The server runs the operation at most once and answers every retry with the first result, so
 * a flaky connection at a fair never charges or grants twice.
 * @example
 *   const { data } = await neptuno.idempotent((key) =>
 *     neptuno.api.POST('/v1/wallet/purchases', { body, headers: { 'idempotency-key': key } }));
 */
export async function idempotent<T>(call: (key: string) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const key = idempotencyKey();
  const attempts = opts.attempts ?? 4;
  let delay = opts.backoffMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(key);
    } catch (err) {
      const again = err instanceof NeptunoError && (err.retryable || err.code === 'idempotency_in_progress');
      if (!again || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
      delay *= 2;
    }
  }
}
