import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDatabase } from '../db/database.js';
import { migrateDatabase, type MigrationSource } from '../db/migrate.js';
import type { BackupSource } from './backup.js';
import { BackupError, fetchDatabase } from './backup.js';
import type { BackupManifest } from './manifest.js';
import { inspect, restorePostgres, scratchDatabase } from './postgres.js';
import { checkSqlite, inspectSqlite } from './sqlite.js';

export interface VerifyReport {
  id: string;
  /** Every artifact matched its checksum. */
  artifacts: number;
  /** Tables whose row count matched the manifest (all of them, or verify throws). */
  tables: number;
  rows: number;
  /** Migrations the current code applied on top of the restored copy. */
  migrationsApplied: number;
  scratch: string;
}

/** Every file of the backup read back and hashed: a missing or altered one fails. */
async function checkFiles(src: BackupSource, m: BackupManifest): Promise<number> {
  for (const item of m.files?.items ?? []) {
    const body = await src.destination.read(m.id, `files/${item.name}`);
    if (!body) throw new BackupError(`Backup ${m.id} is missing the file ${item.name}`);
    const hash = createHash('sha256');
    for await (const chunk of body) hash.update(chunk as Buffer);
    if (hash.digest('hex') !== item.sha256) throw new BackupError(`Backup ${m.id}: the file ${item.name} does not match its checksum`);
  }
  return m.files?.items.length ?? 0;
}

function compareCounts(m: BackupManifest, found: Record<string, number>): { tables: number; rows: number } {
  let rows = 0;
  for (const [table, n] of Object.entries(m.tables)) {
    if (found[table] !== n) throw new BackupError(`Backup ${m.id}: table ${table} has ${found[table] ?? 'no'} rows once restored, the manifest says ${n}`);
    rows += n;
  }
  return { tables: Object.keys(m.tables).length, rows };
}

/**
 * Restores the backup somewhere that is not the configured database — a temporary SQLite file, or
 * a scratch PostgreSQL database created beside the configured one and dropped afterwards — then
 * checks that it opens (SQLite integrity_check), holds exactly the manifest's rows per table, and
 * that the current code's migrations run on it.
 */
export async function verifyInScratch(src: BackupSource, m: BackupManifest, migrations: MigrationSource[]): Promise<VerifyReport> {
  const artifacts = 1 + (await checkFiles(src, m));
  const work = await mkdtemp(join(tmpdir(), 'neptuno-verify-'));
  try {
    if (m.dialect === 'sqlite') {
      const file = join(work, 'verify.db');
      await fetchDatabase(src.destination, m, file);
      checkSqlite(file);
      const counts = compareCounts(m, inspectSqlite(file).tables);
      const database = createDatabase({ url: `sqlite:${file}` });
      try {
        const applied = (await migrateDatabase(database, migrations)) ?? [];
        return { id: m.id, artifacts, ...counts, migrationsApplied: applied.length, scratch: `temporary SQLite file ${file}` };
      } finally {
        await database.destroy();
      }
    }
    const dump = join(work, 'database.dump');
    await fetchDatabase(src.destination, m, dump);
    const scratch = await scratchDatabase(src.config.database.url).catch((err: Error) => {
      throw new BackupError(`Could not create a scratch database to verify into (the database user needs CREATEDB): ${err.message}`);
    });
    try {
      await restorePostgres(scratch.url, dump, m.pgSchema, { pgRestore: src.config.backups.pgRestore, psql: src.config.backups.psql });
      const client = new pg.Client({ connectionString: scratch.url });
      await client.connect();
      let counts;
      try {
        counts = compareCounts(m, (await inspect(client, m.pgSchema ?? 'public')).tables);
      } finally {
        await client.end();
      }
      const database = createDatabase({ url: scratch.url, schema: m.pgSchema ?? undefined });
      try {
        const applied = (await migrateDatabase(database, migrations)) ?? [];
        return { id: m.id, artifacts, ...counts, migrationsApplied: applied.length, scratch: `scratch PostgreSQL database ${new URL(scratch.url).pathname.slice(1)}` };
      } finally {
        await database.destroy();
      }
    } finally {
      await scratch.drop();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
