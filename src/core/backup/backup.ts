import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { AppConfig } from '../config/schema.js';
import { createDatabase, parseDatabaseUrl } from '../db/database.js';
import type { MigrationSource } from '../db/migrate.js';
import { fromText, readText, type BackupDestination } from './destination.js';
import { backupFiles, localFilesFolder, restoreFiles } from './files.js';
import { liveInstances, type LiveInstance } from './heartbeat.js';
import { BACKUP_ID, Checksum, MANIFEST, newBackupId, type BackupManifest } from './manifest.js';
import { dumpPostgres, readDump, restorePostgres, searchPathSchema } from './postgres.js';
import { gunzipTo, gzipFile, inspectSqlite, replaceSqlite, snapshotSqlite } from './sqlite.js';
import { verifyInScratch } from './verify.js';
import { expiredBackups, type KeepPolicy } from './retention.js';

export interface BackupSource {
  config: AppConfig;
  destination: BackupDestination;
  /** Base of relative paths in the config (database file, dataDir); default process.cwd(). */
  cwd?: string;
}

/** An operator's mistake (unknown id, database in use…): the CLI prints the message, no stack. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

/** The package version (src/ and dist/ are both three levels under the package root). */
async function neptunoVersion(): Promise<string | null> {
  try {
    return (JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

const sqlitePath = (config: AppConfig, cwd: string) => resolve(cwd, parseDatabaseUrl(config.database.url).target);

/**
 * Backs up the database and the local files folder into the destination; the manifest is written
 * last, so a backup interrupted half-way has none and is listed as incomplete, never restored.
 */
export async function createBackup(src: BackupSource, opts: { kind?: 'manual' | 'scheduled'; now?: Date } = {}): Promise<BackupManifest> {
  const { config, destination } = src;
  const cwd = src.cwd ?? process.cwd();
  const { dialect } = parseDatabaseUrl(config.database.url);
  const id = newBackupId(opts.now);
  const work = await mkdtemp(join(tmpdir(), 'neptuno-backup-'));
  try {
    let manifest: Omit<BackupManifest, 'files'>;
    const createdAt = (opts.now ?? new Date()).toISOString();
    const base = { format: 1 as const, id, createdAt, kind: opts.kind ?? 'manual', dialect, neptuno: await neptunoVersion() };
    if (dialect === 'sqlite') {
      const copy = join(work, 'database.sqlite');
      await snapshotSqlite(sqlitePath(config, cwd), copy);
      const inspected = inspectSqlite(copy);
      const info = await destination.write(id, 'database.sqlite.gz', gzipFile(copy));
      manifest = { ...base, schema: { lastMigration: inspected.lastMigration, migrations: inspected.migrations }, pgSchema: null, database: { ...info, format: 'sqlite.gz' }, tables: inspected.tables };
    } else {
      const dump = join(work, 'database.dump');
      const snap = await dumpPostgres(config.database.url, dump, config.backups.pgDump);
      const info = await destination.write(id, 'database.dump', readDump(dump));
      manifest = { ...base, schema: { lastMigration: snap.lastMigration, migrations: snap.migrations }, pgSchema: snap.schema, database: { ...info, format: 'pg_dump.custom' }, tables: snap.tables };
    }
    let files: BackupManifest['files'] = null;
    const root = config.backups.files ? localFilesFolder(config, cwd) : null;
    if (root) {
      // Backups kept inside the files folder (a directory there, or storage on the local driver) are not files to back up.
      // (The local storage driver keeps each object's metadata under .meta/<key>.json.)
      const prefix = config.backups.storagePrefix.replace(/\/+$/, '');
      const skip = [resolve(cwd, config.backups.destination), ...(prefix ? [join(root, prefix), join(root, '.meta', prefix)] : [])];
      files = { root, items: await backupFiles(destination, id, root, skip) };
    }
    const full: BackupManifest = { ...manifest, files };
    await destination.write(id, MANIFEST, fromText(`${JSON.stringify(full, null, 2)}\n`));
    return full;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface ListedBackup {
  id: string;
  /** null: no manifest (interrupted or still being written). */
  manifest: BackupManifest | null;
}

/** Every backup in the destination, newest first. */
export async function listBackups(destination: BackupDestination): Promise<ListedBackup[]> {
  const ids = (await destination.ids()).sort().reverse();
  return Promise.all(ids.map(async (id) => ({ id, manifest: await readManifest(destination, id).catch(() => null) })));
}

export async function readManifest(destination: BackupDestination, id: string): Promise<BackupManifest> {
  if (!BACKUP_ID.test(id)) throw new BackupError(`"${id}" is not a backup id (they look like 20261129T231502Z-3fa9; see neptuno backup list)`);
  const text = await readText(destination, id, MANIFEST);
  if (text === null) throw new BackupError(`No complete backup ${id} in ${destination.description} (see neptuno backup list)`);
  return JSON.parse(text) as BackupManifest;
}

/** Downloads the database artifact to `into`, checking its checksum (SQLite: decompressed). */
export async function fetchDatabase(destination: BackupDestination, m: BackupManifest, into: string): Promise<void> {
  const name = m.database.name;
  const body = await destination.read(m.id, name);
  if (!body) throw new BackupError(`Backup ${m.id} is missing ${name}`);
  const sum = new Checksum();
  const counted = body.pipe(sum);
  if (m.database.format === 'sqlite.gz') await gunzipTo(counted, into);
  else await pipeline(counted, createWriteStream(into));
  if (sum.digest() !== m.database.sha256) throw new BackupError(`Backup ${m.id}: ${name} does not match its checksum (corrupt or altered)`);
}

/** Whether something answers on the configured port of this machine (a server of this config running here). */
function portAnswers(host: string, port: number): Promise<boolean> {
  if (!port) return Promise.resolve(false);
  return new Promise((done) => {
    const socket = connect({ host: host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('timeout', () => (socket.destroy(), done(false)));
    socket.once('error', () => done(false));
  });
}

/** Servers using the configured database: heartbeat rows (any replica) and the configured port on this machine. */
export async function runningServers(config: AppConfig, cwd = process.cwd()): Promise<string[]> {
  const found: string[] = [];
  const { dialect } = parseDatabaseUrl(config.database.url);
  if (dialect === 'postgres' || existsSync(sqlitePath(config, cwd))) {
    const url = dialect === 'sqlite' ? `sqlite:${sqlitePath(config, cwd)}` : config.database.url;
    const database = createDatabase({ url, schema: dialect === 'postgres' ? (searchPathSchema(url) ?? undefined) : undefined });
    try {
      const live: LiveInstance[] = await liveInstances(database.db);
      for (const i of live) found.push(`server pid ${i.pid} on ${i.host}${i.address ? ` (${i.address})` : ''}, seen ${i.seenAt.toISOString()}`);
    } finally {
      await database.destroy();
    }
  }
  if (await portAnswers(config.server.host, config.server.port)) found.push(`something answers on ${config.server.host}:${config.server.port} (server.port)`);
  return found;
}

/**
 * Replaces the configured database (and writes back the local files) with a backup. Refuses while
 * a server uses the database, unless `force`.
 */
export async function restoreBackup(src: BackupSource, id: string, opts: { force?: boolean } = {}): Promise<BackupManifest> {
  const { config, destination } = src;
  const cwd = src.cwd ?? process.cwd();
  const m = await readManifest(destination, id);
  const { dialect } = parseDatabaseUrl(config.database.url);
  if (m.dialect !== dialect) throw new BackupError(`Backup ${id} is a ${m.dialect} backup; the configured database is ${dialect}`);
  if (!opts.force) {
    const running = await runningServers(config, cwd);
    if (running.length) {
      throw new BackupError(`Refusing to restore over a database in use:\n  ${running.join('\n  ')}\nStop every server first, or pass --force.`);
    }
  }
  const work = await mkdtemp(join(tmpdir(), 'neptuno-restore-'));
  try {
    if (dialect === 'sqlite') {
      const file = sqlitePath(config, cwd);
      // Downloaded and checked beside the target, so the final rename is atomic (same filesystem).
      const staged = `${file}.restoring`;
      await mkdir(dirname(file), { recursive: true });
      await fetchDatabase(destination, m, staged);
      await replaceSqlite(staged, file);
    } else {
      const dump = join(work, 'database.dump');
      await fetchDatabase(destination, m, dump);
      await restorePostgres(config.database.url, dump, m.pgSchema, { pgRestore: config.backups.pgRestore, psql: config.backups.psql });
    }
    const root = localFilesFolder(config, cwd);
    if (m.files && root) await restoreFiles(destination, id, root, m.files.items);
    return m;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Restores into a scratch location and checks it opens, holds the manifest's rows, and migrates (verify.ts). */
export async function verifyBackup(src: BackupSource, id: string, migrations: MigrationSource[]) {
  const m = await readManifest(src.destination, id);
  return verifyInScratch(src, m, migrations);
}

/** Applies the retention policy to scheduled backups (manual ones are kept until deleted by hand). Returns the deleted ids. */
export async function pruneBackups(destination: BackupDestination, keep: KeepPolicy): Promise<string[]> {
  const scheduled = (await listBackups(destination)).filter((b) => b.manifest?.kind === 'scheduled').map((b) => ({ id: b.id, createdAt: b.manifest!.createdAt }));
  const expired = expiredBackups(scheduled, keep);
  for (const id of expired) await destination.remove(id);
  return expired;
}
