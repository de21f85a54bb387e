import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Stats } from 'node:fs';
import { StorageRangeError, type ByteRange, type ListedObject, type ObjectInfo, type ObjectStream, type PutOptions, type PutResult, type Storage, type StorageBody, type UrlOptions } from './contract.js';
import { digestStream, toReadable } from './body.js';
import { assertKey, assertPrefix, encodeKey, isPublicKey } from './keys.js';
import { UrlSigner } from './signing.js';

export interface LocalStorageOptions {
  /** The folder objects live in (created on first write). */
  root: string;
  /** Base of the links `url()` gives: the server's public URL (Neptuno serves the files). */
  baseUrl: string;
  secret: string;
  /** Default life of a signed link, in seconds. */
  signedUrlExpiresIn: number;
}

/** Path of the route that serves local objects (storage/route.ts). */
export const LOCAL_ROUTE_PREFIX = '/v1/public/storage/';

// Internal folders start with "." — no key segment may — so they never collide with objects.
const META = '.meta';
const TMP = '.tmp';

interface Meta {
  contentType: string;
  cacheControl: string | null;
}

const missing = (err: unknown) => ['ENOENT', 'ENOTDIR', 'EISDIR'].includes((err as NodeJS.ErrnoException).code ?? '');

/**
 * Objects as files under one folder: `<root>/<key>`, their content type and cache control in
 * `<root>/.meta/<key>.json`. Writes go to `<root>/.tmp` first and are renamed into place (atomic
 * on one filesystem), so a reader never sees half an object and a failed upload leaves nothing.
 * A key cannot be both an object and the folder of another key (`a` and `a/b`) here.
 */
export class LocalStorage implements Storage {
  readonly driver = 'local' as const;
  readonly root: string;
  private readonly signer: UrlSigner;
  private readonly baseUrl: string;

  constructor(private readonly opts: LocalStorageOptions) {
    this.root = resolve(opts.root);
    this.signer = new UrlSigner(opts.secret);
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
  }

  private dataPath(key: string): string {
    assertKey(key);
    const path = join(this.root, ...key.split('/'));
    // Belt and braces: assertKey already rules out "..", absolute and dot segments.
    if (!path.startsWith(this.root + sep)) throw new Error('storage key escapes the folder');
    return path;
  }

  private metaPath(key: string): string {
    return join(this.root, META, ...key.split('/')) + '.json';
  }

