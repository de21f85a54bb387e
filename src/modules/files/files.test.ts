import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { waitFor } from '../../testing/wait.js';
import { startTestS3, type TestS3Server } from '../../testing/s3.js';
import { createAdmin, signUpAndIn, TEST_ORIGIN } from '../../testing/auth.js';
import auth from '../auth/module.js';
import users from '../users/module.js';
import files from './module.js';
import { form, jpegWithGps, pdf, pngBomb } from './test-helpers.js';

const shapes = targets.flatMap((target) => [
  { name: `${target.name} + local folder`, target, s3: false },
  { name: `${target.name} + S3`, target, s3: true },
]);

describe.each(shapes)('files on $name', ({ target, s3: useS3 }) => {
  let t: TestApp;
  let s3: TestS3Server | undefined;
  let user: { token: string; userId: string };
  const bearer = (token = user.token) => ({ authorization: `Bearer ${token}`, origin: TEST_ORIGIN });

  beforeAll(async () => {
    s3 = useS3 ? await startTestS3() : undefined;
    t = await createTestApp({
      target,
      modules: [auth, users, files],
      workers: true,
      config: {
        ...(s3 && { storage: { url: s3.url } }),
        modules: {
          files: {
            quotaBytes: 40_000,
            purposes: { document: { maxBytes: 8000, types: ['application/pdf'], orphanHours: null }, avatar: { public: true, maxBytes: 200_000, types: ['image/jpeg', 'image/png'], maxPixels: 4_000_000, variants: { md: { width: 256, height: 256, fit: 'cover' } } } },
          },
        },
      },
    });
    user = await signUpAndIn(t.app);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await s3?.close();
  });

  const upload = (parts: Parameters<typeof form>[0], opts: { token?: string; truncateAt?: number; lang?: string; url?: string; method?: 'POST' | 'PUT' } = {}) => {
    const f = form(parts, opts);
    return t.app.inject({ method: opts.method ?? 'POST', url: opts.url ?? '/v1/files', headers: { ...bearer(opts.token), ...f.headers, 'accept-language': opts.lang ?? 'en' }, payload: f.payload });
  };
  const fetchUrl = async (url: string) => {
    if (useS3) {
      const r = await fetch(url);
      return { status: r.status, body: Buffer.from(await r.arrayBuffer()), headers: Object.fromEntries(r.headers) };
    }
    const r = await t.app.inject({ method: 'GET', url: url.replace(/^https?:\/\/[^/]+/, '') });
    return { status: r.statusCode, body: r.rawPayload, headers: r.headers as Record<string, string> };
  };
  const objects = async () => {
    const keys: string[] = [];
    for await (const o of t.ctx.storage.list('')) keys.push(o.key);
    return keys;
  };
  const rows = () => t.ctx.db.selectFrom('files' as never).selectAll().execute() as Promise<Array<{ id: string; deleted_at: unknown }>>;
  /** Nothing left by a refused upload: no row, no object, no temporary file. */
  const expectNothingNew = async (before: { rows: number; objects: string[] }) => {
    expect((await rows()).length).toBe(before.rows);
    expect(await objects()).toEqual(before.objects);
    if (!useS3) {
      const tmp = join(String((t.raw.storage as { url: string }).url).slice(5), '.tmp');
      expect(readdirSync(tmp, { withFileTypes: true }).filter((e) => e.isFile())).toEqual([]);
    }
  };
  const snapshot = async () => ({ rows: (await rows()).length, objects: await objects() });

  it('stores a document by its content, never its name, and serves it by a signed link', async () => {
    const bytes = pdf(3000);
    const res = await upload([{ name: 'purpose', value: 'document' }, { name: 'file', filename: '../../etc/pass\u0001wd.pdf', type: 'image/png', data: bytes }]);
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ purpose: 'document', status: 'ready', contentType: 'application/pdf', size: 3000, public: false, name: 'pass_wd.pdf' });
    expect(new URL(body.url).pathname).not.toContain('pass');
    const got = await fetchUrl(body.url);
    expect(got.status).toBe(200);
    expect(Buffer.compare(got.body, bytes)).toBe(0);
    expect(got.headers['cache-control']).toMatch(/^private, max-age=\d+$/);
    expect(got.headers['content-disposition']).toMatch(/^attachment; filename="pass_wd\.pdf"/);
    for (const key of await objects()) expect(key).toMatch(/^(public\/)?files\/[0-9a-f]+\//);
    // Other modules read it back through the service.
    const opened = await t.ctx.services.files.open(body.id);
    expect(Buffer.compare(Buffer.concat(await opened.body.toArray()), bytes)).toBe(0);
    const list = await t.app.inject({ method: 'GET', url: '/v1/files', headers: bearer() });
    expect(list.json().data.map((f: { id: string }) => f.id)).toContain(body.id);
  });

  it('refuses wrong magic bytes, oversized files, bombs and cut bodies in both languages, leaving nothing', async () => {
    const before = await snapshot();
    const fake = await upload([{ name: 'purpose', value: 'avatar' }, { name: 'file', filename: 'me.png', type: 'image/png', data: Buffer.from('<svg onload=alert(1)>not a png</svg>') }], { lang: 'es' });
    expect(fake.statusCode).toBe(415);
    expect(fake.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(fake.json()).toMatchObject({ code: 'file_type_not_allowed', title: 'Tipo de archivo no permitido' });

    const big = await upload([{ name: 'purpose', value: 'document' }, { name: 'file', filename: 'big.pdf', data: pdf(300_000) }]);
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ code: 'file_too_large', title: 'File too large' });
    const bigStream = await upload([{ name: 'purpose', value: 'document' }, { name: 'file', filename: 'big.pdf', data: pdf(9000) }]);
    expect(bigStream.statusCode).toBe(413);

    const bomb = await upload([{ name: 'purpose', value: 'avatar' }, { name: 'file', filename: 'bomb.png', data: pngBomb() }]);
    expect(bomb.statusCode).toBe(422);
    expect(bomb.json()).toMatchObject({ code: 'image_too_large' });
    const wide = await upload([{ name: 'purpose', value: 'avatar' }, { name: 'file', filename: 'wide.jpg', data: await jpegWithGps(4000, 1500) }]);
    expect(wide.statusCode).toBe(422);

    const cut = await upload([{ name: 'purpose', value: 'document' }, { name: 'file', filename: 'cut.pdf', data: pdf(5000) }], { truncateAt: 2500 });
    expect(cut.statusCode).toBe(400);
    expect(cut.json()).toMatchObject({ code: 'upload_incomplete' });

    const noPurpose = await upload([{ name: 'file', filename: 'a.pdf', data: pdf() }]);
    expect(noPurpose.json()).toMatchObject({ status: 400, code: 'file_purpose_unknown' });
    const unknown = await upload([{ name: 'purpose', value: '../etc' }, { name: 'file', filename: 'a.pdf', data: pdf() }]);
    expect(unknown.statusCode).toBe(400);
    const json = await t.app.inject({ method: 'POST', url: '/v1/files', headers: bearer(), payload: { purpose: 'document' } });
    expect(json.json()).toMatchObject({ status: 400, code: 'file_missing' });
    const badge = await upload([{ name: 'purpose', value: 'badge' }, { name: 'file', filename: 'b.png', data: await sharp({ create: { width: 10, height: 10, channels: 3, background: '#fff' } }).png().toBuffer() }]);
    expect(badge.json()).toMatchObject({ status: 403, code: 'file_purpose_forbidden' });
    const anonymous = await t.app.inject({ method: 'POST', url: '/v1/files', ...form([{ name: 'purpose', value: 'document' }, { name: 'file', filename: 'a.pdf', data: pdf() }]) });
    expect(anonymous.statusCode).toBe(401);
    await expectNothingNew(before);
  });

  it('re-encodes images without EXIF/GPS into variants, by a job, at public immutable links', async () => {
    const jpeg = await jpegWithGps(1200, 900);
    expect((await sharp(jpeg).metadata()).exif).toBeDefined();
    const res = await upload([{ name: 'purpose', value: 'avatar' }, { name: 'file', filename: 'IMG_0001.JPG', data: jpeg }]);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ status: 'processing', public: true, contentType: 'image/webp' });
    const id = res.json().id as string;
    const ready = await waitFor(async () => {
      const f = await t.ctx.services.files.get(id);
      return f?.status === 'ready' ? f : null;
    }, 'the image job');
    expect(ready.url).toBe(res.json().url);
    expect(Object.keys(ready.variants).sort()).toEqual(['full', 'md']);
    expect(ready.variants.md).toMatchObject({ width: 256, height: 256 });
    const full = await fetchUrl(ready.url);
    expect(full.status).toBe(200);
    expect(full.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(full.headers['content-type']).toBe('image/webp');
    const meta = await sharp(full.body).metadata();
    expect([meta.format, meta.width, meta.height, meta.exif]).toEqual(['webp', 1200, 900, undefined]);
    expect(ready.url).toContain(ready.sha256.slice(0, 16));
    expect((await objects()).filter((k) => k.includes(id) && k.endsWith('/original'))).toEqual([]);
  });

  it('sets the avatar from an upload, replaces the old one, and direct uploads work too', async () => {
    const u = await signUpAndIn(t.app);
    const first = (await upload([{ name: 'purpose', value: 'avatar' }, { name: 'file', filename: 'a.jpg', data: await jpegWithGps(300, 300) }], { token: u.token })).json();
    const set = await t.app.inject({ method: 'PUT', url: '/v1/profile/avatar', headers: bearer(u.token), payload: { fileId: first.id } });
    expect(set.statusCode, set.body).toBe(200);
    const profile = await t.app.inject({ method: 'GET', url: '/v1/profile', headers: bearer(u.token) });
    expect(profile.json().avatarUrl).toBe(set.json().avatarUrl);
    // Someone else's file is not usable.
    const other = await t.app.inject({ method: 'PUT', url: '/v1/profile/avatar', headers: bearer(), payload: { fileId: first.id } });
    expect(other.json()).toMatchObject({ status: 422, code: 'file_not_attachable' });
    await waitFor(async () => (await t.ctx.services.files.get(first.id))?.status === 'ready', 'first avatar processed');

    const direct = await upload([{ name: 'file', filename: 'b.png', data: await sharp({ create: { width: 50, height: 40, channels: 3, background: '#0af' } }).png().toBuffer() }], { token: u.token, url: '/v1/profile/avatar', method: 'PUT' });
    expect(direct.statusCode, direct.body).toBe(200);
    expect(direct.json().file.purpose).toBe('avatar');
    expect(await t.ctx.services.files.get(first.id)).toBeNull();
    await waitFor(async () => !(await objects()).some((k) => k.includes(first.id)), "the old avatar's objects removed");
    const cleared = await t.app.inject({ method: 'DELETE', url: '/v1/profile/avatar', headers: bearer(u.token) });
    expect(cleared.statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/v1/profile', headers: bearer(u.token) })).json().avatarUrl).toBeNull();
  });

  it('holds the quota under concurrent uploads and frees it on delete', async () => {
    const u = await signUpAndIn(t.app);
    const before = await t.ctx.services.files.usage(u.userId);
    const results = await Promise.all(Array.from({ length: 8 }, () => upload([{ name: 'purpose', value: 'document' }, { name: 'file', filename: 'q.pdf', data: pdf(7000) }], { token: u.token })));
    const ok = results.filter((r) => r.statusCode === 201);
    expect(ok.length).toBe(5); // 40 000 bytes of quota, 7 000 each
    for (const r of results.filter((x) => x.statusCode !== 201)) expect(r.json()).toMatchObject({ status: 413, code: 'file_quota_exceeded' });
    expect(await t.ctx.services.files.usage(u.userId)).toBe(before + 35_000);
    const del = await t.app.inject({ method: 'DELETE', url: `/v1/files/${ok[0].json().id}`, headers: bearer(u.token) });
    expect(del.statusCode).toBe(204);
    expect(await t.ctx.services.files.usage(u.userId)).toBe(before + 28_000);
    expect((await t.app.inject({ method: 'GET', url: `/v1/files/${ok[1].json().id}`, headers: bearer() })).statusCode).toBe(404);
  });

  it('removes orphans by cron, exports a user\'s files and deletes them with the account', async () => {
    const u = await signUpAndIn(t.app);
    const orphan = (await upload([{ name: 'purpose', value: 'avatar' }, { name: 'file', filename: 'o.jpg', data: await jpegWithGps(100, 100) }], { token: u.token })).json();
    const doc = (await upload([{ name: 'purpose', value: 'document' }, { name: 'file', filename: 'keep.pdf', data: pdf() }], { token: u.token })).json();
    await waitFor(async () => (await t.ctx.services.files.get(orphan.id))?.status === 'ready', 'orphan processed');
    expect(await t.ctx.services.files.sweepOrphans(Date.now() + 25 * 3_600_000)).toBeGreaterThanOrEqual(1);
    await t.ctx.services.files.purge();
    expect(await t.ctx.services.files.get(orphan.id)).toBeNull();
    expect((await objects()).some((k) => k.includes(orphan.id))).toBe(false);
    expect(await t.ctx.services.files.get(doc.id)).not.toBeNull(); // documents: orphanHours null

    const exported = await t.app.inject({ method: 'GET', url: '/v1/profile/export', headers: bearer(u.token) });
    const mine = exported.json().modules.files.files as Array<{ id: string; url: string }>;
    expect(mine.map((f) => f.id)).toEqual([doc.id]);
    expect((await fetchUrl(mine[0].url)).status).toBe(200);

    const del = await t.app.inject({ method: 'DELETE', url: '/v1/profile', headers: { cookie: '', ...bearer(u.token) } });
    expect(del.statusCode, del.body).toBeLessThan(300);
    await waitFor(async () => !(await objects()).some((k) => k.includes(doc.id)), "the deleted user's files removed");
    expect(await t.ctx.services.files.usage(u.userId)).toBe(0);
  });

  it('lets admins upload badge images, public', async () => {
    const admin = await createAdmin(t);
    const png = await sharp({ create: { width: 600, height: 600, channels: 4, background: '#fc0' } }).png().toBuffer();
    const res = await upload([{ name: 'purpose', value: 'badge' }, { name: 'file', filename: 'gold.png', data: png }], { token: admin.token });
    expect(res.statusCode, res.body).toBe(201);
    const ready = await waitFor(async () => {
      const f = await t.ctx.services.files.get(res.json().id);
      return f?.status === 'ready' ? f : null;
    }, 'badge processed');
    expect(ready.variants.lg).toMatchObject({ width: 512, height: 512 });
    expect((await fetchUrl(ready.variants.sm.url)).status).toBe(200);
  });
});
