import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createTestApp, TEST_SECRET, type TestApp } from '../../testing/app.js';
import { runNeptuno } from '../../testing/cli.js';
import { runCron } from '../../testing/cron.js';
import { targets } from '../../testing/targets.js';
import { defineModule } from '../module.js';
import { expiredBackups } from './retention.js';
import { createBackup, listBackups, restoreBackup, verifyBackup } from './backup.js';
import { backupDestination } from './index.js';
import { localFilesFolder } from './files.js';
import { DirectoryDestination } from './destination.js';
import { withSearchPath } from './postgres.js';

/** A module with a table of its own, so the restore is checked on app data, not only kernel tables. */
const notes = defineModule({
  name: 'notes',
  migrations: {
    '0001_notes': {
      async up(db) {
        await db.schema.createTable('notes').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('body', 'text', (c) => c.notNull()).execute();
      },
    },
  },
});

const FILES: Record<string, Buffer> = {
  'avatars/u1/original.png': randomBytes(70_000),
  'docs/contrato final.pdf': Buffer.from('%PDF-1.7 not really'),
  'top.txt': Buffer.from('hola'),
};

// Each case spawns the real command (about a second or two each on a quiet machine).
describe.each(targets)('backups on %s', { timeout: 240_000 }, (target) => {
  let t: TestApp;
  let dir: string;
  let env: Record<string, string>;
  const filesDir = () => join(dir, 'data', 'files');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'neptuno-backup-test-'));
    // Port 0: the restore's port probe has nothing to find; the heartbeat row is what detects the server.
    writeFileSync(join(dir, 'neptuno.yaml'), 'server:\n  host: 127.0.0.1\n  port: 0\nbackups:\n  destination: ./backups\nmoduleFiles: [./notes.mjs]\n');
    // The same module for the CLI (verify migrates with the app's modules): plain JavaScript, the manifest defineModule returns.
    writeFileSync(
      join(dir, 'notes.mjs'),
      `export default { name: 'notes', migrations: { '0001_notes': { async up(db) { await db.schema.createTable('notes').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('body', 'text', (c) => c.notNull()).execute(); } } } };\n`,
    );
    t = await createTestApp({ target, modules: [notes], config: { dataDir: join(dir, 'data'), server: { port: 0 } } });
    const url = String((t.raw.database as { url: string }).url);
    env = { DATABASE_URL: t.schema ? `${url}?options=${encodeURIComponent(`-c search_path=${t.schema}`)}` : url, NEPTUNO_DATA_DIR: join(dir, 'data'), NEPTUNO_SECRET: TEST_SECRET };
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const countNotes = async (app: TestApp) => Number((await app.ctx.db.selectFrom('notes').select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('backs up rows and files with the real CLI, refuses to restore under a running server, restores after destruction', async () => {
    await t.ctx.tx(async (trx) => {
      for (let i = 1; i <= 120; i++) await trx.insertInto('notes').values({ id: i, body: `note ${i} ${'x'.repeat(i)}` }).execute();
      await t.ctx.audit.record({ action: 'notes.seeded', target: { type: 'note' }, after: { count: 120 } }, trx);
    });
    for (const [rel, bytes] of Object.entries(FILES)) {
      mkdirSync(join(filesDir(), rel, '..'), { recursive: true });
      writeFileSync(join(filesDir(), rel), bytes);
    }
    await t.neptuno.listen();

    const created = await runNeptuno(['backup', 'create'], dir, env);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const id = /Backup (\S+) written/.exec(created.stdout)![1];
    expect(created.stdout).toContain('3 files');
    const manifest = JSON.parse(readFileSync(join(dir, 'backups', id, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ id, kind: 'manual', dialect: target.name, tables: { notes: 120, neptuno_audit_log: 1 }, schema: { lastMigration: expect.any(String) } });
    expect(manifest.schema.migrations).toBeGreaterThan(5);
    expect(manifest.files.items.map((f: { name: string }) => f.name)).toEqual(Object.keys(FILES).sort());
    expect(manifest.database.sha256).toMatch(/^[0-9a-f]{64}$/);

    const listed = await runNeptuno(['backup', 'list'], dir, env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(id);

    // The server announces itself in neptuno_instances: no restore over it without --force.
    const refused = await runNeptuno(['backup', 'restore', id], dir, env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Refusing to restore over a database in use');
    expect(refused.stderr).toContain(`pid ${process.pid}`);

    // Destroy: stop the server, lose the database and the files.
    await t.neptuno.close();
    if (target.name === 'sqlite') {
      const file = String((t.raw.database as { url: string }).url).slice('sqlite:'.length);
      for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
    } else {
      const c = new pg.Client({ connectionString: String((t.raw.database as { url: string }).url) });
      await c.connect();
      await c.query(`drop schema "${t.schema}" cascade`);
      await c.end();
    }
    rmSync(filesDir(), { recursive: true, force: true });

    const restored = await runNeptuno(['backup', 'restore', id], dir, env);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain(`Restored backup ${id}`);

    const again = await createTestApp({ target, modules: [notes], replicaOf: t });
    try {
      expect(await countNotes(again)).toBe(120);
      const rows = await again.ctx.db.selectFrom('notes').selectAll().orderBy('id').execute();
      expect(rows.every((r, i) => r.id === i + 1 && r.body === `note ${i + 1} ${'x'.repeat(i + 1)}`)).toBe(true);
      expect((await again.ctx.audit.list({ action: 'notes.seeded' })).data).toHaveLength(1);
      // Heartbeat rows came back with the data, but they are stale by the time anyone asks... or they are this
      // test's own server row: either way the restored copy holds it. Nothing else to check there.
      for (const [rel, bytes] of Object.entries(FILES)) expect(readFileSync(join(filesDir(), rel)).equals(bytes), rel).toBe(true);
    } finally {
      await again.neptuno.close();
    }

    const verified = await runNeptuno(['backup', 'verify', id], dir, env);
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(`Backup ${id} is good`);
    expect(verified.stdout).toContain(target.name === 'sqlite' ? 'temporary SQLite file' : 'scratch PostgreSQL database');

    // An altered artifact fails verification, naming it.
    writeFileSync(join(dir, 'backups', id, 'files', 'top.txt'), 'adiós');
    const tampered = await runNeptuno(['backup', 'verify', id], dir, env);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toContain('top.txt does not match its checksum');
    const unknown = await runNeptuno(['backup', 'restore', '20200101T000000Z-0000'], dir, env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No complete backup 20200101T000000Z-0000');
  });
});

describe.each(targets)('scheduled backup on %s', { timeout: 120_000 }, (target) => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'neptuno-backup-cron-'));
    t = await createTestApp({
      target,
      modules: [notes],
      config: { dataDir: join(dir, 'data'), backups: { destination: join(dir, 'backups'), schedule: '15 2 * * *', keep: { daily: 1, weekly: 0, monthly: 0 } } },
    });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs as the core.backup cron and applies retention to scheduled backups', async () => {
    await t.ctx.db.insertInto('notes').values({ id: 1, body: 'a' }).execute();
    // Earlier scheduled backups of the same day: keep.daily 1 leaves only the newest.
    await runCron(t, 'core.backup');
    await runCron(t, 'core.backup');
    const ids = readdirSync(join(dir, 'backups'));
    expect(ids).toHaveLength(1);
    const m = JSON.parse(readFileSync(join(dir, 'backups', ids[0], 'manifest.json'), 'utf8'));
    expect(m).toMatchObject({ kind: 'scheduled', tables: { notes: 1 } });
    expect(existsSync(join(dir, 'backups', ids[0], m.database.name))).toBe(true);
  });
});

