import { inflateRawSync } from 'node:zlib';

export interface ZipLimits {
  /** Most entries a workbook may hold (an XLSX has a few dozen). */
  maxEntries: number;
  /** Most bytes all entries may inflate to, together. */
  maxUncompressedBytes: number;
}

export class ZipRejected extends Error {
  constructor(readonly reason: 'not_zip' | 'too_many_entries' | 'too_large' | 'corrupt') {
    super(`zip rejected: ${reason}`);
  }
}

/**
 * Zip-bomb guard for XLSX uploads, run on the whole file before any spreadsheet code sees it.
 * A 40 kB XLSX can inflate to gigabytes (or nest thousands of entries); an XML parser streaming
 * it would run out of memory or time. This reads the ZIP's central directory (entry count,
 * declared sizes) and then inflates every entry for real, with `maxOutputLength` bounding what
 * zlib may produce, so a header that lies about its size is caught too. Output is dropped as it
 * is checked: the memory used is at most one entry, itself under the bound.
 */
export function checkZip(buf: Buffer, limits: ZipLimits): void {
  // End of central directory: 22 bytes + comment (≤ 65535), found from the end.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (buf.length < 22 || buf.readUInt32LE(0) !== 0x04034b50 || eocd < 0) throw new ZipRejected('not_zip');
  const entries = buf.readUInt16LE(eocd + 10);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  // ZIP64 markers (0xffff / 0xffffffff) have no place in a workbook of the sizes we accept.
  if (entries === 0xffff || cdOffset === 0xffffffff) throw new ZipRejected('too_large');
  if (entries > limits.maxEntries) throw new ZipRejected('too_many_entries');
  let p = cdOffset;
  let total = 0;
  for (let n = 0; n < entries; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw new ZipRejected('corrupt');
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    const declared = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    p += 46 + nameLen + extraLen + commentLen;
    total += declared;
    if (total > limits.maxUncompressedBytes) throw new ZipRejected('too_large');
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== 0x04034b50) throw new ZipRejected('corrupt');
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    if (start + compressed > buf.length) throw new ZipRejected('corrupt');
    const data = buf.subarray(start, start + compressed);
    if (method === 0) continue; // stored: its size is its compressed size, already in the file
    if (method !== 8) throw new ZipRejected('corrupt');
    try {
      // The real size may not exceed what the header declared, nor the remaining budget.
      const out = inflateRawSync(data, { maxOutputLength: Math.max(1, Math.min(declared, limits.maxUncompressedBytes - total + declared)) });
      if (out.length !== declared) throw new ZipRejected('corrupt');
    } catch (err) {
      if (err instanceof ZipRejected) throw err;
      throw new ZipRejected((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? 'too_large' : 'corrupt');
    }
  }
}
