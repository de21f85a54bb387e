import { createHmac, hkdfSync } from 'node:crypto';
import { safeEqual } from '../../core/crypto.js';

export interface UnsubscribeClaim {
  userId: string;
  type: string;
  channel: string;
}

/**
 * Signed unsubscribe links: the token names (user, type, channel) and carries an HMAC under a
 * key derived from the app secret, so it works without signing in and cannot be forged for
 * another user. It does not expire: a link in an old email must keep working (RFC 8058 asks
 * the same of List-Unsubscribe), and all it can do is switch one notification type off.
 */
export class UnsubscribeLinks {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly publicUrl: string,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'neptuno', 'notifications/unsubscribe/v1', 32));
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.key).update(payload).digest().subarray(0, 16);
  }

  token(claim: UnsubscribeClaim): string {
    const payload = Buffer.from(JSON.stringify([claim.userId, claim.type, claim.channel])).toString('base64url');
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  url(userId: string, type: string, channel: string): string {
    return `${this.publicUrl.replace(/\/$/, '')}/v1/public/notifications/unsubscribe?token=${this.token({ userId, type, channel })}`;
  }

  /** The claim of a token we issued; null for anything else. */
  verify(token: string): UnsubscribeClaim | null {
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 1024) return null;
    const payload = token.slice(0, dot);
    if (!safeEqual(Buffer.from(token.slice(dot + 1), 'base64url'), this.mac(payload))) return null;
    try {
      const v: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'string')) return { userId: v[0], type: v[1], channel: v[2] };
    } catch {
      // a MAC we issued always covers valid JSON; fall through
    }
    return null;
  }
}
