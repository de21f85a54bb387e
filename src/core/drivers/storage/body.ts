import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { StorageBody } from './contract.js';

/** A Readable over any body `put` accepts (bytes in memory become a one-chunk stream). */
export function toReadable(body: StorageBody): Readable {
  if (body instanceof Readable) return body;
  if (typeof body === 'string') return Readable.from([Buffer.from(body)]);
  return Readable.from([Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
}

/** A pass-through that hashes (SHA-256) and counts what flows through it. */
export function digestStream(): Transform & { result(): { size: number; sha256: string } } {
  const hash = createHash('sha256');
  let size = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  return Object.assign(t, { result: () => ({ size, sha256: hash.digest('hex') }) });
}
