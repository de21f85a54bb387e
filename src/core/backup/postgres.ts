import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import pg from 'pg';

/**
 * PostgreSQL through `pg_dump` (custom format: compressed, restorable table by table) and
 * `pg_restore`, found on PATH (or `backups.pgDump` / `backups.pgRestore`). The tools must be of
 * the server's major version or newer.
 */

/** The schema a URL's `options=-c search_path=…` puts first, if any (tests isolate apps that way). */
export function searchPathSchema(url: string): string | null {
  try {
    const options = new URL(url).searchParams.get('options');
    const m = options && /search_path=([A-Za-z_][A-Za-z0-9_]*)/.exec(options);
    return m ? m[1] : null;
  } catch {
    return null;
  }
}

/** The URL with `options=-c search_path=<schema>` (what searchPathSchema reads back). */
export function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

export class MissingToolError extends Error {
  constructor(tool: string) {
    super(
      `${tool} was not found. Install the PostgreSQL client tools of your server's major version (Debian/Ubuntu: apt-get install postgresql-client; ` +
        `the Docker image: see docs/backups.md) or set backups.${({ pg_dump: 'pgDump', pg_restore: 'pgRestore', psql: 'psql' } as Record<string, string>)[tool] ?? tool} to its path.`,
    );
    this.name = 'MissingToolError';
  }
}

/** Runs a PostgreSQL tool; rejects with its stderr on a non-zero exit, MissingToolError when absent. */
function run(command: string, args: string[], opts: { stdout?: NodeJS.WritableStream; stdin?: Readable; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(command, args, { stdio: [opts.stdin ? 'pipe' : 'ignore', opts.stdout ? 'pipe' : 'ignore', 'pipe'], env: { ...process.env, ...opts.env } });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    child.on('error', (err: NodeJS.ErrnoException) => fail(err.code === 'ENOENT' ? new MissingToolError(command.split('/').pop()!) : err));
    if (opts.stdout) child.stdout!.pipe(opts.stdout);
    if (opts.stdin) opts.stdin.pipe(child.stdin!);
    child.on('close', (code) => (code === 0 ? ok() : fail(new Error(`${command} exited with ${code}: ${stderr.trim()}`))));
  });
}

/** libpq takes the URL as is, but not `options` with our escaping quirks: pass it through PGOPTIONS. */
function libpqTarget(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const options = u.searchParams.get('options');
  u.searchParams.delete('options');
  return { dbname: u.toString(), env: options ? { PGOPTIONS: options } : {} };
}

export interface PgSnapshot {
  tables: Record<string, number>;
  lastMigration: string | null;
  migrations: number;
  schema: string | null;
}

/**
 * Dumps the database (or only the URL's search_path schema) to `into`. Row counts and the
 * migration state are read in a REPEATABLE READ transaction whose snapshot pg_dump then uses
 * (`--snapshot`), so the manifest describes exactly what the dump holds.
 */
export async function dumpPostgres(url: string, into: string, pgDump: string): Promise<PgSnapshot> {
  const schema = searchPathSchema(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    const { rows: snap } = await client.query<{ id: string }>('select pg_export_snapshot() as id');
    const inspected = await inspect(client, schema);
    const target = libpqTarget(url);
    const args = ['--format=custom', '--no-owner', '--no-privileges', `--snapshot=${snap[0].id}`, `--file=${into}`, `--dbname=${target.dbname}`];
    if (schema) args.push(`--schema=${schema}`);
    await run(pgDump, args, { env: target.env });
    await client.query('commit');
    return { ...inspected, schema };
  } finally {
    await client.end().catch(() => {});
  }
}

/** Row counts per table of the schema (current_schema() when null) and the migration state. */
export async function inspect(client: pg.Client, schema: string | null): Promise<Omit<PgSnapshot, 'schema'>> {
  const { rows } = await client.query<{ name: string }>(
    "select table_name as name from information_schema.tables where table_schema = coalesce($1, current_schema()) and table_type = 'BASE TABLE' order by table_name",
    [schema],
  );
  const tables: Record<string, number> = {};
  const qualify = (n: string) => (schema ? `"${schema}"."${n.replace(/"/g, '""')}"` : `"${n.replace(/"/g, '""')}"`);
  for (const r of rows) tables[r.name] = Number((await client.query<{ n: string }>(`select count(*) as n from ${qualify(r.name)}`)).rows[0].n);
  let lastMigration: string | null = null;
  let migrations = 0;
  if ('neptuno_migrations' in tables) {
    migrations = tables.neptuno_migrations;
    lastMigration = (await client.query<{ name: string }>(`select name from ${qualify('neptuno_migrations')} order by timestamp desc, name desc limit 1`)).rows[0]?.name ?? null;
  }
  return { tables, lastMigration, migrations };
}

/**
 * Restores a custom-format dump into the database of `url`, all or nothing: `pg_restore` turns the
 * dump into SQL and `psql --single-transaction` runs it after dropping what it replaces (the dumped
 * schema, or `public` for a whole-database dump), so tables created after the backup do not
 * survive and any error leaves the database as it was.
 */
export async function restorePostgres(url: string, dumpFile: string, pgSchema: string | null, tools: { pgRestore: string; psql: string }): Promise<void> {
  const target = libpqTarget(url);
  const prelude = pgSchema
    ? `DROP SCHEMA IF EXISTS "${pgSchema}" CASCADE;\n`
    : 'DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n';
  const restore = spawn(tools.pgRestore, ['--no-owner', '--no-privileges', '--file=-', dumpFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const restoreDone = new Promise<void>((ok, fail) => {
    let stderr = '';
    restore.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    restore.on('error', (err: NodeJS.ErrnoException) => fail(err.code === 'ENOENT' ? new MissingToolError('pg_restore') : err));
    restore.on('close', (code) => (code === 0 ? ok() : fail(new Error(`pg_restore exited with ${code}: ${stderr.trim()}`))));
  });
  const script = Readable.from((async function* () {
    yield Buffer.from(prelude);
    for await (const chunk of restore.stdout) yield chunk as Buffer;
  })());
  await Promise.all([run(tools.psql, ['--no-psqlrc', '--quiet', '--set=ON_ERROR_STOP=1', '--single-transaction', '--file=-', `--dbname=${target.dbname}`], { stdin: script, env: target.env }), restoreDone]);
}

/** Creates a scratch database next to the one in `url` and returns its URL and a drop function. */
export async function scratchDatabase(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `neptuno_verify_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

export const readDump = (file: string) => createReadStream(file);