  async put(key: string, body: StorageBody, opts: PutOptions = {}): Promise<PutResult> {
    const path = this.dataPath(key);
    const tmpDir = join(this.root, TMP);
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, randomUUID());
    const digest = digestStream();
    try {
      await pipeline(toReadable(body), digest, createWriteStream(tmp, { flags: 'wx' }));
      const meta: Meta = { contentType: opts.contentType ?? 'application/octet-stream', cacheControl: opts.cacheControl ?? null };
      await writeFile(`${tmp}.json`, JSON.stringify(meta), { flag: 'wx' });
      // The data first: until the meta follows, a reader sees the new bytes with the old type at worst.
      await this.moveInto(tmp, path);
      await this.moveInto(`${tmp}.json`, this.metaPath(key));
      return { key, ...digest.result() };
    } catch (err) {
      await rm(tmp, { force: true });
      await rm(`${tmp}.json`, { force: true });
      throw err;
    }
  }

  /** rename into place, creating the folders; once more if a concurrent delete pruned them meanwhile. */
  private async moveInto(from: string, to: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await mkdir(dirname(to), { recursive: true });
      try {
        return await rename(from, to);
      } catch (err) {
        if (attempt > 2 || (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }

  private async readMeta(key: string): Promise<Meta> {
    try {
      return JSON.parse(await readFile(this.metaPath(key), 'utf8')) as Meta;
    } catch {
      return { contentType: 'application/octet-stream', cacheControl: null };
    }
  }

  private info(key: string, st: Stats, meta: Meta): ObjectInfo {
    return { key, size: st.size, etag: etagOf(st), lastModified: st.mtime, contentType: meta.contentType, cacheControl: meta.cacheControl };
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const path = this.dataPath(key);
    let st: Stats;
    try {
      st = await stat(path);
    } catch (err) {
      if (missing(err)) return null;
      throw err;
    }
    if (!st.isFile()) return null;
    return this.info(key, st, await this.readMeta(key));
  }

  async get(key: string, opts: { range?: ByteRange } = {}): Promise<ObjectStream | null> {
    const path = this.dataPath(key);
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (missing(err)) return null;
      throw err;
    }
    try {
      // fstat on the open file: size and stream are of the same object even if a put replaces it now.
      const st = await handle.stat();
      if (!st.isFile()) {
        await handle.close();
        return null;
      }
      const range = opts.range ? resolveRange(opts.range, st.size) : null;
      const meta = await this.readMeta(key);
      const body = createReadStream('', { fd: handle, start: range?.start, end: range?.end, autoClose: true });
      return { ...this.info(key, st, meta), body, range };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.dataPath(key);
    await rm(path, { force: true });
    await rm(this.metaPath(key), { force: true });
    await this.prune(dirname(path), this.root);
    await this.prune(dirname(this.metaPath(key)), join(this.root, META));
  }

  /** Removes now-empty folders up to (not including) stop, so deleted trees leave no husk. */
  private async prune(dir: string, stop: string): Promise<void> {
    while (dir.startsWith(stop + sep)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone): stop there
      }
      dir = dirname(dir);
    }
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    assertPrefix(prefix);
    const cut = prefix.lastIndexOf('/');
    const base = cut < 0 ? '' : prefix.slice(0, cut + 1);
    yield* this.walk(base, prefix);
  }

  private async *walk(dirKey: string, prefix: string): AsyncGenerator<ListedObject> {
    let entries;
    try {
      entries = await readdir(join(this.root, ...dirKey.split('/').filter(Boolean)), { withFileTypes: true });
    } catch (err) {
      if (missing(err)) return;
      throw err;
    }
    // Folders sort as "name/", so a depth-first walk yields keys in the order S3 lists them.
    const sorted = entries
      .filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isDirectory()))
      .map((e) => ({ e, sortKey: Buffer.from(e.isDirectory() ? `${e.name}/` : e.name) }))
      .sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
    for (const { e } of sorted) {
      const key = dirKey + e.name;
      if (e.isDirectory()) {
        const sub = `${key}/`;
        if (sub.startsWith(prefix) || prefix.startsWith(sub)) yield* this.walk(sub, prefix);
      } else if (key.startsWith(prefix)) {
        try {
          const st = await stat(join(this.root, ...key.split('/')));
          yield { key, size: st.size, etag: etagOf(st), lastModified: st.mtime };
        } catch (err) {
          if (!missing(err)) throw err; // deleted while listing: skip it
        }
      }
    }
  }

  isPublic(key: string): boolean {
    return isPublicKey(key);
  }

  async url(key: string, opts: UrlOptions = {}): Promise<string> {
    assertKey(key);
    const base = `${this.baseUrl}${LOCAL_ROUTE_PREFIX}${encodeKey(key)}`;
    const dl = opts.download ? `dl=${encodeURIComponent(opts.download)}` : '';
    if (isPublicKey(key)) return dl ? `${base}?${dl}` : base;
    const exp = Math.floor(Date.now() / 1000) + (opts.expiresIn ?? this.opts.signedUrlExpiresIn);
    return `${base}?exp=${exp}&sig=${this.signer.sign(key, exp, opts.download ?? '')}${dl ? `&${dl}` : ''}`;
  }

  /** Whether a request for a private key carries a valid, unexpired signature (the route's check). */
  verifyUrl(key: string, query: { exp?: string; sig?: string; dl?: string }): boolean {
    return this.signer.verify(key, query.exp, query.sig, query.dl ?? '');
  }

  async ping(): Promise<void> {
    await mkdir(join(this.root, TMP), { recursive: true });
  }

  async close(): Promise<void> {}
}

const etagOf = (st: Stats) => `"${st.size.toString(16)}-${Math.floor(st.mtimeMs * 1000).toString(16)}-${st.ino.toString(16)}"`;

/** An inclusive range clipped to the object, or StorageRangeError when it starts past the end. */
export function resolveRange(range: ByteRange, size: number): { start: number; end: number } {
  const end = Math.min(range.end ?? size - 1, size - 1);
  if (!Number.isSafeInteger(range.start) || range.start < 0 || range.start >= size || end < range.start) throw new StorageRangeError(size);
  return { start: range.start, end };
}
