import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const keys = new Map<string, Buffer>();
const keyOf = (appSecret: string) => {
  let key = keys.get(appSecret);
  if (!key) keys.set(appSecret, (key = Buffer.from(hkdfSync('sha256', appSecret, 'neptuno', 'notifications/sealed-data/v1', 32))));
  return key;
};

/**
 * Notification data too sensitive to keep readable (one-time codes): AES-256-GCM under a key
 * derived from the app secret. Sealed form: base64url(iv).base64url(tag).base64url(data).
 */
export function seal(appSecret: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(appSecret), iv);
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url')).join('.');
}

/** The sealed data as an object; {} for null. Throws when it was sealed under another secret. */
export function unseal(appSecret: string, sealed: string | null): Record<string, unknown> {
  if (!sealed) return {};
  const [iv, tag, data] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  const decipher = createDecipheriv('aes-256-gcm', keyOf(appSecret), iv);
  decipher.setAuthTag(tag);
  return JSON.parse(Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8')) as Record<string, unknown>;
}
