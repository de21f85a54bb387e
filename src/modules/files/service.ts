import type { Readable } from 'node:stream';
import { sql } from 'kysely';
import { typedDb, typedTrx, forUpdate } from '../../core/db/dialect.js';
import { newId } from '../../core/ids.js';
import { badRequest, notFound, problem, unprocessable } from '../../core/http/problem.js';
import type { ModuleContext } from '../../core/module.js';
import type { FilesConfig, PurposeInput, Purpose } from './config.js';
import { Purposes } from './purposes.js';
import type { FileRow, FilesTables, FilesTrx } from './schema.js';
import { EXT, keysOf, limit, multipartTooLarge, originalKey, TooLarge, variantKey } from './keys.js';
import { cleanName, detectType, HEAD_BYTES, imageSize, isImage, readHead } from './sniff.js';
import { viewOf, type FileView } from './view.js';

export interface CreateFileInput {
  purpose: string;
  /** The user the file counts against (quota, export, deletion); null for system files. */
  ownerId: string | null;
  /** The bytes; read once, streamed to storage (only the first 256 KiB are held, to detect the type). */
  stream: Readable;
  /** As the client named it: only shown, never used in a key or path. */
  filename?: string;
  /** As declared: only used to tell CSV, JSON and plain text apart (they have no magic bytes). */
  contentType?: string;
}


/**
 * Uploads for every module (`ctx.services.files`, docs/files.md): validated by content, stored
 * through ctx.storage, counted against the owner's quota, images re-encoded by a job; attach
 * marks a file as used (else the orphans cron removes it), delete frees the quota at once and the
 * purge cron removes the bytes.
 */
export class FilesService {
  readonly purposes: Purposes;
  private readonly db;

  constructor(private readonly ctx: ModuleContext<FilesConfig>) {
    this.purposes = new Purposes(ctx.config);
    this.db = typedDb<FilesTables>(ctx);
  }

  /** Declares an upload purpose (user modules: in `start` or their services factory). */
  definePurpose(name: string, input: PurposeInput): Purpose {
    return this.purposes.define(name, input);
  }

  private get expiresIn() {
    return this.ctx.config.linkExpiresIn ?? undefined;
  }

  view(row: FileRow): Promise<FileView> {
    return viewOf(row, this.ctx.storage, this.expiresIn);
  }

  purpose(name: string): Purpose {
    const p = this.purposes.get(name);
    if (!p) throw badRequest('file_purpose_unknown', { params: { purposes: this.purposes.names().join(', ') } });
    return p;
  }

  /**
   * Stores an upload after checking its content: type by magic bytes, size, image dimensions,
   * the owner's quota. Whatever fails leaves no row and no object behind.
   */
  async create(input: CreateFileInput): Promise<FileView> {
    const purpose = this.purpose(input.purpose);
    const quota = this.ctx.config.quotaBytes;
    if (input.ownerId && (await this.usage(input.ownerId)) >= quota) throw problem(413, 'file_quota_exceeded', { params: { quota } });
    let head: Buffer, whole: Readable;
    try {
      ({ head, whole } = await readHead(input.stream));
    } catch (err) {
      throw this.streamProblem(err, input.purpose, purpose);
    }
    const complete = head.length < HEAD_BYTES;
    const type = head.length === 0 ? null : await detectType(head, complete, { mimetype: input.contentType, filename: input.filename }, purpose.types);
    if (!type) throw problem(415, 'file_type_not_allowed', { params: { purpose: input.purpose, types: purpose.types.join(', ') } });
    if (complete && head.length > purpose.maxBytes) throw this.tooLarge(input.purpose, purpose);
    const image = isImage(type);
    if (image) {
      const size = await imageSize(head, type);
      if (!size) throw unprocessable('image_unreadable');
      if (size.width * size.height > purpose.maxPixels) throw unprocessable('image_too_large', { params: { pixels: size.width * size.height, max: purpose.maxPixels } });
    }

    const id = newId();
    // Images land privately as they came (EXIF and all) until the job has re-encoded them.
    const uploadKey = image ? originalKey(id) : `${purpose.public ? 'public/' : ''}files/${id}/file.${EXT[type] ?? 'bin'}`;
    let stored;
    const limiter = limit(purpose.maxBytes);
    whole.once('error', (err) => limiter.destroy(err));
    // Its errors reach us through put()'s rejection; this keeps a late one from going unhandled.
    limiter.on('error', () => {});
    whole.pipe(limiter);
    try {
      stored = await this.ctx.storage.put(uploadKey, limiter, {
        contentType: type,
        // Never rewritten (a new upload is a new id): caches may keep public files for good.
        cacheControl: purpose.public ? 'public, max-age=31536000, immutable' : 'private, no-cache',
      });
    } catch (err) {
      whole.destroy();
      throw this.streamProblem(err, input.purpose, purpose);
    }

    const now = new Date().toISOString();
    const row: FileRow = {
      id,
      owner_id: input.ownerId,
      purpose: input.purpose,
      status: image ? 'processing' : 'ready',
      key: image ? variantKey(id, purpose.public, stored.sha256, 'full') : uploadKey,
      content_type: image ? 'image/webp' : type,
      size: stored.size,
      sha256: stored.sha256,
      name: cleanName(input.filename, `${input.purpose}.${image ? 'webp' : (EXT[type] ?? 'bin')}`),
      variants: '{}',
      ref: null,
      attached_at: null,
      deleted_at: null,
      created_at: now,
    };
    try {
      await this.ctx.tx(async (tx) => {
        const trx = typedTrx<FilesTables>(tx);
        if (input.ownerId) await this.charge(trx, input.ownerId, stored.size, quota);
        await trx.insertInto('files').values(row).execute();
        if (image) tx.enqueue('files.process', { id });
      });
    } catch (err) {
      await this.ctx.storage.delete(uploadKey).catch((e: unknown) => this.ctx.log.warn({ err: e, key: uploadKey }, 'could not remove a refused upload'));
      throw err;
    }
    return this.view(row);
  }

