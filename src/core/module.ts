import type { Health } from './http/health.js';
import type { ErrorReporter } from './telemetry/errors.js';
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Migration } from 'kysely';
import type { Static, TObject } from 'typebox';
import type { Logger } from 'pino';
import type { AppConfig } from './config/schema.js';
import type { Database, Db, Dialect } from './db/database.js';
import type { Cache } from './drivers/cache/contract.js';
import type { RateLimiter } from './drivers/ratelimit/contract.js';
import type { LockManager } from './drivers/lock/contract.js';
import type { PubSub } from './drivers/pubsub/contract.js';
import type { JobContext, JobOptions, Queue } from './drivers/queue/contract.js';
import type { Storage } from './drivers/storage/contract.js';
import type { DomainEvents, EventBus, EventMeta, EventName } from './events.js';
import type { Outbox } from './outbox/outbox.js';
import type { Settings } from './config/settings.js';
import type { Access } from './http/access.js';
import type { I18n, Messages } from './i18n/index.js';
import type { Registry } from 'prom-client';
import type { Mail, MailTemplates } from './mail/types.js';
import type { ApiCalls } from './http/api-calls.js';
import type { ChannelDefinition } from './realtime/channels.js';
import type { RealtimePublisher } from './realtime/realtime.js';
import type { Audit } from './audit/audit.js';
import type { AnyImport } from './imports/types.js';
import type { ReportDefinition } from './reports/types.js';

/**
 * Services other modules may call, keyed by name. Each module declares its own by merging:
 *
 *   declare module '../../core/module.js' {
 *     interface Services { gamification: GamificationService }
 *   }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Services {}

/**
 * Job payloads by full job name (`<module>.<job>`). A module declares its jobs by merging, and
 * then both `ctx.enqueue('guestbook.moderate', payload)` and its `jobs: { moderate }` handler
 * are type-checked against the declared payload:
 *
 *   declare module '../../core/module.js' {
 *     interface Jobs { 'guestbook.moderate': { id: string } }
 *   }
 *
 * Undeclared names still work, with an `unknown` payload (handlers get `any`).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Jobs {}

/** The payload `ctx.enqueue(job, …)` takes: the declared one, or unknown for an undeclared job. */
export type JobPayload<J extends string> = J extends keyof Jobs ? Jobs[J] : unknown;

/** Fastify instance with TypeBox schemas as the type provider. */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What the kernel hands to every module. */
export interface KernelContext {
  appConfig: AppConfig;
  database: Database;
  db: Db;
  dialect: Dialect;
  /**
   * Runs fn in a transaction. The handle is the Kysely transaction plus `trx.emit`,
   * `trx.enqueue` and `trx.afterCommit` (docs/modules.md). Inside an open transaction it joins it.
   */
  tx: Outbox['tx'];
  cache: Cache;
  rateLimiter: RateLimiter;
  locks: LockManager;
  pubsub: PubSub;
  queue: Queue;
  /**
   * Object storage (docs/drivers.md): a local folder or an S3-compatible store. Keys under
   * `public/` get permanent public links, any other key signed expiring ones (`url()`).
   */
  storage: Storage;
  /** In-process notifications on this replica (settings.changed, committed events); not durable. */
  events: EventBus;
  /** The transactional outbox behind ctx.tx: delivery of domain events to modules' `on:` handlers. */
  outbox: Outbox;
  services: Services;
  settings: Settings;
  access: Access;
  i18n: I18n;
  /** Prometheus registry served at /metrics; modules may add their own metrics (in their metrics.ts, bounded labels). */
  metrics: Registry;
  /** Unexpected errors to Sentry when `sentry.dsn` is set (`errors.capture(err, { kind, ... })`); a no-op otherwise. */
  errors: ErrorReporter;
  /** Readiness checks behind GET /health/ready and neptuno_dependency_up: `health.add(name, check, { critical })`. */
  health: Health;
  /** Collects every enabled module's `exportUser` data, keyed by module name. */
  privacy: { exportUser(userId: string): Promise<Record<string, unknown>> };
  /** The application secret (HMAC keys, signed cookies). Never logged. */
  secret: string;
  log: Logger;
  /**
   * Enqueues a job by its full name (`<module>.<job>`), the payload checked against `Jobs`;
   * inside ctx.tx it joins the transaction (trx.enqueue).
   */
  enqueue<J extends string>(job: J, payload: JobPayload<J>, opts?: JobOptions): Promise<string>;
  /** Email through a job, from templates (`mail.templates` of any module) or raw (docs/mail.md). */
  mail: Mail;
  /** Hooks on every authenticated API call, before the handler and after the answer (usage metering, quotas: http/api-calls.ts). */
  apiCalls: ApiCalls;
  /**
   * Websocket channels (docs/realtime.md): `publish(channel, data)` reaches every subscriber on
   * every replica once; inside ctx.tx it waits for the commit.
   */
  realtime: RealtimePublisher;
  /**
   * The audit log (docs/audit.md): `ctx.audit.record({ action, target, before, after }, trx?)`
   * writes in the caller's transaction (the one passed, else the ctx.tx open around the call) and
   * fills the actor, IP and request id from the current request.
   */
  audit: Audit;
}

