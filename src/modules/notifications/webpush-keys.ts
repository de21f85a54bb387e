import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import webpush from 'web-push';
import { typedDb } from '../../core/db/dialect.js';
import type { ModuleContext } from '../../core/module.js';
import type { PushTables } from './push-schema.js';

export interface VapidKeys {
  /** base64url uncompressed P-256 point: what the browser passes as `applicationServerKey`. */
  publicKey: string;
  /** base64url 32-byte P-256 private scalar. */
  privateKey: string;
}

const ROW_ID = 'default';

/**
 * The app's VAPID key pair (RFC 8292), generated on first start and kept in the database so every
 * replica signs with the same key: browsers tie a subscription to the key it was made with, so a
 * replica with its own key would have its pushes refused (403).
 *
 * Replicas starting together race on an insert-if-absent of the one row: each may generate a
 * pair, one insert wins, and everybody (the losers included) reads the winner back, so no replica
 * ever signs with a key that is not the stored one. The private key is stored encrypted
 * (AES-256-GCM, key derived from the app secret) so a database dump alone cannot sign pushes.
 */
export class VapidKeyStore {
  private readonly db;
  private readonly aead: Buffer;
  private loaded: Promise<VapidKeys> | null = null;

  constructor(ctx: Pick<ModuleContext, 'db' | 'secret'>) {
    this.db = typedDb<PushTables>(ctx);
    this.aead = Buffer.from(hkdfSync('sha256', ctx.secret, 'neptuno', 'notifications/vapid/v1', 32));
  }

  /** The key pair, created once per database; cached in memory after the first read. */
  keys(): Promise<VapidKeys> {
    this.loaded ??= this.load().catch((err: unknown) => {
      this.loaded = null; // a database hiccup at start must not poison the cache
      throw err;
    });
    return this.loaded;
  }

  private async load(): Promise<VapidKeys> {
    let row = await this.db.selectFrom('notif_vapid_keys').selectAll().where('id', '=', ROW_ID).executeTakeFirst();
    if (!row) {
      const fresh = webpush.generateVAPIDKeys();
      await this.db
        .insertInto('notif_vapid_keys')
        .values({ id: ROW_ID, public_key: fresh.publicKey, private_key: this.seal(fresh.privateKey), created_at: new Date().toISOString() })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      row = await this.db.selectFrom('notif_vapid_keys').selectAll().where('id', '=', ROW_ID).executeTakeFirstOrThrow();
    }
    return { publicKey: row.public_key, privateKey: this.open(row.private_key) };
  }

  private seal(privateKey: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.aead, iv);
    const sealed = Buffer.concat([cipher.update(privateKey, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `v1.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
  }

  private open(stored: string): string {
    const [version, iv, sealed] = stored.split('.');
    try {
      if (version !== 'v1' || !iv || !sealed) throw new Error('unknown format');
      const data = Buffer.from(sealed, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.aead, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(data.subarray(data.length - 16));
      return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error(
        'The stored VAPID private key (table notif_vapid_keys) cannot be decrypted: NEPTUNO_SECRET changed since it was generated. ' +
          'Restore the previous secret, or delete the row to generate a new pair (every browser then has to subscribe again).',
      );
    }
  }
}
