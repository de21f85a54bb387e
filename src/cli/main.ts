import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import type { Migrator } from 'kysely';
import { isConfigError } from '../core/config/errors.js';
import { ModuleGraphError } from '../core/modules.js';
import { createMigrator, migrateUp } from '../core/db/migrate.js';
import { createDatabase } from '../core/db/database.js';
import { migrationSources } from '../core/app.js';
import { availableModules, bootstrap, buildApp, withApp } from './bootstrap.js';
import { checkConfigFile } from '../core/config/check.js';
import { registerExtraCommands } from './commands.js';
import { registerDoctorCommand, runDoctor } from './doctor-command.js';
import { registerCreateCommands } from './create-commands.js';
import { exitOnSignals } from './shutdown.js';
import { reportCrashes } from '../core/telemetry/hooks.js';
import { resolveSecret } from '../core/config/secret.js';
import { recordSecretFingerprint } from '../core/config/fingerprint.js';

/** The migrator of the configured database and every installed module, closed afterwards. */
async function withMigrator(configFile: string | undefined, fn: (migrator: Migrator) => Promise<void>): Promise<void> {
  const { loaded, modules } = await bootstrap(configFile);
  const database = createDatabase({ url: loaded.config.database.url });
  try {
    await fn(await createMigrator(database, migrationSources(modules)));
  } finally {
    await database.destroy();
  }
}

const program = new Command('neptuno').description('Neptuno backend: API server and operations');
const configOption = ['-c, --config <file>', 'configuration file (default: $NEPTUNO_CONFIG or ./neptuno.yaml)'] as const;

program
  .command('start')
  .description('serve the API (migrates the database first)')
  .option(...configOption)
  .option('--no-migrate', 'do not run migrations at start')
  .action(async (o: { config?: string; migrate: boolean }) => {
    const started = performance.now();
    const app = await buildApp(o.config, { migrate: o.migrate });
    const address = await app.listen();
    app.ctx.log.info({ address, modules: app.modules.map((m) => m.name), ms: Math.round(performance.now() - started) }, 'Neptuno ready');
    exitOnSignals(app, app.ctx.log, app.ctx.appConfig.server.shutdownTimeoutMs);
    reportCrashes(app.ctx.errors, app.ctx.log);
  });

const migrate = program.command('migrate').description('database migrations');
migrate
  .command('up', { isDefault: true })
  .description('run pending migrations')
  .option(...configOption)
  .action((o: { config?: string }) =>
    withMigrator(o.config, async (migrator) => {
      const results = await migrateUp(migrator);
      if (!results?.length) console.log('Nothing to migrate: the database is up to date.');
      for (const r of results ?? []) console.log(`${r.status === 'Success' ? 'applied' : r.status}  ${r.migrationName}`);
    }),
  );
migrate
  .command('status')
  .description('list migrations and whether each has run')
  .option(...configOption)
  .action((o: { config?: string }) =>
    withMigrator(o.config, async (migrator) => {
      const list = await migrator.getMigrations();
      for (const m of list) console.log(`${m.executedAt ? `done ${m.executedAt.toISOString()}` : 'pending                 '}  ${m.name}`);
      const pending = list.filter((m) => !m.executedAt).length;
      console.log(`${list.length} migrations, ${pending} pending`);
    }),
  );

program
  .command('config')
  .description('configuration tools')
  .command('check')
  .description('validate neptuno.yaml and the environment; exits 1 with file:line and key path on error')
  .option(...configOption)
  .option('--production', 'also list what to fix before going live (the same as `neptuno doctor`)')
  .action(async (o: { config?: string; production?: boolean }) => {
    if (o.production) return void (process.exitCode = await runDoctor(o.config));
    const modules = await availableModules(o.config);
    const result = checkConfigFile(o.config, modules);
    if (result.ok) console.log(result.summary.join('\n'));
    else console.error(`Invalid configuration:\n${result.errors.join('\n')}`);
    process.exitCode = result.exitCode;
  });

program
  .command('openapi')
  .description('write the OpenAPI 3.1 document')
  .option(...configOption)
  .option('-o, --out <file>', 'output file (default: stdout)')
  .action(async (o: { config?: string; out?: string }) => {
    await withApp(o.config, async (app) => {
      const spec = app.server.swagger() as { paths?: Record<string, object> };
      const doc = JSON.stringify(spec, null, 2);
      if (!o.out) return void process.stdout.write(`${doc}\n`);
      writeFileSync(o.out, `${doc}\n`);
      const operations = Object.values(spec.paths ?? {}).reduce((n, item) => n + Object.keys(item).length, 0);
      console.log(`Wrote the OpenAPI 3.1 document to ${o.out} (${operations} operations, ${Buffer.byteLength(doc) + 1} bytes).`);
    });
  });

