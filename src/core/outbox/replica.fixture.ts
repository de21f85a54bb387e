/**
 * Another replica of an outbox test's app, in its own process (SIGKILLed by the crash tests).
 * Not a test file. OUTBOX_MODE:
 *   after-commit  commits an event and a job, prints "committed <eventId> <jobId>", then hangs in
 *                 an afterCommit callback: nothing was delivered or relayed yet.
 *   in-handler    commits an event; beta's handler prints "hang <eventId>" and hangs (run with
 *                 OUTBOX_HANG=beta), while alpha's finishes.
 *   serve         runs workers, emits OUTBOX_EMIT events (keys k0..k2), prints "emitted", stays up.
 */
import { createApp } from '../app.js';
import { buildConfig } from '../../testing/app.js';
import { alpha, beta } from './test-modules.fixture.js';

const env = process.env;
const mode = env.OUTBOX_MODE;
const modules = [alpha, beta];
const { config, moduleConfigs } = buildConfig(JSON.parse(env.OUTBOX_RAW!), modules);
const app = await createApp({
  config,
  moduleConfigs,
  modules,
  secret: 'test-secret-test-secret-test-secret-0123456789',
  databaseSchema: env.OUTBOX_DB_SCHEMA || undefined,
  workers: mode === 'serve',
});
const out = (line: string) => process.stdout.write(`${line}\n`);

if (mode === 'after-commit') {
  await app.ctx.tx(async (trx) => {
    await trx.insertInto('test_items').values({ id: 'crash' }).execute();
    const eventId = trx.emit('test.happened', { n: 1 });
    const jobId = trx.enqueue('alpha.record', { n: 1 });
    trx.afterCommit(async () => {
      out(`committed ${eventId} ${jobId}`);
      await new Promise(() => {});
    });
  });
} else if (mode === 'in-handler') {
  await app.ctx.tx(async (trx) => void trx.emit('test.happened', { n: 2 }));
} else if (mode === 'serve') {
  const n = Number(env.OUTBOX_EMIT ?? 0);
  await Promise.all(Array.from({ length: n }, (_, i) => app.ctx.tx(async (trx) => void trx.emit('test.happened', { n: 100 + i }, { key: `k${i % 3}` }))));
  out('emitted');
}
