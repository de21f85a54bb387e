import type { Logger } from 'pino';
import { Type } from 'typebox';
import type { AppConfig } from './config/schema.js';
import { Settings, settingsMigrations } from './config/settings.js';
import { checkSecretFingerprint } from './config/fingerprint.js';
import { createDatabase, type Database } from './db/database.js';
import { migrateDatabase, type MigrationSource } from './db/migrate.js';
import { queueMigrations } from './drivers/queue/migrations.js';
import { lockMigrations } from './drivers/lock/sql.js';
import { createDrivers } from './drivers/index.js';
import { createStorage } from './drivers/storage/index.js';
import { LocalStorage } from './drivers/storage/local.js';
import { installStorageRoute } from './drivers/storage/route.js';
import { storageMessages } from './drivers/storage/messages.js';
import { waitForRedis } from './drivers/redis-connection.js';
import { mailMigrations } from './drivers/mail/migrations.js';
import { KernelMail } from './mail/service.js';
import { EventBus } from './events.js';
import { outboxMigrations } from './outbox/migrations.js';
import { Outbox } from './outbox/outbox.js';
import { Access } from './http/access.js';
import { kernelAdminRoutes } from './http/admin-routes.js';
import { installErrorHandling } from './http/errors.js';
import { Health, installHealth } from './http/health.js';
import { installOperatorMetrics } from './metrics/index.js';
import { createErrorReporter } from './telemetry/errors.js';
import { startTracing } from './telemetry/tracing.js';
import { reportJobFailures, reportRequestError, wrapQueueHandlers, type JobWrapper } from './telemetry/hooks.js';
import { ApiCalls } from './http/api-calls.js';
import { installIdempotency } from './http/idempotency.js';
import { idempotencyMigrations } from './http/idempotency-store.js';
import { createMetricsRegistry, installHttpMetrics } from './http/metrics.js';
import { docsEnabled, installOpenApi } from './http/openapi.js';
import { createServer } from './http/server.js';
import { I18n } from './i18n/index.js';
import type { AnyModule, App, KernelContext, Services } from './module.js';
import { resolveModules } from './modules.js';
import { mountModuleRoutes, wireModules } from './wiring.js';
import { useCursorSecret } from './db/paginate.js';
import { createLogger } from './log.js';
import { Realtime } from './realtime/realtime.js';
import { RealtimeMetrics } from './realtime/metrics.js';
import { realtimeMessages } from './realtime/messages.js';
import { installRealtimeRoute } from './realtime/route.js';
import { Audit } from './audit/audit.js';
import { auditMigrations } from './audit/store.js';
import { installRequestContext } from './audit/context.js';
import { importMigrations, installImports } from './imports/index.js';
import { heartbeatMigrations, startHeartbeat } from './backup/heartbeat.js';
import { scheduledBackup } from './backup/scheduled.js';
import { installExports } from './exports/index.js';
import { installReports, reportMigrations } from './reports/index.js';

export { createLogger } from './log.js';

export interface CreateAppOptions {
  config: AppConfig;
  /** Validated `modules.<name>` sections (with defaults), by module name. */
  moduleConfigs?: Record<string, unknown>;
  /** Every module available; which run is decided by `modules.<name>.enabled` (default: the module's enabledByDefault, else on). */
  modules: AnyModule[];
  secret: string;
  logger?: Logger;
  /** PostgreSQL schema first on the search_path (tests isolate apps this way). */
  databaseSchema?: string;
  /** Run migrations at start (default true; `neptuno start --no-migrate` turns it off). */
  migrate?: boolean;
  /** Start the job worker and crons (default: when jobs.concurrency > 0). */
  workers?: boolean;
}

