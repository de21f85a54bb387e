import { Type } from 'typebox';
import type { App } from '../../module.js';
import { forbidden, notFound, problem } from '../../http/problem.js';
import { StorageKeyError, StorageRangeError, type ByteRange } from './contract.js';
import { contentDisposition } from './keys.js';
import { LOCAL_ROUTE_PREFIX, type LocalStorage } from './local.js';

/** `bytes=a-b`, `bytes=a-`, `bytes=-n`; anything else (several ranges too) is ignored: the whole object. */
function parseRange(header: string | undefined, size: () => Promise<number>): Promise<ByteRange | undefined> | undefined {
  const m = header ? /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim()) : null;
  if (!m || (!m[1] && !m[2])) return undefined;
  if (m[1]) return Promise.resolve({ start: Number(m[1]), end: m[2] ? Number(m[2]) : undefined });
  return size().then((n) => ({ start: Math.max(0, n - Number(m[2])), end: n - 1 }));
}

/**
 * Serves the local driver's objects at `/v1/public/storage/<key>` (S3 serves its own): keys
 * under `public/` to anyone, others only with a valid, unexpired signature (`url()`). Ranges,
 * ETag revalidation and HEAD work; objects are sandboxed (CSP) so an uploaded page or SVG can
 * never run script on the API's origin.
 */
export function installStorageRoute(server: App, storage: LocalStorage): void {
  server.get(
    `${LOCAL_ROUTE_PREFIX}*`,
    {
      config: { scope: 'public' },
      schema: {
        hide: true,
        params: Type.Object({ '*': Type.String({ maxLength: 1100 }) }),
        querystring: Type.Object({
          exp: Type.Optional(Type.String({ maxLength: 20 })),
          sig: Type.Optional(Type.String({ maxLength: 100 })),
          dl: Type.Optional(Type.String({ maxLength: 255 })),
        }),
      },
    },
    async (req, reply) => {
      const key = req.params['*'];
      const isPublic = storage.isPublic(key);
      if (!isPublic && !storage.verifyUrl(key, req.query)) throw forbidden('storage_link_invalid');
      try {
        const range = await parseRange(req.headers.range, async () => (await storage.head(key))?.size ?? 0);
        const ifNoneMatch = req.headers['if-none-match'];
        if (ifNoneMatch && !range) {
          const info = await storage.head(key);
          if (info && ifNoneMatch.split(',').some((t) => t.trim() === info.etag)) {
            reply.header('etag', info.etag).header('cache-control', cacheControl(isPublic, info.cacheControl, req.query.exp));
            return reply.code(304).send();
          }
        }
        const obj = await storage.get(key, { range });
        if (!obj) throw notFound();
        reply
          .header('content-type', obj.contentType)
          .header('content-length', obj.range ? obj.range.end - obj.range.start + 1 : obj.size)
          .header('etag', obj.etag)
          .header('last-modified', obj.lastModified.toUTCString())
          .header('accept-ranges', 'bytes')
          .header('cache-control', cacheControl(isPublic, obj.cacheControl, req.query.exp))
          .header('content-disposition', contentDisposition(req.query.dl ? 'attachment' : 'inline', req.query.dl))
          .header('content-security-policy', "default-src 'none'; sandbox")
          // Front-ends on other sites embed these (avatars, badges): not limited to this site.
          .header('cross-origin-resource-policy', 'cross-origin');
        if (obj.range) reply.code(206).header('content-range', `bytes ${obj.range.start}-${obj.range.end}/${obj.size}`);
        return reply.send(obj.body);
      } catch (err) {
        if (err instanceof StorageKeyError) throw notFound();
        if (err instanceof StorageRangeError) {
          throw problem(416, 'range_not_satisfiable', { params: { size: err.size }, headers: { 'content-range': `bytes */${err.size}` } });
        }
        throw err;
      }
    },
  );
}

/** Public objects keep what was stored with them; a private link may be cached privately while it lives. */
function cacheControl(isPublic: boolean, stored: string | null, exp: string | undefined): string {
  if (isPublic) return stored ?? 'public, max-age=3600';
  const left = Math.max(0, Number(exp) - Math.floor(Date.now() / 1000));
  return `private, max-age=${left}`;
}
