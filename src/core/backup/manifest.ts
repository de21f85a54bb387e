import { createHash, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { Dialect } from '../db/database.js';

export const MANIFEST = 'manifest.json';

/** One stored artifact: its name inside the backup, size and SHA-256 of the stored bytes. */
export interface ArtifactInfo {
  name: string;
  bytes: number;
  sha256: string;
}

/** What a backup holds, written last (a backup without a manifest is incomplete and ignored). */
export interface BackupManifest {
  format: 1;
  id: string;
  createdAt: string;
  /** `manual` (neptuno backup create) or `scheduled` (the cron; only these are pruned by retention). */
  kind: 'manual' | 'scheduled';
  dialect: Dialect;
  /** The last migration applied and how many (neptuno_migrations), so a restore can tell a schema older than the code. */
  schema: { lastMigration: string | null; migrations: number };
  /** PostgreSQL: the schema dumped (the connection's search_path), or null for the whole database. */
  pgSchema: string | null;
  database: ArtifactInfo & { format: 'sqlite.gz' | 'pg_dump.custom' };
  /** Rows per table at the moment of the backup (the same snapshot as the dump). */
  tables: Record<string, number>;
  /** The local files folder, one artifact per file (`files/<path>`); null when not included. */
  files: { root: string; items: ArtifactInfo[] } | null;
  neptuno: string | null;
}

/** Sortable, readable ids: `20261129T231502Z-3fa9`. */
export function newBackupId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')}-${randomBytes(2).toString('hex')}`;
}

export const BACKUP_ID = /^\d{8}T\d{6}Z-[0-9a-f]{4}$/;

/** Passes bytes through while counting them and computing their SHA-256. */
export class Checksum extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