describe.each(targets)('backups in the storage driver on %s', { timeout: 120_000 }, (target) => {
  it('writes, lists, verifies and restores through ctx.storage, names with spaces and accents included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'neptuno-backup-storage-'));
    const t = await createTestApp({ target, modules: [notes], config: { dataDir: join(dir, 'data'), backups: { destination: 'storage' } } });
    try {
      await t.ctx.db.insertInto('notes').values({ id: 7, body: 'siete' }).execute();
      await t.ctx.storage.put('uploads/año nuevo.txt'.replace(/[^A-Za-z0-9/._-]/g, '_'), Buffer.from('stored through the driver'), { contentType: 'text/plain' });
      // The test app's storage folder (storage.url: file:<tmp>) is the files folder backed up.
      const root = localFilesFolder(t.config)!;
      mkdirSync(join(root, 'raw'), { recursive: true });
      writeFileSync(join(root, 'raw', 'año nuevo .txt'), 'feliz');
      const config = t.schema ? { ...t.config, database: { ...t.config.database, url: withSearchPath(t.config.database.url, t.schema) } } : t.config;
      const src = { config, destination: backupDestination(config, { storage: t.ctx.storage }) };
      const m = await createBackup(src);
      expect(m.files!.items.map((f) => f.name)).toEqual(expect.arrayContaining(['raw/año nuevo .txt', 'uploads/a_o_nuevo.txt']));
      // Its own artifacts under backups/ are not backed up as files.
      expect(m.files!.items.filter((f) => /^(\.meta\/)?backups\//.test(f.name))).toEqual([]);
      expect((await listBackups(src.destination)).map((b) => b.id)).toEqual([m.id]);
      const report = await verifyBackup(src, m.id, t.neptuno.migrations);
      expect(report).toMatchObject({ id: m.id, rows: Object.values(m.tables).reduce((a, b) => a + b, 0) });
      rmSync(join(root, 'raw'), { recursive: true });
      await t.ctx.db.deleteFrom('notes').execute();
      await restoreBackup(src, m.id, { force: true });
      expect(readFileSync(join(root, 'raw', 'año nuevo .txt'), 'utf8')).toBe('feliz');
      // A new process sees the restored database (this one, on SQLite, still holds the replaced file open: why restore wants servers stopped).
      const after = await createTestApp({ target, modules: [notes], replicaOf: t });
      try {
        expect(await after.ctx.db.selectFrom('notes').selectAll().execute()).toEqual([{ id: 7, body: 'siete' }]);
      } finally {
        await after.neptuno.close();
      }
    } finally {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.runIf(targets.some((x) => x.name === 'postgres'))('pg_dump missing', () => {
  it('says which tool is missing and how to get it', async () => {
    const t = await createTestApp({ target: targets.find((x) => x.name === 'postgres')!, config: { backups: { pgDump: 'pg_dump_missing_for_test' } } });
    const dir = mkdtempSync(join(tmpdir(), 'neptuno-backup-nodump-'));
    try {
      const url = withSearchPath(t.config.database.url, t.schema!);
      const err = await createBackup({ config: { ...t.config, database: { ...t.config.database, url } }, destination: new DirectoryDestination(dir) }).catch((e: Error) => e);
      expect((err as Error).message).toContain('pg_dump_missing_for_test was not found');
      expect((err as Error).message).toContain('postgresql-client');
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('backup retention', () => {
  const at = (iso: string, n = 0) => ({ id: `${iso}-${n}`, createdAt: iso });
  it('keeps the newest of each of the last 7 days, 4 ISO weeks and 12 months', () => {
    const backups = [];
    // Two backups a day for 400 days, ending on Sunday 2026-11-29.
    for (let d = 0; d < 400; d++) {
      const day = new Date(Date.UTC(2026, 10, 29) - d * 86_400_000);
      backups.push(at(new Date(day.getTime() + 2 * 3_600_000).toISOString()), at(new Date(day.getTime() + 14 * 3_600_000).toISOString(), 1));
    }
    const expired = new Set(expiredBackups(backups, { daily: 7, weekly: 4, monthly: 12 }));
    const kept = backups.filter((b) => !expired.has(b.id)).map((b) => b.createdAt.slice(0, 10)).sort().reverse();
    // 7 days (29 Nov back to 23 Nov), the weeks' newest (22 Nov, 15 Nov, 8 Nov; the current week is the 29th's),
    // and the months' newest (the last day of each earlier month).
    expect(kept.slice(0, 7)).toEqual(['2026-11-29', '2026-11-28', '2026-11-27', '2026-11-26', '2026-11-25', '2026-11-24', '2026-11-23']);
    expect(kept).toContain('2026-11-22');
    expect(kept).toContain('2026-11-15');
    expect(kept).toContain('2026-11-08');
    expect(kept).toContain('2026-10-31');
    expect(kept).toContain('2025-12-31');
    expect(kept).not.toContain('2025-11-30');
    expect(kept).toHaveLength(7 + 3 + 11);
    // Each kept day keeps its newest backup only.
    expect([...expired].filter((id) => id.endsWith('-1') && kept.includes(id.slice(0, 10)))).toEqual([]);
  });
});
