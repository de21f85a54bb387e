import { Type, type Static } from 'typebox';
import { toIso, toIsoOrNull } from '../../core/db/dialect.js';
import type { Storage } from '../../core/drivers/storage/contract.js';
import type { FileRow, VariantInfo } from './schema.js';

export const FileView = Type.Object({
  id: Type.String(),
  purpose: Type.String(),
  status: Type.Union([Type.Literal('processing'), Type.Literal('ready'), Type.Literal('failed')]),
  name: Type.String(),
  contentType: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
  public: Type.Boolean(),
  /** Public: permanent. Private: signed, expires (fetch a new one from GET /v1/files/:id). For images, works once ready. */
  url: Type.String(),
  variants: Type.Record(Type.String(), Type.Object({ url: Type.String(), width: Type.Integer(), height: Type.Integer() })),
  attached: Type.Boolean(),
  createdAt: Type.String(),
});
export type FileView = Static<typeof FileView>;

/** What callers see of a file: links instead of storage keys. */
export async function viewOf(row: FileRow, storage: Storage, expiresIn: number | undefined): Promise<FileView> {
  const variants: FileView['variants'] = {};
  for (const [name, v] of Object.entries(JSON.parse(row.variants) as Record<string, VariantInfo>)) {
    variants[name] = { url: await storage.url(v.key, { expiresIn }), width: v.width, height: v.height };
  }
  return {
    id: row.id,
    purpose: row.purpose,
    status: row.status,
    name: row.name,
    contentType: row.content_type,
    size: Number(row.size),
    sha256: row.sha256,
    public: storage.isPublic(row.key),
    url: await storage.url(row.key, { expiresIn, download: storage.isPublic(row.key) ? undefined : row.name }),
    variants,
    attached: toIsoOrNull(row.attached_at) !== null,
    createdAt: toIso(row.created_at),
  };
}
