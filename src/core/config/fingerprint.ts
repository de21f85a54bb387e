import { createHmac } from 'node:crypto';
import type { Db } from '../db/database.js';

/**
 * Replicas sharing a database must share the secret: a cookie or token signed by one is checked
 * by whichever replica gets the next request. The first process to start records an HMAC
 * fingerprint of its secret (never the secret) in the settings table; every later start compares
 * and refuses to run with a different secret. A deliberate change goes through
 * `neptuno secret rotate` (recordSecretFingerprint with replace).
 */
const KEY = 'neptuno.secret_fingerprint';

interface Recorded {
  fingerprint: string;
  recordedAt: string;
}

/** One-way: the fingerprint identifies a secret without revealing it. */
export function secretFingerprint(secret: string): string {
  return createHmac('sha256', secret).update('neptuno secret fingerprint v1').digest('base64url');
}

export class SecretMismatchError extends Error {
  readonly code = 'secret_mismatch';
  constructor(recordedAt: string) {
    super(
      `This process's secret (NEPTUNO_SECRET, or <dataDir>/secret in development) is not the one the other ` +
        `processes sharing this database use (recorded ${recordedAt}): cookies and tokens made by one would be ` +
        'rejected by the other. Give every replica the same NEPTUNO_SECRET. To change the secret on purpose, ' +
        'run `neptuno secret rotate` with the new secret set (this signs everyone out), then restart every replica with it.',
    );
    this.name = 'SecretMismatchError';
  }
}

async function read(db: Db): Promise<Recorded | null> {
  const row = await db.selectFrom('neptuno_settings').select('value').where('key', '=', KEY).executeTakeFirst();
  return row ? (JSON.parse(row.value) as Recorded) : null;
}

/**
 * Records the secret's fingerprint when none is (first start), else checks it: throws
 * SecretMismatchError when the database belongs to replicas with another secret. Two first starts
 * racing agree on one record (insert-if-absent), so the loser fails if its secret differs.
 */
export async function checkSecretFingerprint(db: Db, secret: string): Promise<void> {
  const mine = secretFingerprint(secret);
  const now = new Date().toISOString();
  const value = JSON.stringify({ fingerprint: mine, recordedAt: now } satisfies Recorded);
  await db
    .insertInto('neptuno_settings')
    .values({ key: KEY, value, updated_at: now })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const recorded = await read(db);
  if (recorded && recorded.fingerprint !== mine) throw new SecretMismatchError(recorded.recordedAt);
}

/**
 * Read-only comparison for `neptuno doctor --connect`: `none` when no replica has started on
 * this database yet (or its tables do not exist), else whether this secret is the recorded one.
 */
export async function secretFingerprintStatus(db: Db, secret: string): Promise<'match' | 'mismatch' | 'none'> {
  let recorded: Recorded | null;
  try {
    recorded = await read(db);
  } catch {
    return 'none';
  }
  if (!recorded) return 'none';
  return recorded.fingerprint === secretFingerprint(secret) ? 'match' : 'mismatch';
}

/** Records this secret as the one every replica must use (deliberate rotation). */
export async function recordSecretFingerprint(db: Db, secret: string): Promise<{ changed: boolean }> {
  const mine = secretFingerprint(secret);
  const before = await read(db);
  const now = new Date().toISOString();
  const value = JSON.stringify({ fingerprint: mine, recordedAt: now } satisfies Recorded);
  await db
    .insertInto('neptuno_settings')
    .values({ key: KEY, value, updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
    .execute();
  return { changed: before?.fingerprint !== mine };
}
