import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import Fastify from 'fastify';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { StorageKeyError, StorageRangeError, type Storage } from './contract.js';
import { LocalStorage } from './local.js';
import { S3Storage } from './s3.js';
import { parseS3Url } from './s3-url.js';
import { installStorageRoute } from './route.js';
import { installErrorHandling } from '../../http/errors.js';
import { I18n } from '../../i18n/index.js';
import { storageMessages } from './messages.js';
import type { App } from '../../module.js';
import { startTestS3, type TestS3Server } from '../../../testing/s3.js';

interface Impl {
  name: 'local' | 's3';
  setup(): Promise<{ storage: Storage; teardown(): Promise<void>; leftovers(): string[] }>;
}

const SECRET = 'storage-test-secret-storage-test-secret-0123';

const impls: Impl[] = [
  {
    name: 'local',
    async setup() {
      const root = mkdtempSync(join(tmpdir(), 'neptuno-storage-'));
      // A bare Fastify with the kernel's error handling and the route, so links are fetched for real.
      const server = Fastify() as unknown as App;
      const i18n = new I18n('en');
      i18n.extend(storageMessages);
      installErrorHandling(server, i18n);
      await server.listen({ host: '127.0.0.1', port: 0 });
      const port = (server.server.address() as { port: number }).port;
      await server.close();
      const storage = new LocalStorage({ root, baseUrl: `http://127.0.0.1:${port}`, secret: SECRET, signedUrlExpiresIn: 60 });
      const live = Fastify() as unknown as App;
      installErrorHandling(live, i18n);
      installStorageRoute(live, storage);
      await live.listen({ host: '127.0.0.1', port });
      return {
        storage,
        leftovers: () => {
          try {
            return readdirSync(join(root, '.tmp'));
          } catch {
            return [];
          }
        },
        async teardown() {
          await live.close();
          rmSync(root, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 's3',
    async setup() {
      const s3: TestS3Server = await startTestS3();
      const storage = new S3Storage({ ...parseS3Url(s3.url), signedUrlExpiresIn: 60 });
      return {
        storage,
        leftovers: () => [],
        async teardown() {
          await storage.close();
          await s3.close();
        },
      };
    },
  },
];

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A stream of n pseudo-random bytes in 64 KiB chunks, never held whole. */
function generated(n: number, seed = 1): { stream: Readable; sha256: string } {
  const hash = createHash('sha256');
  const chunk = createHash('sha512').update(String(seed)).digest();
  const block = Buffer.concat(Array.from({ length: 1024 }, () => chunk)); // 64 KiB
  const pieces: Buffer[] = [];
  for (let left = n; left > 0; left -= block.length) pieces.push(left >= block.length ? block : block.subarray(0, left));
  for (const p of pieces) hash.update(p);
  return { stream: Readable.from(pieces), sha256: hash.digest('hex') };
}

/** A stream that sends some bytes, then fails. */
function failing(bytesFirst: number): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(Buffer.alloc(bytesFirst, 7));
      } else this.destroy(new Error('client went away'));
    },
  });
}

