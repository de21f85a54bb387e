import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import { Readable } from 'node:stream';
import { IMAGE_TYPES } from './config.js';

/** Bytes read before deciding: enough for file-type (zip-based formats) and for image headers behind EXIF. */
export const HEAD_BYTES = 256 * 1024;

/**
 * Reads up to `max` bytes from the start of a stream and gives back those bytes plus a stream
 * of the whole content (head first, then the rest, unread until consumed): only the head is
 * ever held in memory.
 */
export async function readHead(source: Readable, max = HEAD_BYTES): Promise<{ head: Buffer; whole: Readable }> {
  const chunks: Buffer[] = [];
  let got = 0;
  const iterator = source[Symbol.asyncIterator]();
  let done = false;
  while (got < max) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = next.value as Buffer;
    chunks.push(chunk);
    got += chunk.length;
  }
  const head = Buffer.concat(chunks);
  async function* rest() {
    yield head;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value as Buffer;
    }
  }
  return { head: head.subarray(0, max), whole: Readable.from(rest(), { objectMode: false }) };
}

const TEXT_TYPES = new Set(['text/csv', 'text/plain', 'application/json']);

/** True when the bytes are UTF-8 text (a cut multibyte sequence at the very end is allowed) without NUL. */
function looksLikeText(head: Buffer, complete: boolean): boolean {
  if (head.includes(0)) return false;
  const body = complete ? head : head.subarray(0, Math.max(0, head.length - 4));
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
    return true;
  } catch {
    return false;
  }
}

/**
 * The type of the content, from its magic bytes (file-type); for formats without any (CSV, plain
 * text, JSON), from the declared type or name, accepted only if the content is text. null:
 * nothing in `allowed` fits.
 */
export async function detectType(head: Buffer, complete: boolean, declared: { mimetype?: string; filename?: string }, allowed: string[]): Promise<string | null> {
  const found = await fileTypeFromBuffer(head);
  if (found) return allowed.includes(found.mime) ? found.mime : null;
  if (!looksLikeText(head, complete)) return null;
  const ext = (declared.filename ?? '').toLowerCase().split('.').pop();
  const claimed = declared.mimetype?.split(';')[0].trim().toLowerCase();
  const wanted = ext === 'csv' || claimed === 'text/csv' ? 'text/csv' : ext === 'json' || claimed === 'application/json' ? 'application/json' : 'text/plain';
  if (TEXT_TYPES.has(wanted) && allowed.includes(wanted)) return wanted;
  return allowed.includes('text/plain') ? 'text/plain' : null;
}

export const isImage = (type: string) => IMAGE_TYPES.includes(type);

/** GIF and WebP keep their size in the first bytes; libvips wants the whole file for them. */
function quickSize(head: Buffer, type: string): { width: number; height: number } | null {
  if (type === 'image/gif' && head.length >= 10) return { width: head.readUInt16LE(6), height: head.readUInt16LE(8) };
  if (type === 'image/webp' && head.length >= 30) {
    const chunk = head.toString('latin1', 12, 16);
    if (chunk === 'VP8X') return { width: head.readUIntLE(24, 3) + 1, height: head.readUIntLE(27, 3) + 1 };
    if (chunk === 'VP8 ') return { width: head.readUInt16LE(26) & 0x3fff, height: head.readUInt16LE(28) & 0x3fff };
    if (chunk === 'VP8L') {
      const bits = head.readUInt32LE(21);
      return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
    }
  }
  return null;
}

/** An image's dimensions from its head, before any pixel is decoded; null when they cannot be read. */
export async function imageSize(head: Buffer, type: string): Promise<{ width: number; height: number } | null> {
  const quick = quickSize(head, type);
  if (quick) return quick;
  try {
    const m = await sharp(head, { limitInputPixels: false, failOn: 'none' }).metadata();
    return m.width && m.height ? { width: m.width, height: m.height } : null;
  } catch {
    return null;
  }
}

/** A display name: the last path segment, control and path characters replaced, at most 200 characters. */
export function cleanName(filename: string | undefined, fallback: string): string {
  const base = (filename ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_').replace(/^\.+/, '').trim().slice(0, 200);
  return cleaned || fallback;
}
