import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Where a test suite runs. SQLite with in-process drivers always; PostgreSQL with Redis
 * drivers when NEPTUNO_TEST_DATABASE_URL and NEPTUNO_TEST_REDIS_URL are set (CI sets both).
 * Use with describe.each(targets) so one suite proves both shapes.
 */
export interface TestTarget {
  name: 'sqlite' | 'postgres';
  redisUrl: string | null;
}

const pgUrl = process.env.NEPTUNO_TEST_DATABASE_URL || null;
const redisUrl = process.env.NEPTUNO_TEST_REDIS_URL || null;

export const targets: TestTarget[] = [
  { name: 'sqlite', redisUrl: null },
  ...(pgUrl ? [{ name: 'postgres' as const, redisUrl }] : []),
];

/** Redis URL for driver contract tests; null when not configured. */
export const testRedisUrl = redisUrl;

export const uniqueId = (label = 't') => `${label}_${randomBytes(5).toString('hex')}`;

/** A key prefix no other test uses, for Redis isolation. */
export const uniquePrefix = () => `neptuno-test:${randomBytes(5).toString('hex')}:`;

export interface IsolatedDatabase {
  url: string;
  /** PostgreSQL schema to put on the search_path. */
  schema?: string;
  cleanup(): Promise<void>;
}

/** A fresh SQLite file, or a fresh PostgreSQL schema, dropped on cleanup. */
export async function isolatedDatabase(target: TestTarget): Promise<IsolatedDatabase> {
  if (target.name === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'neptuno-test-'));
    return {
      url: `sqlite:${join(dir, 'test.db')}`,
      async cleanup() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  if (!pgUrl) throw new Error('NEPTUNO_TEST_DATABASE_URL is not set');
  // The creation time is in the name so a later run can tell abandoned schemas from live ones.
  const schema = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  await client.query(`create schema "${schema}"`);
  await client.end();
  return {
    url: pgUrl,
    schema,
    async cleanup() {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`drop schema if exists "${schema}" cascade`);
      await c.end();
    },
  };
}