const jobs = program.command('jobs').description('background jobs');
jobs
  .command('list')
  .description('list jobs, newest first')
  .option(...configOption)
  .option('-s, --state <state>', 'waiting | delayed | active | completed | dead')
  .option('-n, --limit <n>', 'how many', '20')
  .action(async (o: { config?: string; state?: 'dead'; limit: string }) => {
    await withApp(o.config, async (app) => {
      const { data } = await app.ctx.queue.list({ state: o.state, limit: Number(o.limit) });
      for (const j of data) console.log(`${j.id}  ${j.state.padEnd(9)} ${j.name}  attempts ${j.attempts}/${j.maxAttempts}${j.lastError ? `  ${j.lastError}` : ''}`);
      const counts = await app.ctx.queue.counts();
      console.log(Object.entries(counts).map(([s, n]) => `${s}: ${n}`).join('  '));
    });
  });
jobs
  .command('retry <id>')
  .description('send a dead-letter job back to the queue')
  .option(...configOption)
  .action(async (id: string, o: { config?: string }) => {
    await withApp(o.config, async (app) => {
      if (!(await app.ctx.queue.retry(id))) {
        console.error(`No dead job with id ${id}.`);
        process.exitCode = 1;
      } else console.log(`Job ${id} queued again.`);
    });
  });
jobs
  .command('remove <id>')
  .description('remove a job that is not running, so it never runs')
  .option(...configOption)
  .action(async (id: string, o: { config?: string }) => {
    await withApp(o.config, async (app) => {
      if (await app.ctx.queue.remove(id)) return console.log(`Job ${id} removed.`);
      const job = await app.ctx.queue.get(id);
      console.error(job ? `Job ${id} is running; try again once it has finished.` : `No job with id ${id}.`);
      process.exitCode = 1;
    });
  });
jobs
  .command('reschedule <id>')
  .description('move a waiting or delayed job to another time')
  .option(...configOption)
  .option('--delay <ms>', 'run this many milliseconds from now')
  .option('--at <time>', 'run at this ISO 8601 time')
  .action(async (id: string, o: { config?: string; delay?: string; at?: string }) => {
    if ((o.delay === undefined) === (o.at === undefined)) {
      console.error('Give exactly one of --delay <ms> or --at <ISO time>.');
      process.exitCode = 1;
      return;
    }
    await withApp(o.config, async (app) => {
      const when = o.delay !== undefined ? { delayMs: Number(o.delay) } : { runAt: o.at };
      if (await app.ctx.queue.reschedule(id, when)) return console.log(`Job ${id} runs at ${(await app.ctx.queue.get(id))?.runAt}.`);
      const job = await app.ctx.queue.get(id);
      console.error(job ? `Job ${id} is ${job.state}: only waiting or delayed jobs can be rescheduled.` : `No job with id ${id}.`);
      process.exitCode = 1;
    });
  });

program
  .command('secret')
  .description('the application secret')
  .command('rotate')
  .description('make the current secret (NEPTUNO_SECRET) the one every replica must use; signs everyone out')
  .option(...configOption)
  .action(async (o: { config?: string }) => {
    const { loaded } = await bootstrap(o.config);
    const secret = resolveSecret(loaded.config);
    const database = createDatabase({ url: loaded.config.database.url });
    try {
      const { changed } = await recordSecretFingerprint(database.db, secret);
      if (!changed) console.log('This secret is already the recorded one: nothing changed.');
      else {
        console.log('Recorded the new secret. Restart every replica with it: sessions, cookies and tokens signed with the old one are no longer valid.');
      }
    } finally {
      await database.destroy();
    }
  });

registerExtraCommands(program, configOption);
registerDoctorCommand(program, configOption);
registerCreateCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Operator errors get one clear message and exit 1, never a stack trace.
  if (isConfigError(err)) {
    console.error(`Invalid configuration:\n${err.format()}`);
  } else if (err instanceof ModuleGraphError) {
    console.error(err.message);
  } else {
    console.error(`neptuno: ${(err as Error).message}`);
    if (process.env.NEPTUNO_DEBUG) console.error(err);
  }
  process.exit(1);
}
