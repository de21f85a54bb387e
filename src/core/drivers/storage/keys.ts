import { StorageKeyError } from './contract.js';

// The characters S3 documents as safe in keys, minus anything a filesystem, a URL or a shell
// would read differently: both drivers accept exactly the same keys.
const SEGMENT = /^[A-Za-z0-9!_.*'()-]+$/;
const MAX_KEY_BYTES = 1024;

export const PUBLIC_PREFIX = 'public/';

/** Throws StorageKeyError unless key is a valid storage key (see Storage in contract.ts). */
export function assertKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new StorageKeyError(String(key), 'empty');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new StorageKeyError(key, `longer than ${MAX_KEY_BYTES} bytes`);
  for (const segment of key.split('/')) {
    if (!segment) throw new StorageKeyError(key, 'empty segment');
    if (segment.startsWith('.')) throw new StorageKeyError(key, 'a segment starts with "."');
    if (!SEGMENT.test(segment)) throw new StorageKeyError(key, 'only letters, digits and !-_.*\'() are allowed in segments');
  }
}

/** A prefix for `list`: empty, or a key's beginning (may end with `/`). */
export function assertPrefix(prefix: string): void {
  if (prefix === '') return;
  assertKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}

export const isPublicKey = (key: string) => key.startsWith(PUBLIC_PREFIX);

/** Key to URL path, each segment percent-encoded (`!*'()` too, as SigV4 and RFC 3986 want). */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/[!*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

/** RFC 6266 Content-Disposition with an ASCII fallback and the UTF-8 name. */
export function contentDisposition(type: 'inline' | 'attachment', filename?: string): string {
  if (!filename) return type;
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const utf8 = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${ascii}"; filename*=UTF-8''${utf8}`;
}