describe.each(impls)('storage contract on $name', (impl) => {
  let s: Storage;
  let env: Awaited<ReturnType<Impl['setup']>>;
  beforeAll(async () => {
    env = await impl.setup();
    s = env.storage;
  });
  afterAll(() => env.teardown());

  it('stores buffers, strings and streams, and reports size, type, cache control and SHA-256', async () => {
    const bytes = randomBytes(1000);
    const put = await s.put('c/a.bin', bytes, { contentType: 'image/png', cacheControl: 'public, max-age=60' });
    expect(put).toEqual({ key: 'c/a.bin', size: 1000, sha256: sha(bytes) });
    const info = await s.head('c/a.bin');
    expect(info).toMatchObject({ key: 'c/a.bin', size: 1000, contentType: 'image/png', cacheControl: 'public, max-age=60' });
    expect(info!.etag).toBeTruthy();
    expect(info!.lastModified).toBeInstanceOf(Date);
    const got = await s.get('c/a.bin');
    expect(Buffer.compare(Buffer.concat(await got!.body.toArray()), bytes)).toBe(0);
    expect(got!.range).toBeNull();

    await s.put('c/b.txt', 'hola');
    expect(await s.head('c/b.txt')).toMatchObject({ size: 4, contentType: 'application/octet-stream', cacheControl: null });
    await s.put('c/c.txt', Readable.from([Buffer.from('stream '), Buffer.from('body')]), { contentType: 'text/plain' });
    expect(await text((await s.get('c/c.txt'))!.body)).toBe('stream body');
  });

  it('streams a body larger than one multipart part and keeps every byte', async () => {
    const size = 11 * 1024 * 1024 + 123;
    const { stream, sha256 } = generated(size);
    const put = await s.put('big/one', stream, { contentType: 'application/zip' });
    expect(put).toMatchObject({ size, sha256 });
    const hash = createHash('sha256');
    for await (const c of (await s.get('big/one'))!.body) hash.update(c as Buffer);
    expect(hash.digest('hex')).toBe(sha256);
    expect((await s.head('big/one'))!.size).toBe(size);
  });

  it('replaces an object on put, and a new etag tells it apart', async () => {
    await s.put('r/k', 'first');
    const before = await s.head('r/k');
    await s.put('r/k', 'second!', { contentType: 'text/plain' });
    const after = await s.head('r/k');
    expect(after).toMatchObject({ size: 7, contentType: 'text/plain' });
    expect(after!.etag).not.toBe(before!.etag);
    expect(await text((await s.get('r/k'))!.body)).toBe('second!');
  });

  it('answers null for missing objects and deletes idempotently', async () => {
    expect(await s.get('missing/x')).toBeNull();
    expect(await s.head('missing/x')).toBeNull();
    await s.delete('missing/x');
    await s.put('d/x', 'x');
    await s.delete('d/x');
    await s.delete('d/x');
    expect(await s.head('d/x')).toBeNull();
    expect(await s.get('d/x')).toBeNull();
  });

  it('reads byte ranges and refuses one past the end', async () => {
    await s.put('rg/k', '0123456789');
    const mid = await s.get('rg/k', { range: { start: 2, end: 5 } });
    expect(await text(mid!.body)).toBe('2345');
    expect(mid).toMatchObject({ size: 10, range: { start: 2, end: 5 } });
    const tail = await s.get('rg/k', { range: { start: 7 } });
    expect(await text(tail!.body)).toBe('789');
    expect(tail!.range).toEqual({ start: 7, end: 9 });
    const clipped = await s.get('rg/k', { range: { start: 8, end: 100 } });
    expect(await text(clipped!.body)).toBe('89');
    await expect(s.get('rg/k', { range: { start: 10 } })).rejects.toBeInstanceOf(StorageRangeError);
  });

  it('lists by prefix in key order', async () => {
    const keys = ['ls/b/2', 'ls/a', 'ls/b/1', 'ls/b-z', 'ls/c.txt', 'lsx/other'];
    for (const k of keys) await s.put(k, k);
    const listed = [];
    for await (const o of s.list('ls/')) listed.push(o);
    const order = ['ls/a', 'ls/b-z', 'ls/b/1', 'ls/b/2', 'ls/c.txt'];
    // S3 lists in UTF-8 binary order; s3rver walks its folders instead ("b-z" after "b/…"), so
    // against it only the set is checked. The local driver keeps S3's order.
    if (impl.name === 'local') expect(listed.map((o) => o.key)).toEqual(order);
    else expect(listed.map((o) => o.key).sort()).toEqual(order);
    expect(listed[0]).toMatchObject({ size: 4 });
    expect(listed[0].lastModified).toBeInstanceOf(Date);
    const partial = [];
    for await (const o of s.list('ls/b/')) partial.push(o.key);
    expect(partial).toEqual(['ls/b/1', 'ls/b/2']);
    const started = [];
    for await (const o of s.list('ls/b')) started.push(o.key);
    expect(started.sort()).toEqual(['ls/b-z', 'ls/b/1', 'ls/b/2']);
    const none = [];
    for await (const o of s.list('nothing-here/')) none.push(o);
    expect(none).toEqual([]);
  });

  it('refuses keys that could escape the folder or mean something else elsewhere', async () => {
    const bad = ['', '../x', 'a/../../b', '/abs', 'a//b', 'a/', '.hidden', 'a/.meta/x', 'a\\b', 'a b', 'ñ', 'a/..', '%2e%2e/x', 'x'.repeat(1100), 'a\0b'];
    for (const key of bad) {
      await expect(s.put(key, 'x'), key).rejects.toBeInstanceOf(StorageKeyError);
      await expect(s.get(key), key).rejects.toBeInstanceOf(StorageKeyError);
      await expect(s.head(key), key).rejects.toBeInstanceOf(StorageKeyError);
      await expect(s.delete(key), key).rejects.toBeInstanceOf(StorageKeyError);
      await expect(s.url(key), key).rejects.toBeInstanceOf(StorageKeyError);
    }
    await expect((async () => { for await (const _ of s.list('../')) void _; })()).rejects.toBeInstanceOf(StorageKeyError);
  });

  it('leaves nothing behind when the body stream fails, small or past one part', async () => {
    await expect(s.put('fail/small', failing(1000))).rejects.toThrow('client went away');
    await expect(s.put('fail/big', failing(6 * 1024 * 1024))).rejects.toThrow('client went away');
    expect(await s.head('fail/small')).toBeNull();
    expect(await s.head('fail/big')).toBeNull();
    const listed = [];
    for await (const o of s.list('fail/')) listed.push(o.key);
    expect(listed).toEqual([]);
    expect(env.leftovers()).toEqual([]);
  });

  it('keeps the old object readable when a replacing upload fails', async () => {
    await s.put('keep/k', 'old');
    await expect(s.put('keep/k', failing(100))).rejects.toThrow();
    expect(await text((await s.get('keep/k'))!.body)).toBe('old');
  });

  it('serves public objects by a permanent link with their type and cache control', async () => {
    await s.put('public/p/logo.png', Buffer.from('png bytes'), { contentType: 'image/png', cacheControl: 'public, max-age=31536000, immutable' });
    expect(s.isPublic('public/p/logo.png')).toBe(true);
    const url = await s.url('public/p/logo.png');
    expect(url).not.toMatch(/sig|Signature/i);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await res.text()).toBe('png bytes');
  });

  it('serves private objects only through signed links, which tampering or time break', async () => {
    await s.put('private/doc.pdf', Buffer.from('%PDF secret'), { contentType: 'application/pdf' });
    expect(s.isPublic('private/doc.pdf')).toBe(false);
    const url = await s.url('private/doc.pdf', { expiresIn: 120 });
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('%PDF secret');
    expect(ok.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);

    const unsigned = await fetch(url.split('?')[0]);
    expect(unsigned.status).toBe(403);
    await unsigned.arrayBuffer();
    await s.put('private/other.pdf', 'other');
    const swapped = await fetch(url.replace('private/doc.pdf', 'private/other.pdf'));
    expect(swapped.status).toBe(403);
    await swapped.arrayBuffer();
    const u = new URL(url);
    for (const [k, v] of u.searchParams) if (/sig|signature/i.test(k)) u.searchParams.set(k, v.slice(0, -2) + (v.endsWith('AA') ? 'BB' : 'AA'));
    const forged = await fetch(u);
    expect(forged.status).toBe(403);
    await forged.arrayBuffer();

    // Signed two hours ago for one hour: expired now.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() - 2 * 3600_000);
    const old = await s.url('private/doc.pdf', { expiresIn: 3600 });
    vi.useRealTimers();
    const expired = await fetch(old);
    expect(expired.status).toBe(403);
    await expired.arrayBuffer();
  });

  it('names the file for download in a signed link', async () => {
    await s.put('private/report', 'a,b\n1,2\n', { contentType: 'text/csv' });
    const res = await fetch(await s.url('private/report', { download: 'Informe año.csv' }));
    expect(res.status).toBe(200);
    const cd = res.headers.get('content-disposition')!;
    expect(cd).toMatch(/^attachment; filename="Informe a_o\.csv"; filename\*=UTF-8''Informe%20a%C3%B1o\.csv$/);
    expect(await res.text()).toBe('a,b\n1,2\n');
  });

  it('answers ping while reachable', async () => {
    await expect(s.ping()).resolves.toBeUndefined();
  });
});