export interface ModuleContext<C = unknown> extends KernelContext {
  name: string;
  /** This module's section of neptuno.yaml, validated and with defaults applied. */
  config: C;
}

export type RoutesFn<C> = (app: App, ctx: ModuleContext<C>) => Promise<void> | void;

export interface CronDefinition<C> {
  name: string;
  /** croner pattern, UTC. */
  schedule: string;
  run: (ctx: ModuleContext<C>) => Promise<void>;
}

export type ModuleJobHandler<P, C> = (payload: P, ctx: ModuleContext<C>, job: JobContext) => Promise<void>;

/**
 * A module's `jobs:`. With a literal module name, the handlers of jobs declared in `Jobs` as
 * `<name>.<job>` get their payload type; other handlers take `any`.
 */
export type ModuleJobs<N extends string, C> = string extends N
  ? // eslint-disable-next-line @typescript-eslint/no-explicit-any
    Record<string, ModuleJobHandler<any, C>>
  : { [K in keyof Jobs as K extends `${N}.${infer J}` ? J : never]?: ModuleJobHandler<Jobs[K], C> } & {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      [job: string]: ModuleJobHandler<any, C> | undefined;
    };

export type ModuleEventHandlers<C> = {
  [E in EventName]?: (payload: DomainEvents[E], ctx: ModuleContext<C>, meta: EventMeta) => Promise<void> | void;
};

export interface ModuleDefinition<S extends TObject = TObject, N extends string = string> {
  name: N;
  dependsOn?: string[];
  /**
   * Whether the module runs when neptuno.yaml says nothing (default true). Modules that move
   * money or need accounts elsewhere (payments) ship off: `modules.<name>.enabled: true` turns them on.
   */
  enabledByDefault?: boolean;
  /** An example of how to write a module, not for production: `neptuno doctor` refuses it switched on. */
  example?: boolean;
  /** TypeBox schema of `modules.<name>` in neptuno.yaml (besides `enabled`), with defaults. */
  config?: S;
  /** Ordered by name (use 0001_init, 0002_…); written with Kysely's schema builder for both dialects. */
  migrations?: Record<string, Migration>;
  services?: (ctx: ModuleContext<Static<S>>) => Partial<Services>;
  /** Mounted under `prefix` (default `/v1/<name>`). */
  routes?: RoutesFn<Static<S>>;
  prefix?: string;
  /** Mounted under `/v1/public/<name>`: no authentication expected. */
  publicRoutes?: RoutesFn<Static<S>>;
  /** Mounted under `/v1/admin/<name>`; every route requires the admin role. */
  adminRoutes?: RoutesFn<Static<S>>;
  /** Mounted at the root, for paths fixed by standards (`/.well-known/…`). Use sparingly. */
  rootRoutes?: RoutesFn<Static<S>>;
  /** Job handlers; enqueued as `<module>.<job>` (payload types from `Jobs`). */
  jobs?: ModuleJobs<N, Static<S>>;
  crons?: CronDefinition<Static<S>>[];
  on?: ModuleEventHandlers<Static<S>>;
  /**
   * Realtime channel patterns this module serves, each with who may subscribe
   * (`{ pattern: 'orders:{id}', authorize: (actor, { id }, ctx) => … }`, docs/realtime.md).
   */
  channels?: ChannelDefinition<ModuleContext<Static<S>>>[];
  /**
   * Entities admins may import from CSV/XLSX (`defineImport`, docs/imports.md): addressed as
   * `<module>.<name>` under /v1/admin/imports.
   */
  imports?: AnyImport[];
  /** Reports rendered as HTML/PDF on demand or on a schedule (`defineReport`, docs/reports.md), named `<module>.<name>`. */
  reports?: ReportDefinition[];
  /** Email templates per locale, sent as `<module>.<name>` with `ctx.mail.send` (docs/mail.md). */
  mail?: { templates: MailTemplates };
  /** Problem titles/details and other strings, per locale, keyed by code. */
  messages?: Partial<Record<'es' | 'en', Messages>>;
  /** Data this module holds about a user, for the privacy export. */
  exportUser?: (userId: string, ctx: ModuleContext<Static<S>>) => Promise<unknown>;
  /** Runs after every module's services exist, before the server listens. */
  start?: (ctx: ModuleContext<Static<S>>) => Promise<void> | void;
  /** Runs on shutdown, in reverse start order. */
  stop?: (ctx: ModuleContext<Static<S>>) => Promise<void> | void;
}

/** Identity function that types a module manifest. */
export function defineModule<S extends TObject = TObject, N extends string = string>(def: ModuleDefinition<S, N>): ModuleDefinition<S, N> {
  if (!/^[a-z][a-z0-9-]*$/.test(def.name)) throw new Error(`Invalid module name "${def.name}": use lowercase letters, digits and dashes`);
  return def;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModule = ModuleDefinition<any, any>;
