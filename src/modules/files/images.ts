import sharp from 'sharp';
import { typedDb } from '../../core/db/dialect.js';
import type { ModuleContext } from '../../core/module.js';
import type { FilesConfig } from './config.js';
import type { FilesTables, VariantInfo } from './schema.js';
import type { FilesService } from './service.js';
import { originalKey, variantKey } from './keys.js';

/** The `full` variant: the whole image re-encoded (no metadata), at most this many pixels a side. */
const FULL_SIDE = 2048;

/**
 * The `files.process` job: re-encodes an uploaded image into its purpose's variants (WebP, no
 * EXIF/GPS or other metadata: sharp keeps none unless asked), auto-rotated first, then deletes the
 * original. sharp refuses more than the purpose's maxPixels (decompression bombs). Idempotent: a
 * file no longer processing is left alone; a rerun rewrites the same keys.
 */
export async function processImage(id: string, ctx: ModuleContext<FilesConfig>, files: FilesService): Promise<void> {
  const db = typedDb<FilesTables>(ctx);
  const row = await db.selectFrom('files').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || row.status !== 'processing' || row.deleted_at) return;
  const purpose = files.purposes.get(row.purpose);
  const isPublic = ctx.storage.isPublic(row.key);
  const obj = await ctx.storage.get(originalKey(id));
  if (!obj) return void (await db.updateTable('files').set({ status: 'failed' }).where('id', '=', id).where('status', '=', 'processing').execute());
  // Images are small next to their maxBytes limit: one buffer, decoded once per variant by sharp.
  const input = Buffer.concat(await obj.body.toArray());
  const variants: Record<string, VariantInfo> = {};
  try {
    const base = sharp(input, { limitInputPixels: purpose?.maxPixels ?? 40_000_000, failOn: 'error' }).rotate();
    const wanted = { full: { width: FULL_SIDE, height: FULL_SIDE, fit: 'inside' as const }, ...(purpose?.variants ?? {}) };
    for (const [name, v] of Object.entries(wanted)) {
      const { data, info } = await base
        .clone()
        .resize({ width: v.width, height: v.height ?? v.width, fit: v.fit, withoutEnlargement: true })
        .webp({ quality: 82 })
        .toBuffer({ resolveWithObject: true });
      const key = variantKey(id, isPublic, row.sha256, name);
      await ctx.storage.put(key, data, { contentType: 'image/webp', cacheControl: isPublic ? 'public, max-age=31536000, immutable' : 'private, no-cache' });
      variants[name] = { key, width: info.width, height: info.height, size: info.size };
    }
  } catch (err) {
    // A file sharp cannot decode will not decode on a retry either: failed, original removed.
    ctx.log.warn({ err, fileId: id }, 'image could not be processed');
    for (const v of Object.values(variants)) await ctx.storage.delete(v.key);
    await db.updateTable('files').set({ status: 'failed' }).where('id', '=', id).where('status', '=', 'processing').execute();
    await ctx.storage.delete(originalKey(id));
    return;
  }
  await db
    .updateTable('files')
    .set({ status: 'ready', key: variants.full.key, variants: JSON.stringify(variants) })
    .where('id', '=', id)
    .where('status', '=', 'processing')
    .execute();
  await ctx.storage.delete(originalKey(id));
}