  /** What a failing upload stream means for the client: too large, cut short, or our own failure (rethrown). */
  private streamProblem(err: unknown, name: string, purpose: Purpose): unknown {
    if (err instanceof TooLarge || multipartTooLarge(err)) return this.tooLarge(name, purpose);
    if (err instanceof Error && /end of (form|multipart)|unexpected end|aborted|premature|part terminated/i.test(err.message)) return badRequest('upload_incomplete');
    return err;
  }

  /** `create` under the name the data import/export helper calls (tenantId is not kept yet). */
  upload(input: Omit<CreateFileInput, 'ownerId'> & { ownerId?: string | null; tenantId?: string | null }): Promise<FileView> {
    return this.create({ purpose: input.purpose, ownerId: input.ownerId ?? null, stream: input.stream, filename: input.filename, contentType: input.contentType });
  }

  private tooLarge(name: string, purpose: Purpose) {
    return problem(413, 'file_too_large', { params: { purpose: name, max: purpose.maxBytes } });
  }

  /** Adds size to the owner's usage unless that passes the quota (one guarded UPDATE: concurrent uploads cannot both slip in). */
  private async charge(trx: FilesTrx, ownerId: string, size: number, quota: number) {
    await trx.insertInto('file_usage').values({ owner_id: ownerId, bytes: 0 }).onConflict((oc) => oc.column('owner_id').doNothing()).execute();
    const r = await trx
      .updateTable('file_usage')
      .set({ bytes: sql`bytes + ${size}` })
      .where('owner_id', '=', ownerId)
      .where(sql<boolean>`bytes + ${size} <= ${quota}`)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw problem(413, 'file_quota_exceeded', { params: { quota } });
  }

  /** Bytes the owner keeps stored. */
  async usage(ownerId: string): Promise<number> {
    const r = await this.db.selectFrom('file_usage').select('bytes').where('owner_id', '=', ownerId).executeTakeFirst();
    return Number(r?.bytes ?? 0);
  }

  async row(id: string): Promise<FileRow | undefined> {
    if (typeof id !== 'string' || id.length > 40) return undefined;
    return this.db.selectFrom('files').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  }

  async get(id: string): Promise<FileView | null> {
    const row = await this.row(id);
    return row ? this.view(row) : null;
  }

  /** The stored bytes of a ready file (an image's re-encoded `full` variant), e.g. for an import to parse. */
  async open(id: string): Promise<{ file: FileView; body: Readable; stream: Readable; size: number; contentType: string }> {
    const row = await this.row(id);
    if (!row) throw notFound('file_not_found');
    if (row.status !== 'ready') throw problem(409, 'file_not_ready');
    const obj = await this.ctx.storage.get(row.key);
    if (!obj) throw notFound('file_not_found');
    return { file: await this.view(row), body: obj.body, stream: obj.body, size: obj.size, contentType: obj.contentType };
  }

  /**
   * Marks a file as used by `ref` (so the orphans cron keeps it). `exclusive`: any other file
   * attached to the same ref is deleted (an avatar replaced). `ownerId`/`purpose`: the file must
   * be that user's and uploaded for that purpose, else 422 `file_not_attachable`.
   */
  async attach(id: string, opts: { ref: string; ownerId?: string; purpose?: string; exclusive?: boolean }): Promise<FileView> {
    const { row, replaced } = await this.ctx.tx(async (tx) => {
      const trx = typedTrx<FilesTables>(tx);
      const row = await trx.selectFrom('files').selectAll().where('id', '=', id).where('deleted_at', 'is', null).$call(forUpdate(this.ctx.dialect)).executeTakeFirst();
      if (!row || (opts.ownerId !== undefined && row.owner_id !== opts.ownerId) || (opts.purpose && row.purpose !== opts.purpose) || row.status === 'failed') {
        throw unprocessable('file_not_attachable', { params: { purpose: opts.purpose ?? row?.purpose ?? '-' } });
      }
      const now = new Date().toISOString();
      await trx.updateTable('files').set({ ref: opts.ref, attached_at: row.attached_at ?? now }).where('id', '=', id).execute();
      const replaced = opts.exclusive ? await this.softDelete(trx, (q) => q.where('ref', '=', opts.ref).where('id', '!=', id)) : [];
      return { row: { ...row, ref: opts.ref, attached_at: row.attached_at ?? now }, replaced };
    });
    this.removeSoon(replaced);
    return this.view(row);
  }

