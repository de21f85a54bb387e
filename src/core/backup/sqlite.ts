import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import SQLite from 'better-sqlite3';

/**
 * SQLite through its online backup API (better-sqlite3's `backup()`): pages are copied while the
 * server keeps reading and writing (WAL mode), and the copy is one consistent state of the
 * database, unlike copying the file (which can catch a half-written page or miss the WAL).
 */
export async function snapshotSqlite(file: string, into: string): Promise<void> {
  if (!existsSync(file)) throw new Error(`The SQLite database ${file} does not exist`);
  const source = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    // Other processes may be writing: wait for their locks instead of failing.
    source.pragma('busy_timeout = 5000');
    await source.backup(into);
  } finally {
    source.close();
  }
}

/** Rows per table and the migration state of a SQLite file (the snapshot, not the live database). */
export function inspectSqlite(file: string): { tables: Record<string, number>; lastMigration: string | null; migrations: number } {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    const names = db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").pluck().all() as string[];
    const tables: Record<string, number> = {};
    for (const n of names) tables[n] = Number(db.prepare(`select count(*) from "${n.replace(/"/g, '""')}"`).pluck().get());
    let lastMigration: string | null = null;
    let migrations = 0;
    if (names.includes('neptuno_migrations')) {
      migrations = tables.neptuno_migrations;
      lastMigration = (db.prepare('select name from neptuno_migrations order by timestamp desc, name desc limit 1').pluck().get() as string | undefined) ?? null;
    }
    return { tables, lastMigration, migrations };
  } finally {
    db.close();
  }
}

/** Checks the file is a sound SQLite database (integrity_check), throwing with SQLite's own words otherwise. */
export function checkSqlite(file: string): void {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    const result = db.pragma('integrity_check', { simple: true });
    if (result !== 'ok') throw new Error(`integrity_check: ${String(result)}`);
  } finally {
    db.close();
  }
}

export const gzipFile = (file: string): Readable => createReadStream(file).pipe(createGzip());

/** Writes the gzipped stream to `into` (decompressed). */
export async function gunzipTo(body: Readable, into: string): Promise<void> {
  await pipeline(body, createGunzip(), createWriteStream(into, { mode: 0o600 }));
}

/**
 * Puts `restored` in place of the database file: the old WAL and shared-memory files go first
 * (they belong to the old database and SQLite would replay the WAL over the restored file).
 */
export async function replaceSqlite(restored: string, file: string): Promise<void> {
  for (const suffix of ['-wal', '-shm', '-journal']) await rm(`${file}${suffix}`, { force: true });
  await rename(restored, file);
}
