import pg from 'pg';
import { Redis } from 'ioredis';

/**
 * Fails the run at once when a configured PostgreSQL or Redis does not answer, so the
 * PostgreSQL + Redis half of the suite is never skipped silently.
 */
export default async function setup() {
  const pgUrl = process.env.NEPTUNO_TEST_DATABASE_URL;
  const redisUrl = process.env.NEPTUNO_TEST_REDIS_URL;
  if (pgUrl) {
    const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 5000 });
    await client.connect();
    await client.query('select 1');
    // Schemas left by an interrupted earlier run: only those older than an hour, since other
    // test runs may be using theirs right now.
    const { rows } = await client.query(`select nspname from pg_namespace where nspname ~ '^t_[0-9a-z]+_[0-9a-f]{8}$'`);
    const cutoff = Date.now() - 3_600_000;
    for (const r of rows) {
      const created = parseInt(String(r.nspname).split('_')[1], 36);
      if (created < cutoff) await client.query(`drop schema if exists "${r.nspname}" cascade`);
    }
    await client.end();
  }
  if (redisUrl) {
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    await redis.ping();
    redis.disconnect();
  }
  if (pgUrl && !redisUrl) throw new Error('NEPTUNO_TEST_DATABASE_URL is set without NEPTUNO_TEST_REDIS_URL');
}
