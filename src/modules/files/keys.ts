import { Transform } from 'node:stream';
import type { FileRow, VariantInfo } from './schema.js';

export const EXT: Record<string, string> = {
  'application/pdf': 'pdf',
  'text/csv': 'csv',
  'text/plain': 'txt',
  'application/json': 'json',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
};

export class TooLarge extends Error {
  constructor() {
    super('file larger than its purpose allows');
  }
}

/** Counts bytes through; fails the stream as soon as there are more than max. */
export function limit(max: number): Transform {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      n += chunk.length;
      cb(n > max ? new TooLarge() : null, chunk);
    },
  });
}

export const multipartTooLarge = (err: unknown) => (err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE';

export const originalKey = (id: string) => `files/${id}/original`;

/** Variants of public images carry the upload's content hash: a new image is always a new URL. */
export const variantKey = (id: string, isPublic: boolean, sha256: string, variant: string) =>
  isPublic ? `public/files/${id}/${sha256.slice(0, 16)}/${variant}.webp` : `files/${id}/${variant}.webp`;

export function keysOf(row: FileRow): string[] {
  const variants = Object.values(JSON.parse(row.variants) as Record<string, VariantInfo>).map((v) => v.key);
  return [...new Set([row.key, originalKey(row.id), ...variants])];
}
