import { createHmac } from 'node:crypto';
import { safeEqual } from '../../crypto.js';

/**
 * Signed links of the local driver: `?exp=<unix seconds>&sig=<HMAC>` (and `dl=<name>` for a
 * download), checked by the storage route. The HMAC key is derived from the app secret for this
 * use only, so a storage signature can never stand for a cookie or a cursor; replicas sharing the
 * secret accept each other's links.
 */
export class UrlSigner {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('neptuno:storage-url:v1').digest();
  }

  sign(key: string, exp: number, download = ''): string {
    return createHmac('sha256', this.key).update(`${key}\n${exp}\n${download}`).digest('base64url');
  }

  /** True when sig is this key's signature for exp and download, and exp has not passed. */
  verify(key: string, exp: string | undefined, sig: string | undefined, download = '', nowMs = Date.now()): boolean {
    if (!exp || !sig || !/^\d{1,12}$/.test(exp)) return false;
    if (Number(exp) * 1000 < nowMs) return false;
    return safeEqual(sig, this.sign(key, Number(exp), download));
  }
}
