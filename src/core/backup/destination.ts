import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { BACKUP_ID, Checksum, type ArtifactInfo } from './manifest.js';

/**
 * Where backups live. Pluggable: a directory (default) or the storage driver (`ctx.storage`, the
 * local folder or S3). Artifacts are addressed as `<backup id>/<name>`.
 */
export interface BackupDestination {
  /** For messages: `directory /var/backups/neptuno`, `storage s3 backups/`. */
  readonly description: string;
  /** Stores the stream, computing size and SHA-256 as it passes. */
  write(id: string, name: string, body: Readable): Promise<ArtifactInfo>;
  /** The artifact's bytes, or null when missing. */
  read(id: string, name: string): Promise<Readable | null>;
  /** Ids of the backups present (complete or not), any order. */
  ids(): Promise<string[]>;
  /** Removes a whole backup. */
  remove(id: string): Promise<void>;
}

export class DirectoryDestination implements BackupDestination {
  readonly root: string;
  readonly description: string;

  constructor(dir: string) {
    this.root = resolve(dir);
    this.description = `directory ${this.root}`;
  }

  async write(id: string, name: string, body: Readable): Promise<ArtifactInfo> {
    const path = join(this.root, id, name);
    await mkdir(dirname(path), { recursive: true });
    const sum = new Checksum();
    // Written beside, renamed into place: a reader never sees half an artifact.
    const tmp = `${path}.partial`;
    await pipeline(body, sum, createWriteStream(tmp, { mode: 0o600 }));
    await rename(tmp, path);
    return { name, bytes: sum.bytes, sha256: sum.digest() };
  }

  async read(id: string, name: string): Promise<Readable | null> {
    const path = join(this.root, id, name);
    try {
      await stat(path);
    } catch {
      return null;
    }
    return createReadStream(path);
  }

  async ids(): Promise<string[]> {
    try {
      return (await readdir(this.root, { withFileTypes: true })).filter((d) => d.isDirectory() && BACKUP_ID.test(d.name)).map((d) => d.name);
    } catch {
      return [];
    }
  }

  async remove(id: string): Promise<void> {
    if (!BACKUP_ID.test(id)) throw new Error(`Not a backup id: ${id}`);
    await rm(join(this.root, id), { recursive: true, force: true });
  }
}

/** The storage driver's shape this needs (core/drivers/storage/contract.ts). */
export interface StorageLike {
  readonly driver: string;
  put(key: string, body: Readable, opts?: { contentType?: string }): Promise<{ size: number; sha256: string }>;
  get(key: string): Promise<{ body: Readable } | null>;
  delete(key: string): Promise<void>;
  list(prefix: string): AsyncIterable<{ key: string }>;
}

/**
 * A name as storage keys allow it: each byte outside letters, digits and `-_.` (and a leading `.`)
 * becomes `!xx` (hex). Storage keys refuse spaces, accents and `..`, which file paths may hold.
 */
export function storageSafe(name: string): string {
  return name
    .split('/')
    .map((seg) =>
      [...Buffer.from(seg)]
        .map((b, i) => {
          const c = String.fromCharCode(b);
          return /[A-Za-z0-9_-]/.test(c) || (c === '.' && i > 0) ? c : `!${b.toString(16).padStart(2, '0')}`;
        })
        .join(''),
    )
    .join('/');
}

export class StorageDestination implements BackupDestination {
  readonly description: string;

  constructor(
    private readonly storage: StorageLike,
    private readonly prefix: string,
  ) {
    this.description = `storage ${storage.driver} ${prefix}`;
  }

  async write(id: string, name: string, body: Readable): Promise<ArtifactInfo> {
    // The driver computes size and SHA-256 while the bytes stream through (PutResult).
    const res = await this.storage.put(`${this.prefix}${id}/${storageSafe(name)}`, body, { contentType: 'application/octet-stream' });
    return { name, bytes: res.size, sha256: res.sha256 };
  }

  async read(id: string, name: string): Promise<Readable | null> {
    return (await this.storage.get(`${this.prefix}${id}/${storageSafe(name)}`))?.body ?? null;
  }

  async ids(): Promise<string[]> {
    const out = new Set<string>();
    for await (const o of this.storage.list(this.prefix)) {
      const id = o.key.slice(this.prefix.length).split('/')[0];
      if (BACKUP_ID.test(id)) out.add(id);
    }
    return [...out];
  }

  async remove(id: string): Promise<void> {
    if (!BACKUP_ID.test(id)) throw new Error(`Not a backup id: ${id}`);
    for await (const o of this.storage.list(`${this.prefix}${id}/`)) await this.storage.delete(o.key);
  }
}

/** Reads a whole (small) artifact, e.g. the manifest. */
export async function readText(dest: BackupDestination, id: string, name: string): Promise<string | null> {
  const body = await dest.read(id, name);
  if (!body) return null;
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

export const fromText = (text: string) => Readable.from([Buffer.from(text)]);
