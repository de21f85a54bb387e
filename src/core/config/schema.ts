import { Type, type Static } from 'typebox';

/**
 * The kernel's sections of neptuno.yaml. Every object is closed (unknown keys are errors) and
 * every leaf has a default, so an empty file is a valid development configuration.
 * Module sections live under `modules.<name>` and are validated by each module's own schema.
 * Loaded by ./load.ts, documented in docs/configuration.md. An `errorMessage` annotation replaces
 * the generated validation message for that key.
 */
const Closed = { additionalProperties: false } as const;

/** `mail.from` when unset (also how a deprecated `modules.auth.mail.from` knows it may apply). */
export const MAIL_FROM_DEFAULT = 'Neptuno <no-reply@localhost>';

export const ServerConfig = Type.Object(
  {
    /** Loopback by default: a development server is not reachable from the network unless asked (HOST=0.0.0.0; the Docker image sets it). */
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8000 }),
    /**
     * Public base URL, used in links (emails, OAuth callbacks); its origin is trusted for cookie
     * requests. Left unset, the loader makes it http://localhost:<port>, following `port`.
     */
    publicUrl: Type.String({ default: 'http://localhost:8000' }),
    /** false, true (trust every hop), a hop count, or a comma-separated list of proxy IPs/CIDRs. */
    trustProxy: Type.Union([Type.Boolean(), Type.Integer({ minimum: 0 }), Type.String()], { default: false }),
    bodyLimit: Type.Integer({ minimum: 1024, default: 1_048_576 }),
    requestTimeoutMs: Type.Integer({ minimum: 0, default: 30_000 }),
    /**
     * After SIGTERM/SIGINT, in-flight requests and drivers get this long to finish; then the
     * process exits anyway (code 1). Log flushing adds at most ~2 s on top.
     */
    shutdownTimeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
    /**
     * Interactive docs at /docs and the OpenAPI document at /openapi.json. `auto`: served except
     * in production. `neptuno openapi` writes the document either way.
     */
    docs: Type.Union([Type.Literal('auto'), Type.Boolean()], { default: 'auto' }),
    cors: Type.Object(
      {
        /** Allowed origins; `*` allows any origin but never together with credentials in production. */
        origins: Type.Array(Type.String(), { default: [] }),
        credentials: Type.Boolean({ default: true }),
      },
      { ...Closed, default: {} },
    ),
  },
  { ...Closed, default: {} },
);

