/**
 * A worker process the queue contract test kills with SIGKILL in the middle of a job, to prove
 * that a crashed replica's job is redone by another one. Not a test file: run by the test.
 * Prints "started <id> <attempt>" once the handler holds the job, then hangs forever.
 */
import { createDatabase } from '../../db/database.js';
import { createQueue } from './index.js';

const env = process.env;
const redisUrl = env.QUEUE_REDIS_URL || null;
const database = createDatabase({ url: env.QUEUE_DB_URL!, schema: env.QUEUE_DB_SCHEMA || undefined });
const queue = createQueue({
  database,
  redisUrl,
  prefix: env.QUEUE_PREFIX ?? 'neptuno',
  concurrency: 1,
  pollIntervalMs: 50,
  visibilityTimeoutMs: Number(env.QUEUE_VT),
});
queue.register('crash.job', async (_payload, job) => {
  process.stdout.write(`started ${job.id} ${job.attempt}\n`);
  await new Promise(() => {});
});
await queue.start();
