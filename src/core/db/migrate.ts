import { Migrator, sql, type Migration, type MigrationResultSet } from 'kysely';
import type { Database } from './database.js';

export interface MigrationSource {
  /** Owner of the migrations (`core` or a module name); becomes the name prefix. */
  owner: string;
  migrations: Record<string, Migration>;
}

/**
 * One Kysely migrator for the kernel and every module. Names are `<owner>/<name>`; modules own
 * disjoint tables, so the order between owners does not matter, only within one.
 */
export async function createMigrator(database: Database, sources: MigrationSource[]): Promise<Migrator> {
  const all: Record<string, Migration> = {};
  for (const { owner, migrations } of sources) {
    for (const [name, m] of Object.entries(migrations)) all[`${owner}/${name}`] = m;
  }
  // Kysely looks for its tables in every schema unless told which one; with several schemas in
  // one database (tests, or apps sharing a server) it would find another app's and skip its own.
  let migrationTableSchema: string | undefined;
  if (database.dialect === 'postgres') {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(database.db);
    migrationTableSchema = rows[0].schema;
  }
  return new Migrator({
    db: database.db,
    provider: { getMigrations: async () => all },
    migrationTableName: 'neptuno_migrations',
    migrationLockTableName: 'neptuno_migrations_lock',
    migrationTableSchema,
    // A module added later brings names that sort before already-run ones.
    allowUnorderedMigrations: true,
  });
}

/** Runs pending migrations; throws with the failing migration's name on error. */
export async function migrateUp(migrator: Migrator): Promise<MigrationResultSet['results']> {
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    const err = new Error(`Migration ${failed?.migrationName ?? '?'} failed: ${(error as Error).message ?? error}`);
    (err as Error & { cause: unknown }).cause = error;
    throw err;
  }
  return results;
}

/**
 * Creates the migrator and runs pending migrations. Kysely's migrator checks for its tables by
 * introspecting every schema of the database; a schema dropped by someone else at that moment
 * (another app or test run sharing the server) makes PostgreSQL answer 3F000 for a schema that
 * is not ours. That race is retried; every other error is not.
 */
export async function migrateDatabase(database: Database, sources: MigrationSource[]): Promise<MigrationResultSet['results']> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateUp(await createMigrator(database, sources));
    } catch (err) {
      const code = ((err as { cause?: { code?: string } }).cause ?? (err as { code?: string }))?.code;
      if (code !== '3F000' || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 20 * attempt));
    }
  }
}
