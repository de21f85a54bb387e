import { createHmac } from 'node:crypto';
import { safeEqual } from '../../../core/crypto.js';

/**
 * Twilio's request signature (X-Twilio-Signature): HMAC-SHA1, keyed with the account's auth
 * token, over the full URL Twilio called (scheme, host, path and query) followed by every POST
 * parameter sorted by name, each as name then value with no separator; base64. A repeated name
 * contributes each of its values, in sorted order.
 */
export function twilioSignature(authToken: string, url: string, params: Iterable<[string, string]>): string {
  const pairs = [...params].sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  let data = url;
  for (const [k, v] of pairs) data += k + v;
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/** Whether `signature` is Twilio's for this URL and form body (constant-time comparison). */
export function verifyTwilioSignature(authToken: string, signature: string | undefined, url: string, params: Iterable<[string, string]>): boolean {
  if (!signature || signature.length > 200) return false;
  return safeEqual(Buffer.from(signature), Buffer.from(twilioSignature(authToken, url, params)));
}
