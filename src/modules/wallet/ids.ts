import { randomBytes } from 'node:crypto';

/**
 * Ids that sort by creation time (transfers list newest first by id alone): 12 hex digits of
 * milliseconds, a per-process counter for ids made in the same millisecond, 12 random hex digits.
 */
let lastMs = 0;
let counter = 0;
export function newId(): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (++counter > 0xffff) {
    lastMs++;
    counter = 0;
  }
  return lastMs.toString(16).padStart(12, '0') + counter.toString(16).padStart(4, '0') + randomBytes(6).toString('hex');
}