export interface NeptunoApp {
  server: App;
  ctx: KernelContext;
  /** Enabled modules, in dependency order. */
  modules: AnyModule[];
  migrations: MigrationSource[];
  listen(): Promise<string>;
  /** Runs a module's cron (`<module>.<cron>`) now, whether or not workers run; throws its error. */
  runCron(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Every migration the kernel and the given modules own (disabled modules too: enabling is a flip). */
export function migrationSources(modules: AnyModule[]): MigrationSource[] {
  return [
    { owner: 'core', migrations: { ...settingsMigrations, ...queueMigrations, ...lockMigrations, ...mailMigrations, ...idempotencyMigrations, ...outboxMigrations, ...auditMigrations, ...importMigrations, ...heartbeatMigrations, ...reportMigrations } },
    ...modules.filter((m) => m.migrations).map((m) => ({ owner: m.name, migrations: m.migrations! })),
  ];
}

/** Builds drivers, migrates, wires modules and routes. Call listen() to serve. */
export async function createApp(opts: CreateAppOptions): Promise<NeptunoApp> {
  const { config } = opts;
  const log = opts.logger ?? createLogger(config);
  // Pagination cursors are signed with the secret, so replicas accept each other's.
  useCursorSecret(opts.secret);
  const byName = new Map(opts.modules.map((m) => [m.name, m]));
  const isEnabled = (name: string) => config.modules[name]?.enabled ?? byName.get(name)?.enabledByDefault ?? true;
  const modules = resolveModules(opts.modules, isEnabled);

  const closers: Array<() => Promise<void>> = [];
  // Without sentry.dsn: a no-op, and @sentry/core is never loaded.
  const errors = await createErrorReporter(config, log);
  // Last of all: what the shutdown itself reported still goes out.
  closers.push(() => errors.close());
  const database: Database = createDatabase({
    url: config.database.url,
    schema: opts.databaseSchema,
    poolSize: config.database.poolSize,
    transactionTimeoutMs: config.database.transactionTimeoutMs,
    slowStatementMs: config.database.slowStatementMs,
  });
  // SQL text only: parameters may be personal data.
  database.stats.onSlow = (sqlText, ms) => log.warn({ sql: sqlText.slice(0, 1000), ms: Math.round(ms) }, 'slow statement');
  closers.push(() => database.destroy());

  try {
    // Without tracing.endpoint: null, and OpenTelemetry is never loaded. Before the drivers: the
    // Redis instrumentation must see ioredis loaded.
    const tracing = await startTracing(config, database, log);
    if (tracing) closers.push(() => tracing.shutdown());
    const migrations = migrationSources(opts.modules);
    if (opts.migrate !== false) await migrateDatabase(database, migrations);
    // Replicas sharing this database must share the secret: refuse to start with another one.
    await checkSecretFingerprint(database.db, opts.secret);

    const metrics = createMetricsRegistry();
    const drivers = createDrivers(config, database, log, metrics);
    closers.unshift(() => drivers.close());
    const { redis, cache, rateLimiter, locks, pubsub, queue, cron } = drivers;
    // A wrong REDIS_URL stops start-up here, naming Redis and the URL (password redacted).
    if (redis) await waitForRedis(redis, config.redis.url!);
    // The local folder or the S3 store (STORAGE_URL); local links are signed with the app secret.
    const storage = createStorage(config.storage, { dataDir: config.dataDir, serverPublicUrl: config.server.publicUrl, secret: opts.secret });
    closers.unshift(() => storage.close());
    // Before anything registers a job handler (mail, outbox deliveries, modules).
    const jobWrappers: JobWrapper[] = [];
    if (errors.enabled) jobWrappers.push(reportJobFailures(errors));
    if (tracing) jobWrappers.push(tracing.wrapJob);
    wrapQueueHandlers(queue, jobWrappers);

    const events = new EventBus(log);
    const outbox = new Outbox(database, queue, events, config.events, log.child({ component: 'outbox' }));
    // Before the drivers close: prompt deliveries still running use the database and the queue.
    closers.unshift(() => outbox.stop());
    cron.add({ name: 'core.prune-outbox', schedule: '29 3 * * *', run: async () => void (await outbox.store.prune(7 * 86_400_000)) });
    const i18n = new I18n(config.i18n.defaultLocale);
    const access = new Access(config);
    i18n.extend(realtimeMessages);
    i18n.extend(storageMessages);
    const realtime = new Realtime({
      config: config.realtime,
      pubsub,
      database,
      access,
      i18n,
      log: log.child({ component: 'realtime' }),
      metrics: new RealtimeMetrics(metrics),
    });
    const settings = new Settings(database.db, cache, pubsub, log.child({ component: 'settings' }), async (keys) => {
      await events.notify('settings.changed', { keys });
    });
    const audit = new Audit({ database, ip: config.audit.ip, redactKeys: config.audit.redactKeys });
    settings.define({
      key: 'audit.retentionDays',
      schema: Type.Integer({ minimum: 1, maximum: 36_500 }),
      default: config.audit.retentionDays,
      description: 'Audit log entries older than this many days are deleted (daily, core.audit-prune)',
    });
    // Every settings change (module switches included) is audited in the transaction that writes it.
    settings.onWrite(async (trx, changes) => {
      for (const c of changes) {
        await audit.record({ action: 'settings.changed', target: { type: 'setting', id: c.key }, before: { value: c.before }, after: { value: c.after } }, trx);
      }
    });
    cron.add({ name: 'core.audit-prune', schedule: '41 3 * * *', run: async () => void (await audit.prune(settings.get<number>('audit.retentionDays'))) });
    // The scheduled backup (backups.schedule): one replica per tick, then retention (docs/backups.md).
    if (config.backups.schedule) cron.add({ name: 'core.backup', schedule: config.backups.schedule, run: () => scheduledBackup(config, ctx, log, opts.databaseSchema) });
    const services = {} as Services;
    const mail = new KernelMail({
      config: config.mail,
      defaultLocale: config.i18n.defaultLocale,
      database,
      queue,
      // Through the outbox: inside ctx.tx the email is queued if and only if the transaction commits.
      enqueue: (job, payload, jobOpts) => outbox.enqueue(job, payload, jobOpts),
      log: log.child({ component: 'mail' }),
    });
    // The worker stops first (stop() is idempotent), so no send is cut off by its transport closing.
    closers.unshift(async () => {
      await queue.stop();
      await mail.close();
    });
    for (const m of modules) if (m.mail) mail.templates.register(m.name, m.mail.templates);
    const apiCalls = new ApiCalls(log.child({ component: 'api-calls' }));
    const health = new Health(config.health.timeoutMs, log.child({ component: 'health' }));
    health.add('database', () => database.ping());
    health.add('queue', () => queue.ping());
    if (redis) {
      health.add('redis', async () => {
        await redis.ping();
      });
    }
    if (config.health.smtp && mail.usesSmtp) health.add('smtp', () => mail.verify(), { critical: false });

    const ctx: KernelContext = {
      appConfig: config,
      database,
      db: database.db,
      dialect: database.dialect,
      tx: (fn, txOpts) => outbox.tx(fn, txOpts),
      cache,
      rateLimiter,
      locks,
      pubsub,
      queue,
      storage,
      events,
      outbox,
      services,
      settings,
      access,
      i18n,
      secret: opts.secret,
      log,
      metrics,
      health,
      errors,
      enqueue: (job, payload, jobOpts) => outbox.enqueue(job, payload, jobOpts),
      mail,
      apiCalls,
      realtime,
      audit,
      privacy: {
        async exportUser(userId) {
          const out: Record<string, unknown> = {};
          for (const m of modules) if (m.exportUser) out[m.name] = await m.exportUser(userId, contexts.get(m.name)!);
          return out;
        },
      },
    };

    const contexts = wireModules(modules, ctx, opts.moduleConfigs ?? {}, cron, realtime.channels);
    if (config.env === 'production' && !mail.usesSmtp) log.warn('mail.url is not set: emails go to the development outbox table, not to people (set MAIL_URL)');
    await settings.start();
    closers.unshift(() => settings.stop());
    // Admins watching the `admin` channel see runtime setting changes at once (sent once, by the replica that made it).
    settings.onUpdate((keys) => realtime.publish('admin', { event: 'settings.changed', settings: keys.map((key) => ({ key, value: settings.get(key) })) }));

    const server = await createServer(config, log, opts.secret);
    // Before any route: handlers are wrapped as they are added.
    tracing?.installHttp(server);
    // Records every route and the scope it declares (keys, OpenAPI, tests): before any route.
    server.addHook('onRoute', access.scopes.onRoute);
    closers.unshift(() => server.close());
    installErrorHandling(server, i18n, errors.enabled ? (err, request, status) => reportRequestError(errors, err, request, status) : undefined);
    // ctx.audit.record fills the actor, IP and request id from the request it runs in.
    installRequestContext(server);
    server.decorateRequest('actor', function (this: { _actor?: Promise<unknown> }) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return (this._actor ??= access.resolve(this as any));
    } as never);
    const metricsListener = installHttpMetrics(server, metrics, config);
    closers.unshift(() => metricsListener.close());
    // Before any route is registered: `config: { idempotent: true }` is read as routes are added.
    const idempotency = installIdempotency(server, { database });
    cron.add({ name: 'core.idempotency-prune', schedule: '23 * * * *', run: async () => void (await idempotency.prune()) });
    await installOpenApi(server, config.server.publicUrl, docsEnabled(config));
    // Root hooks, before any route: metering and quotas registered by modules (ctx.apiCalls).
    apiCalls.install(server);

    // Storage (the local folder or S3) is a dependency like the database.
    health.add('storage', () => storage.ping());
    installHealth(server, health);
    const operator = installOperatorMetrics({ server, registry: metrics, config, database, outbox, health });
    outbox.onHandlerError = (module, event, err, eventId) => {
      operator.onHandlerError(module, event);
      errors.capture(err, { kind: 'event', module, event, eventId });
    };
    // S3 serves its own links; the local folder's are served here.
    if (storage instanceof LocalStorage) installStorageRoute(server, storage);
    await server.register(async (scope) => kernelAdminRoutes(scope as App, ctx), { prefix: '/v1/admin' });
    await installImports(server, ctx, modules, contexts, config.imports);
    await installExports(server, ctx);
    await installReports(server, ctx, modules, contexts, cron);

    if (config.realtime.enabled) await installRealtimeRoute(server, realtime, access, rateLimiter);
    await mountModuleRoutes(server, modules, contexts, ctx);

    for (const m of modules) await m.start?.(contexts.get(m.name)!);
    closers.unshift(async () => {
      // Deliveries this process started run module handlers: let them finish first.
      await outbox.settled();
      for (const m of [...modules].reverse()) await m.stop?.(contexts.get(m.name)!);
    });
    if (config.realtime.enabled) {
      await realtime.start();
      // First of all on shutdown: sockets get 1001 (going away) and reconnect to another replica.
      closers.unshift(() => realtime.close());
    }

    if (opts.workers ?? config.jobs.concurrency > 0) {
      await queue.start();
      outbox.start();
      cron.start();
    }
    await server.ready();

    let closed = false;
    return {
      server,
      ctx,
      modules,
      migrations,
      async listen() {
        const address = await server.listen({ host: config.server.host, port: config.server.port });
        // `neptuno backup restore` refuses to replace a database a server announces itself in.
        const stopHeartbeat = await startHeartbeat(database.db, address, log);
        closers.splice(closers.length - 1, 0, stopHeartbeat);
        const metricsAddress = await metricsListener.listen();
        if (metricsAddress) log.info({ address: metricsAddress }, 'metrics listening');
        return address;
      },
      runCron: (name) => cron.runNow(name),
      async close() {
        if (closed) return;
        closed = true;
        await runClosers(closers, log);
      },
    };
  } catch (err) {
    await runClosers(closers, log);
    throw err;
  }
}

async function runClosers(closers: Array<() => Promise<void>>, log: Logger) {
  for (const close of closers) {
    try {
      await close();
    } catch (err) {
      log.warn({ err }, 'error while closing');
    }
  }
}