describe('S3 driver against the SigV4-checking test server', () => {
  let s3: TestS3Server;
  beforeAll(async () => {
    s3 = await startTestS3();
  });
  afterAll(() => s3.close());

  it('is refused with a wrong secret, as S3 refuses it', async () => {
    const wrong = new S3Storage({ ...parseS3Url(s3.url.replace(':S3RVER@', ':WRONG@')), signedUrlExpiresIn: 60 });
    await expect(wrong.put('k', 'x')).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    await expect(wrong.ping()).rejects.toBeTruthy();
    const res = await fetch(await wrong.url('private/k'));
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('SignatureDoesNotMatch');
    await wrong.close();
    expect(s3.refused.filter((c) => c === 'SignatureDoesNotMatch').length).toBeGreaterThanOrEqual(2);
  });

  it('reads STORAGE_URL: endpoint, path style, region, credentials, public base', () => {
    expect(parseS3Url('s3+http://AK:S%2Fk@127.0.0.1:9000/media?region=eu-west-1&forcePathStyle=true')).toEqual({
      bucket: 'media',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AK', secretAccessKey: 'S/k' },
      publicUrl: 'http://127.0.0.1:9000/media',
    });
    expect(parseS3Url('s3://s3.amazonaws.com/media?region=eu-west-1')).toMatchObject({
      endpoint: undefined,
      credentials: undefined,
      forcePathStyle: false,
      publicUrl: 'https://media.s3.eu-west-1.amazonaws.com',
    });
    expect(parseS3Url('s3://k:s@r2.example.com/b?publicUrl=https://cdn.example.com/').publicUrl).toBe('https://cdn.example.com');
    expect(parseS3Url('s3://k:s@r2.example.com/b', 'https://media.example.com').publicUrl).toBe('https://media.example.com');
    expect(() => parseS3Url('s3://k:s@host')).toThrow(/bucket/);
  });
});
