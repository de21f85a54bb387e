import { Readable } from 'node:stream';
import type { KernelContext } from '../module.js';
import { newId } from '../ids.js';
import { bufferStream } from './reader.js';
import type { ImportTables } from './migrations.js';
import type { Kysely } from 'kysely';

export interface StoreMeta {
  filename: string;
  contentType: string;
  /** What the file is for (`import`, `export`, `report`): the files module keeps it. */
  purpose: string;
  ownerId: string | null;
  tenantId: string | null;
}

/** Where imports, exports and reports keep their files. */
export interface DataFiles {
  save(content: Buffer, meta: StoreMeta): Promise<string>;
  open(id: string): Promise<Readable>;
}

/** The files module's service, as far as data in/out needs it (typed loosely: it is another owner's module). */
interface FilesServiceLike {
  upload(input: { stream: Readable; filename: string; contentType: string; purpose: string; ownerId?: string | null; tenantId?: string | null }): Promise<{ id: string }>;
  open(id: string): Promise<Readable | { stream: Readable }>;
}

/**
 * Through the files module when it runs (ctx.services.files: durable, S3 at scale); without it,
 * a table in the SQL database, which every replica shares and a container restart keeps.
 */
export function dataFiles(ctx: KernelContext): DataFiles {
  const files = () => (ctx.services as { files?: FilesServiceLike }).files;
  const db = ctx.db as unknown as Kysely<ImportTables>;
  return {
    async save(content, meta) {
      const f = files();
      if (f) return `files:${(await f.upload({ stream: Readable.from([content]), ...meta })).id}`;
      const id = newId();
      await db.insertInto('neptuno_import_blobs').values({ id, content, created_at: new Date().toISOString() }).execute();
      return `blob:${id}`;
    },
    async open(id) {
      if (id.startsWith('files:')) {
        const f = files();
        if (!f) throw new Error('the files module holding this import is not running');
        const opened = await f.open(id.slice(6));
        return opened instanceof Readable ? opened : opened.stream;
      }
      const row = await db.selectFrom('neptuno_import_blobs').select('content').where('id', '=', id.slice(5)).executeTakeFirstOrThrow();
      return bufferStream(Buffer.from(row.content));
    },
  };
}
