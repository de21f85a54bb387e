import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../testing/app.js';
import { targets } from '../../../testing/targets.js';

describe.each(targets)('ctx.storage and the local storage route on %s', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ target });
  });
  afterAll(() => t.close());

  const path = (url: string) => url.replace(/^https?:\/\/[^/]+/, '');

  it('is the local driver by default, in the folder storage.url names', async () => {
    expect(t.ctx.storage.driver).toBe('local');
    expect((await t.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBeLessThan(500);
  });

  it('serves ranges, revalidation and HEAD, with sandboxing headers', async () => {
    await t.ctx.storage.put('public/r/n.txt', '0123456789', { contentType: 'text/plain', cacheControl: 'public, max-age=31536000, immutable' });
    const url = path(await t.ctx.storage.url('public/r/n.txt'));
    const full = await t.app.inject({ method: 'GET', url });
    expect(full.statusCode).toBe(200);
    expect(full.body).toBe('0123456789');
    expect(full.headers).toMatchObject({
      'content-type': 'text/plain',
      'accept-ranges': 'bytes',
      'cache-control': 'public, max-age=31536000, immutable',
      'content-security-policy': "default-src 'none'; sandbox",
      'cross-origin-resource-policy': 'cross-origin',
      'x-content-type-options': 'nosniff',
    });
    const part = await t.app.inject({ method: 'GET', url, headers: { range: 'bytes=3-5' } });
    expect(part.statusCode).toBe(206);
    expect(part.body).toBe('345');
    expect(part.headers['content-range']).toBe('bytes 3-5/10');
    const suffix = await t.app.inject({ method: 'GET', url, headers: { range: 'bytes=-2' } });
    expect([suffix.statusCode, suffix.body]).toEqual([206, '89']);
    const past = await t.app.inject({ method: 'GET', url, headers: { range: 'bytes=50-', 'accept-language': 'es' } });
    expect(past.statusCode).toBe(416);
    expect(past.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(past.headers['content-range']).toBe('bytes */10');
    expect(past.json()).toMatchObject({ code: 'range_not_satisfiable', title: 'Rango no disponible' });
    const again = await t.app.inject({ method: 'GET', url, headers: { 'if-none-match': String(full.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const head = await t.app.inject({ method: 'HEAD', url });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe('10');
  });

  it('answers problems in both languages for bad, missing and hostile keys', async () => {
    const missing = await t.app.inject({ method: 'GET', url: '/v1/public/storage/public/none', headers: { 'accept-language': 'en' } });
    expect(missing.statusCode).toBe(404);
    for (const url of ['/v1/public/storage/public/..%2f..%2fsecret', '/v1/public/storage/public/%2e%2e/x', '/v1/public/storage/public//x', '/v1/public/storage/']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
    }
    await t.ctx.storage.put('private/p', 'secret');
    const unsigned = await t.app.inject({ method: 'GET', url: '/v1/public/storage/private/p', headers: { 'accept-language': 'en' } });
    expect(unsigned.statusCode).toBe(403);
    expect(unsigned.json()).toMatchObject({ code: 'storage_link_invalid', title: 'Invalid link' });
    const signed = await t.app.inject({ method: 'GET', url: path(await t.ctx.storage.url('private/p')) });
    expect([signed.statusCode, signed.body]).toEqual([200, 'secret']);
  });
});
