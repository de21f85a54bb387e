import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { Kysely } from 'kysely';
import type { TrackingTables } from './schema.js';

/**
 * The visitor id, without a cookie (Plausible's and Umami's approach): a hash of the site, the
 * IP truncated to its network (/24 for IPv4, /48 for IPv6), the user agent and a salt that
 * changes every UTC day. The same browser is one visitor all day and a new one the next; the
 * IP is only ever an input of the hash (never stored, never logged by this module), and once a
 * day's salt is deleted nobody can recompute that day's ids from an IP.
 *
 * Salts live in the database (`tracking_salts`) so every replica hashes alike: the first replica
 * to need a day's salt inserts a random one (ON CONFLICT DO NOTHING) and everyone reads the winner.
 */
export function truncateIp(ip: string): string {
  const mapped = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  if (isIP(mapped) === 4) return mapped.split('.').slice(0, 3).join('.') + '.0';
  if (isIP(mapped) === 6) {
    const [head] = mapped.split('::');
    const groups = mapped.includes('::') ? (head ? head.split(':') : []) : mapped.split(':');
    return groups.slice(0, 3).concat(['0', '0', '0']).slice(0, 3).join(':') + '::';
  }
  return 'unknown';
}

export const dayOf = (d: Date) => d.toISOString().slice(0, 10);
export const hourOf = (d: Date) => d.toISOString().slice(0, 13);

export class SaltStore {
  private readonly cached = new Map<string, Promise<string>>();

  constructor(private readonly db: Kysely<TrackingTables>) {}

  /** The salt of `day`, created on first use. */
  salt(day: string): Promise<string> {
    let salt = this.cached.get(day);
    if (!salt) {
      salt = this.load(day);
      salt.catch(() => this.cached.delete(day));
      // Only today's and yesterday's salts are ever asked for: keep the map tiny.
      if (this.cached.size > 3) this.cached.delete(this.cached.keys().next().value!);
      this.cached.set(day, salt);
    }
    return salt;
  }

  private async load(day: string): Promise<string> {
    await this.db
      .insertInto('tracking_salts')
      .values({ day, salt: randomBytes(32).toString('hex') })
      .onConflict((oc) => oc.column('day').doNothing())
      .execute();
    const row = await this.db.selectFrom('tracking_salts').select('salt').where('day', '=', day).executeTakeFirstOrThrow();
    return row.salt;
  }

  /** Deletes the salts of days before `day`: their visitor ids can no longer be recomputed. */
  async rotate(day: string): Promise<void> {
    await this.db.deleteFrom('tracking_salts').where('day', '<', day).execute();
    for (const d of this.cached.keys()) if (d < day) this.cached.delete(d);
  }

  /** 32 hex characters identifying the visitor for `day`. */
  async visitorId(day: string, site: string, ip: string, userAgent: string): Promise<string> {
    const salt = await this.salt(day);
    return createHash('sha256').update(`${salt}\n${site}\n${truncateIp(ip)}\n${userAgent}`).digest('hex').slice(0, 32);
  }
}