export const AppConfigSchema = Type.Object(
  {
    env: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
      default: 'development',
    }),
    server: ServerConfig,
    database: Type.Object(
      {
        /** `sqlite:<path>` (embedded) or `postgres://…` (at scale). */
        url: Type.String({
          default: 'sqlite:./data/neptuno.db',
          pattern: '^(sqlite:.+|postgres(ql)?://.+)$',
          errorMessage: 'must start with sqlite: (e.g. sqlite:./data/neptuno.db) or postgres://',
        }),
        poolSize: Type.Integer({ minimum: 1, default: 10 }),
        /** A transaction still open after this long is rolled back, so it can never hold the database. */
        transactionTimeoutMs: Type.Integer({ minimum: 10, default: 30_000 }),
        /** Statements taking this long or longer are counted (neptuno_db_slow_statements_total) and logged, SQL text only. */
        slowStatementMs: Type.Integer({ minimum: 0, default: 500 }),
      },
      { ...Closed, default: {} },
    ),
    redis: Type.Object(
      {
        /** null: in-process cache, locks, pub/sub and SQL job queue (one process). */
        url: Type.Union(
          [Type.String({ pattern: '^rediss?://', errorMessage: 'must start with redis:// or rediss://' }), Type.Null()],
          { default: null },
        ),
        /** Prefix of every key and channel, so several apps can share one Redis. */
        prefix: Type.String({ default: 'neptuno:' }),
      },
      { ...Closed, default: {} },
    ),
    /** Application secret (>= 32 chars). Set NEPTUNO_SECRET; never commit it. */
    secret: Type.Union([Type.String(), Type.Null()], { default: null }),
    /** Directory for the SQLite file, the generated development secret and local files. */
    dataDir: Type.String({ default: './data' }),
    admin: Type.Object(
      {
        /** Bearer token for /v1/admin/* before (or besides) admin accounts. Unset: no token access. */
        token: Type.Union([Type.String(), Type.Null()], { default: null }),
      },
      { ...Closed, default: {} },
    ),
    /**
     * Prometheus metrics. `port` set: served on that separate listener only (reach it from the
     * monitoring network). Else `token` set: GET /metrics on the API port with
     * `Authorization: Bearer <token>`. Neither: public /metrics outside production, none in
     * production.
     */
    metrics: Type.Object(
      {
        token: Type.Union([Type.String(), Type.Null()], { default: null }),
        port: Type.Union([Type.Integer({ minimum: 0, maximum: 65535 }), Type.Null()], { default: null }),
        /** Interface of the metrics listener; null: the same as server.host. */
        host: Type.Union([Type.String(), Type.Null()], { default: null }),
        /**
         * Organizations (tenants) whose requests are counted on their own in
         * neptuno_tenant_requests_total{tenant}; every other tenant's requests count as `other`.
         * An opt-in list keeps the label set bounded (docs/operations.md).
         */
        tenants: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { default: [], maxItems: 100 }),
      },
      { ...Closed, default: {} },
    ),
    /** GET /health/ready (docs/operations.md). */
    health: Type.Object(
      {
        /** Each dependency check fails after this long. */
        timeoutMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 2_000 }),
        /** Also ask the SMTP server (mail.url) to answer; reported, never fails readiness. */
        smtp: Type.Boolean({ default: false }),
      },
      { ...Closed, default: {} },
    ),
    /** Unexpected errors to Sentry or a Sentry-compatible service (docs/operations.md). Off while dsn is null. */
    sentry: Type.Object(
      {
        /** The project's DSN (https://<key>@<host>/<project>). Env: SENTRY_DSN. */
        dsn: Type.Union([Type.String({ pattern: '^https?://[^@/]+@.+/.+$', errorMessage: 'must be a DSN like https://<key>@<host>/<project>' }), Type.Null()], {
          default: null,
        }),
        /** Reported environment; null: `env`. Env: SENTRY_ENVIRONMENT. */
        environment: Type.Union([Type.String(), Type.Null()], { default: null }),
        /** Reported release (a version or commit). Env: SENTRY_RELEASE. */
        release: Type.Union([Type.String(), Type.Null()], { default: null }),
        /** Share of errors sent (1: all). */
        sampleRate: Type.Number({ minimum: 0, maximum: 1, default: 1 }),
      },
      { ...Closed, default: {} },
    ),
    /** OpenTelemetry traces exported by OTLP/HTTP (docs/operations.md). Off while endpoint is null. */
    tracing: Type.Object(
      {
        /** Collector base URL; spans go to <endpoint>/v1/traces. Env: OTEL_EXPORTER_OTLP_ENDPOINT. */
        endpoint: Type.Union([Type.String({ pattern: '^https?://', errorMessage: 'must be an http(s) URL' }), Type.Null()], { default: null }),
        /** service.name of every span. Env: OTEL_SERVICE_NAME. */
        serviceName: Type.String({ minLength: 1, default: 'neptuno' }),
        /** Share of new traces sampled (a caller's sampled traceparent is always followed). */
        sampleRatio: Type.Number({ minimum: 0, maximum: 1, default: 1 }),
      },
      { ...Closed, default: {} },
    ),
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
          { default: 'info' },
        ),
        /**
         * One line per request: `all`, or `slow` (only requests slower than slowRequestMs; errors
         * are logged either way). `auto`: all in development and test, slow in production, where
         * the load balancer keeps access logs and a line per request would cost a third of the
         * throughput.
         */
        requests: Type.Union([Type.Literal('auto'), Type.Literal('all'), Type.Literal('slow')], { default: 'auto' }),
        slowRequestMs: Type.Integer({ minimum: 0, default: 1000 }),
      },
      { ...Closed, default: {} },
    ),
    i18n: Type.Object(
      {
        defaultLocale: Type.Union([Type.Literal('es'), Type.Literal('en')], { default: 'es' }),
      },
      { ...Closed, default: {} },
    ),
    events: Type.Object(
      {
        /** Deliveries not finished by the emitting process are retried by a job after this long. */
        recoveryDelayMs: Type.Integer({ minimum: 0, default: 5000 }),
        /** Attempts per delivery before it goes dead (listed by `neptuno events list`). */
        attempts: Type.Integer({ minimum: 1, default: 10 }),
        /** Base of the exponential backoff between attempts. */
        backoffMs: Type.Integer({ minimum: 0, default: 1000 }),
        /** A handler running longer without renewing its lease (its process died) is run again. */
        leaseMs: Type.Integer({ minimum: 100, default: 60_000 }),
        /** How often outbox rows not yet handed to BullMQ (the emitting process died) are relayed. */
        relayIntervalMs: Type.Integer({ minimum: 10, default: 1000 }),
      },
      { ...Closed, default: {} },
    ),
    jobs: Type.Object(
      {
        /** Jobs run at once by this process. 0 disables the worker (an API-only replica). */
        concurrency: Type.Integer({ minimum: 0, default: 4 }),
        pollIntervalMs: Type.Integer({ minimum: 10, default: 500 }),
        /** A job taken longer ago than this without finishing is handed to another worker. */
        visibilityTimeoutMs: Type.Integer({ minimum: 1000, default: 60_000 }),
      },
      { ...Closed, default: {} },
    ),
    /** Websockets at `path` (docs/realtime.md): channels, fan-out across replicas, resume, limits. */
    realtime: Type.Object(
      {
        /** false: no websocket endpoint (ctx.realtime.publish still numbers and keeps messages). */
        enabled: Type.Boolean({ default: true }),
        path: Type.String({ pattern: '^/[A-Za-z0-9/_.-]*$', default: '/ws' }),
        /** Per-channel replay buffer for resume, shared by replicas: the last `count` messages, none older than `maxAgeMs`. */
        replay: Type.Object(
          {
            count: Type.Integer({ minimum: 0, maximum: 10_000, default: 100 }),
            maxAgeMs: Type.Integer({ minimum: 1000, default: 300_000 }),
          },
          { ...Closed, default: {} },
        ),
        /** A websocket ping every this often; a client that answers nothing (no pong, no frame) for idleTimeoutMs is cut off. */
        heartbeatMs: Type.Integer({ minimum: 100, default: 30_000 }),
        idleTimeoutMs: Type.Integer({ minimum: 200, default: 75_000 }),
        limits: Type.Object(
          {
            /** Largest frame a client may send; larger closes the socket with 1009. */
            maxPayloadBytes: Type.Integer({ minimum: 256, maximum: 1_048_576, default: 16_384 }),
            /** Largest `data` ctx.realtime.publish accepts (as JSON). */
            maxMessageBytes: Type.Integer({ minimum: 256, maximum: 16_777_216, default: 65_536 }),
            /** Bytes queued for a client that does not read: past this it is closed with 4008 (slow consumer). */
            maxBufferedBytes: Type.Integer({ minimum: 1024, default: 1_048_576 }),
            /** Frames a client may send per second; beyond, an error frame; beyond twice, closed with 4029. */
            messagesPerSecond: Type.Integer({ minimum: 1, default: 20 }),
            subscriptionsPerConnection: Type.Integer({ minimum: 1, default: 100 }),
            /** Open sockets per client IP and per authenticated actor, on each replica. */
            connectionsPerIp: Type.Integer({ minimum: 1, default: 200 }),
            connectionsPerActor: Type.Integer({ minimum: 1, default: 20 }),
            /** New sockets per client IP per minute, across replicas (the rate-limit driver). */
            connectsPerMinutePerIp: Type.Integer({ minimum: 1, default: 300 }),
          },
          { ...Closed, default: {} },
        ),
      },
      { ...Closed, default: {} },
    ),
    /** Spreadsheet imports (docs/imports.md): caps applied to every upload before anything is written. */
    imports: Type.Object(
      {
        /** Largest file accepted, in bytes (the whole upload is read into memory once, for the zip-bomb guard). */
        maxBytes: Type.Integer({ minimum: 1024, maximum: 1_073_741_824, default: 20_971_520 }),
        /** Most data rows in one file; more is 413 import_too_many_rows and nothing is stored. */
        maxRows: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 100_000 }),
        /** Longest cell, in characters; longer is 422 import_cell_too_large. */
        maxCellChars: Type.Integer({ minimum: 16, maximum: 1_048_576, default: 10_000 }),
        /** Validation errors kept per upload for the report (all are counted). */
        maxErrorsKept: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000 }),
        /** Zip-bomb guard for XLSX: most entries, and most bytes they may inflate to together. */
        xlsxMaxEntries: Type.Integer({ minimum: 4, maximum: 100_000, default: 1000 }),
        xlsxMaxUncompressedBytes: Type.Integer({ minimum: 1024, maximum: 4_294_967_295, default: 209_715_200 }),
      },
      { ...Closed, default: {} },
    ),
    /** Email for every module (`ctx.mail`, docs/mail.md). */
    mail: Type.Object(
      {
        /** smtp(s)://user:pass@host:port. null: the development outbox (a table plus a log line). Env: MAIL_URL or SMTP_URL. */
        url: Type.Union(
          [Type.String({ pattern: '^smtps?://.+', errorMessage: 'must start with smtp:// or smtps:// (e.g. smtp://user:pass@smtp.example.com:587)' }), Type.Null()],
          { default: null },
        ),
        /** Sender of every email: an address your SMTP provider lets you send from. */
        from: Type.String({ minLength: 3, default: MAIL_FROM_DEFAULT }),
        /** Name shown at the top of the shared layout and in its footer. */
        brand: Type.String({ minLength: 1, default: 'Neptuno' }),
        /** Sending attempts before the email's job goes to the dead-letter list. */
        attempts: Type.Integer({ minimum: 1, maximum: 50, default: 8 }),
        /** First retry delay in ms, doubled on each attempt (5 s, 10 s, 20 s… about 10 min in all). */
        backoffMs: Type.Integer({ minimum: 0, default: 5000 }),
        /** Longest wait for the SMTP server (connecting, greeting, any silence) before the attempt fails. */
        timeoutMs: Type.Integer({ minimum: 1000, default: 30_000 }),
      },
      { ...Closed, default: {} },
    ),
    /** The audit log (docs/audit.md): who did what, kept `retentionDays` (also a runtime setting). */
    audit: Type.Object(
      {
        /** Entries older than this are deleted by the daily `core.audit-prune` cron. Runtime setting `audit.retentionDays` overrides it. */
        retentionDays: Type.Integer({ minimum: 1, maximum: 36_500, default: 365 }),
        /** Client addresses: `full`, `truncated` (the /24 or /48 network) or `none`. */
        ip: Type.Union([Type.Literal('full'), Type.Literal('truncated'), Type.Literal('none')], { default: 'full' }),
        /** Extra key names whose values are never stored in before/after (besides the built-in list: email, phone, password…). */
        redactKeys: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { default: [] }),
      },
      { ...Closed, default: {} },
    ),
    /** Backups (docs/backups.md): `neptuno backup …` and the scheduled backup. */
    backups: Type.Object(
      {
        /**
         * Where backups go: a directory (relative to the working directory), or `storage` for the
         * storage driver (ctx.storage: the local folder or S3), under `storagePrefix`.
         */
        destination: Type.String({ minLength: 1, default: './backups' }),
        storagePrefix: Type.String({ pattern: '^[A-Za-z0-9_./-]*$', default: 'backups/' }),
        /** The scheduled backup (cron, UTC), run by one replica. null: no scheduled backup. */
        schedule: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null }),
        /** How many backups the scheduled run keeps: the newest of each of the last N days, ISO weeks and months. */
        keep: Type.Object(
          {
            daily: Type.Integer({ minimum: 0, maximum: 1000, default: 7 }),
            weekly: Type.Integer({ minimum: 0, maximum: 1000, default: 4 }),
            monthly: Type.Integer({ minimum: 0, maximum: 1000, default: 12 }),
          },
          { ...Closed, default: {} },
        ),
        /** Include the local files folder (storage.local.dir when configured, else `<dataDir>/files`). */
        files: Type.Boolean({ default: true }),
        /** pg_dump / pg_restore / psql to run (found on PATH by default). */
        pgDump: Type.String({ default: 'pg_dump' }),
        pgRestore: Type.String({ default: 'pg_restore' }),
        psql: Type.String({ default: 'psql' }),
      },
      { ...Closed, default: {} },
    ),
    /** Object storage for every module (`ctx.storage`, docs/drivers.md, docs/files.md). */
    storage: Type.Object(
      {
        /**
         * null: the folder `<dataDir>/files`; `file:<folder>`; or an S3-compatible store,
         * `s3://KEY:SECRET@host/bucket?region=…&forcePathStyle=true` (`s3+http://` for plain HTTP).
         * Env: STORAGE_URL.
         */
        url: Type.Union(
          [
            Type.String({
              pattern: '^(file:.+|s3(\\+http)?://.+)$',
              errorMessage: 'must start with file: (a folder) or s3:// (e.g. s3://KEY:SECRET@s3.amazonaws.com/bucket?region=eu-west-1)',
            }),
            Type.Null(),
          ],
          { default: null },
        ),
        /**
         * Base of public objects' links (a CDN in front). null: the bucket's own URL for S3, the
         * server's publicUrl for the local folder (Neptuno serves it). Env: STORAGE_PUBLIC_URL.
         */
        publicUrl: Type.Union([Type.String({ pattern: '^https?://' }), Type.Null()], { default: null }),
        /** Life of a signed link to a private object, in seconds. */
        signedUrlExpiresIn: Type.Integer({ minimum: 1, maximum: 604_800, default: 3600 }),
      },
      { ...Closed, default: {} },
    ),
    /** Role name -> permissions. `*` grants everything. */
    roles: Type.Record(
      Type.String({ pattern: '^[a-z][a-z0-9_-]*$' }),
      Type.Object({ permissions: Type.Array(Type.String(), { default: [] }) }, { ...Closed, default: {} }),
      // The loader treats records as closed (a name breaking the pattern is an error). Not
      // `additionalProperties: false` here: TypeBox 1.4's Value.Default crashes on it.
      { default: { user: { permissions: [] }, admin: { permissions: ['*'] } } },
    ),
    /** Your own modules: files (relative to the working directory) that default-export defineModule(). */
    moduleFiles: Type.Array(Type.String(), { default: [] }),
    /** `modules.<name>.enabled` plus each module's own keys (validated by the module). */
    modules: Type.Record(Type.String(), Type.Object({ enabled: Type.Boolean({ default: true }) }), { default: {} }),
  },
  Closed,
);

export type AppConfig = Static<typeof AppConfigSchema>;
export type ServerConfig = Static<typeof ServerConfig>;
export type RealtimeConfig = AppConfig['realtime'];
