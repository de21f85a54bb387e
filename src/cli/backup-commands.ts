import type { Command } from 'commander';
import { migrationSources } from '../core/app.js';
import { backupDestination, BackupError, createBackup, listBackups, pruneBackups, restoreBackup, verifyBackup } from '../core/backup/index.js';
import { bootstrap } from './bootstrap.js';
import { createStorage } from '../core/drivers/storage/index.js';
import { resolveSecret } from '../core/config/secret.js';

const size = (bytes: number) => (bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);

/**
 * `neptuno backup create|list|restore|verify|prune` (docs/backups.md). They read neptuno.yaml
 * and talk to the database and the destination directly: no app is built, so they run beside
 * a live server (create, list, verify) and against a stopped or destroyed one (restore).
 */
export function registerBackupCommands(program: Command, configOption: readonly [string, string]): void {
  const backup = program.command('backup').description('back up and restore the database and local files (docs/backups.md)');
  // Operator mistakes print one line and exit 1 (main.ts prints other errors the same way).
  const guard =
    <A extends unknown[]>(fn: (...args: A) => Promise<void>) =>
    async (...args: A) => {
      try {
        await fn(...args);
      } catch (err) {
        if (!(err instanceof BackupError)) throw err;
        console.error(err.message);
        process.exitCode = 1;
      }
    };
  // The storage driver only when backups go there (`backups.destination: storage`); closed on exit.
  const source = async (o: { config?: string; to?: string }) => {
    const { loaded, modules } = await bootstrap(o.config);
    const config = o.to ? { ...loaded.config, backups: { ...loaded.config.backups, destination: o.to } } : loaded.config;
    const storage =
      config.backups.destination === 'storage'
        ? createStorage(config.storage, { dataDir: config.dataDir, serverPublicUrl: config.server.publicUrl, secret: resolveSecret(config) })
        : null;
    return { config, modules, destination: backupDestination(config, { storage }) };
  };

  backup
    .command('create')
    .description('back up the database (consistent while the server runs) and the local files folder')
    .option(...configOption)
    .option('--to <dir>', 'directory to write to (default: backups.destination)')
    .action(
      guard(async (o: { config?: string; to?: string }) => {
        const src = await source(o);
        const m = await createBackup(src);
        const rows = Object.values(m.tables).reduce((a, b) => a + b, 0);
        console.log(`Backup ${m.id} written to ${src.destination.description}: ${m.dialect} database ${size(m.database.bytes)} (${Object.keys(m.tables).length} tables, ${rows} rows), ${m.files?.items.length ?? 0} files.`);
      }),
    );

  backup
    .command('list')
    .description('list backups, newest first')
    .option(...configOption)
    .option('--to <dir>', 'directory to read (default: backups.destination)')
    .option('--json', 'print the manifests as JSON')
    .action(
      guard(async (o: { config?: string; to?: string; json?: boolean }) => {
        const { destination } = await source(o);
        const all = await listBackups(destination);
        if (o.json) return void console.log(JSON.stringify(all, null, 2));
        if (!all.length) return void console.log(`No backups in ${destination.description}.`);
        for (const { id, manifest: m } of all) {
          if (!m) console.log(`${id}  incomplete (no manifest: interrupted or still running)`);
          else console.log(`${id}  ${m.kind.padEnd(9)} ${m.dialect.padEnd(8)} ${size(m.database.bytes).padStart(10)}  ${String(m.files?.items.length ?? 0).padStart(5)} files  schema ${m.schema.lastMigration ?? '-'}`);
        }
      }),
    );

  backup
    .command('restore <id>')
    .description('replace the configured database and write back the local files from a backup')
    .option(...configOption)
    .option('--to <dir>', 'directory to read (default: backups.destination)')
    .option('--force', 'restore even though a server seems to be using the database')
    .action(
      guard(async (id: string, o: { config?: string; to?: string; force?: boolean }) => {
        const src = await source(o);
        const m = await restoreBackup(src, id, { force: o.force });
        console.log(`Restored backup ${m.id} (${m.createdAt}): ${Object.keys(m.tables).length} tables, ${m.files?.items.length ?? 0} files. Start the server: pending migrations run at start.`);
      }),
    );

  backup
    .command('verify <id>')
    .description('restore a backup into a scratch location and check it opens, holds its rows and migrates')
    .option(...configOption)
    .option('--to <dir>', 'directory to read (default: backups.destination)')
    .action(
      guard(async (id: string, o: { config?: string; to?: string }) => {
        const src = await source(o);
        const r = await verifyBackup(src, id, migrationSources(src.modules));
        console.log(`Backup ${r.id} is good: ${r.artifacts} artifacts match their checksums; restored into a ${r.scratch}: ${r.tables} tables, ${r.rows} rows as recorded; ${r.migrationsApplied} pending migrations applied.`);
      }),
    );

  backup
    .command('prune')
    .description('delete scheduled backups beyond backups.keep (daily/weekly/monthly)')
    .option(...configOption)
    .option('--to <dir>', 'directory (default: backups.destination)')
    .action(
      guard(async (o: { config?: string; to?: string }) => {
        const src = await source(o);
        const removed = await pruneBackups(src.destination, src.config.backups.keep);
        console.log(removed.length ? `Deleted ${removed.length} backups: ${removed.join(', ')}` : 'Nothing to delete.');
      }),
    );
}