  /** Deletes a file (idempotent): its quota is freed now, its bytes right after commit (the purge cron retries). */
  async delete(id: string): Promise<boolean> {
    const gone = await this.ctx.tx((tx) => this.softDelete(typedTrx<FilesTables>(tx), (q) => q.where('id', '=', id)));
    this.removeSoon(gone);
    return gone.length > 0;
  }

  /** Deletes every file attached to ref (an avatar cleared). */
  async deleteByRef(ref: string): Promise<number> {
    const gone = await this.ctx.tx((tx) => this.softDelete(typedTrx<FilesTables>(tx), (q) => q.where('ref', '=', ref)));
    this.removeSoon(gone);
    return gone.length;
  }

  /** Every file of a user (account deletion). */
  async deleteOwner(ownerId: string): Promise<number> {
    const gone = await this.ctx.tx((tx) => this.softDelete(typedTrx<FilesTables>(tx), (q) => q.where('owner_id', '=', ownerId)));
    this.removeSoon(gone);
    return gone.length;
  }

  private async softDelete(trx: FilesTrx, where: (q: LiveFiles) => LiveFiles): Promise<FileRow[]> {
    const rows = await where(liveFiles(trx)).execute();
    if (!rows.length) return [];
    const now = new Date().toISOString();
    for (const r of rows) {
      const done = await trx.updateTable('files').set({ deleted_at: now }).where('id', '=', r.id).where('deleted_at', 'is', null).executeTakeFirst();
      if (Number(done.numUpdatedRows) === 1 && r.owner_id) {
        await trx.updateTable('file_usage').set({ bytes: sql`case when bytes >= ${Number(r.size)} then bytes - ${Number(r.size)} else 0 end` }).where('owner_id', '=', r.owner_id).execute();
      }
    }
    return rows;
  }

  /** Best effort after commit; whatever fails stays for the purge cron. */
  private removeSoon(rows: FileRow[]) {
    if (!rows.length) return;
    void this.purge(rows.map((r) => r.id)).catch((err: unknown) => this.ctx.log.warn({ err }, 'files: removal postponed to the purge cron'));
  }

  /** Removes the bytes of deleted files, then their rows (the `purge` cron; ids: only those). */
  async purge(ids?: string[]): Promise<number> {
    let q = this.db.selectFrom('files').selectAll().where('deleted_at', 'is not', null).limit(500);
    if (ids) q = q.where('id', 'in', ids);
    const rows = await q.execute();
    for (const row of rows) {
      for (const key of keysOf(row)) await this.ctx.storage.delete(key);
      await this.db.deleteFrom('files').where('id', '=', row.id).where('deleted_at', 'is not', null).execute();
    }
    return rows.length;
  }

  /** Deletes uploads never attached within their purpose's orphanHours (the `orphans` cron). */
  async sweepOrphans(now = Date.now()): Promise<number> {
    let n = 0;
    for (const name of this.purposes.names()) {
      const hours = this.purposes.get(name)!.orphanHours;
      if (hours === null) continue;
      const before = new Date(now - hours * 3_600_000).toISOString();
      const gone = await this.ctx.tx((tx) =>
        this.softDelete(typedTrx<FilesTables>(tx), (q) => q.where('purpose', '=', name).where('attached_at', 'is', null).where('created_at', '<', before)),
      );
      n += gone.length;
    }
    return n;
  }

  /** A user's files for the privacy export (links included; private ones expire). */
  async exportOwner(ownerId: string): Promise<FileView[]> {
    const rows = await this.db.selectFrom('files').selectAll().where('owner_id', '=', ownerId).where('deleted_at', 'is', null).orderBy('id').execute();
    return Promise.all(rows.map((r) => this.view(r)));
  }

  async list(ownerId: string, opts: { limit: number; after?: string }): Promise<FileRow[]> {
    let q = this.db.selectFrom('files').selectAll().where('owner_id', '=', ownerId).where('deleted_at', 'is', null).orderBy('id', 'desc').limit(opts.limit + 1);
    if (opts.after) q = q.where('id', '<', opts.after);
    return q.execute();
  }
}

const liveFiles = (trx: FilesTrx) => trx.selectFrom('files').selectAll().where('deleted_at', 'is', null);
type LiveFiles = ReturnType<typeof liveFiles>;

