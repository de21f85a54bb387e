import { randomBytes } from 'node:crypto';

/**
 * Ids that sort by creation time: 12 hex digits of milliseconds, a 4-hex counter that keeps ids
 * made by this process in the same millisecond in order, then 12 random hex digits. Keyset
 * pagination can order by id alone, across tables (coupons, the wallet's transfers…).
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
