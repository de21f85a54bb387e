/**
 * Neptuno's public API for your own modules: `import { defineModule, problem } from 'neptuno'`.
 * Test helpers live in `neptuno/testing`. Nothing here reaches into a module's files except the
 * shipped modules themselves (exported whole, so an app or a test can run them) and
 * `verifyServiceJwt`, a standalone helper for other services.
 */
export { defineModule } from './core/module.js';
export type { App, CronDefinition, KernelContext, ModuleContext, ModuleDefinition, Services } from './core/module.js';
export type { Jobs, JobPayload } from './core/module.js';
export type { DomainEvents, EventName, EventMeta, EmitOptions } from './core/events.js';
export type { Actor, Guard } from './core/http/access.js';
export { isApiRoute, type ApiCall, type ApiCallHook, type ApiCalls } from './core/http/api-calls.js';
// Route option `config: { scope }` (typed on Fastify's route config) and group defaults for it.
export { defaultScope, grantsScope, type RouteScope } from './core/http/scopes.js';
export {
  HttpProblem,
  problem,
  badRequest,
  unauthorized,
  forbidden,
  notFound,
  conflict,
  unprocessable,
  tooManyRequests,
  type FieldError,
  type ProblemOptions,
} from './core/http/problem.js';
export { paginate, Page, PageQuery, type PageResult } from './core/db/paginate.js';
export { isUniqueViolation, type Db, type Dialect } from './core/db/database.js';
// `Trx` is what ctx.tx hands its callback: the Kysely transaction plus trx.emit / enqueue / afterCommit.
export type { TxHandle as Trx, TxHandle, TxConsequences } from './core/outbox/outbox.js';
export { safeEqual } from './core/crypto.js';
// Audit log (docs/audit.md): ctx.audit.record(entry, trx?) and the redaction rule.
export type { Audit, AuditIpMode } from './core/audit/audit.js';
export type { AuditEntry, AuditRecord, AuditActorRef, AuditActorType, AuditTarget, AuditQuery } from './core/audit/types.js';
export { REDACTED, REDACTED_KEYS } from './core/audit/redact.js';
export { newId } from './core/ids.js';
// Money: integer minor units + ISO 4217 currency (docs/wallet.md#money).
export { formatMoney, currencyExponent, isCurrency, assertCurrency, currencies, toMinorUnits, fromMinorUnits, isMinorUnits, MAX_MINOR_UNITS } from './core/money.js';
export { DateTime, DateTimeQuery, parseDateTime } from './core/http/datetime.js';
export { columnTypes, dialectOf, failedStatementAbortsTransaction, toIso, toIsoOrNull, timestampParam, boolValue, forUpdate, lockKey, typedDb, typedTrx } from './core/db/dialect.js';
export type { Timestamp } from './core/db/dialect.js';
export type { JobContext, JobOptions, RescheduleOptions } from './core/drivers/queue/contract.js';
export type { Storage, StorageBody, PutOptions, PutResult, ObjectInfo, ListedObject, ObjectStream, ByteRange, UrlOptions } from './core/drivers/storage/contract.js';
export { StorageKeyError, StorageRangeError } from './core/drivers/storage/contract.js';
export { scopeToTenant, tenantValue, requireTenant } from './core/db/tenant.js';
export { createApp, type CreateAppOptions, type NeptunoApp } from './core/app.js';
export { loadConfig } from './core/config/load.js';
export type { IdempotencyClaim, IdempotentRouteOptions } from './core/http/idempotency.js';
// Realtime (docs/realtime.md): `channels:` in defineModule, `ctx.realtime.publish`, the protocol's frames and close codes.
export type { ChannelDefinition } from './core/realtime/channels.js';
export type { RealtimePublisher } from './core/realtime/realtime.js';
export { CLOSE as REALTIME_CLOSE_CODES, ERROR_CODES as REALTIME_ERROR_CODES, type ClientFrame, type ServerFrame, type WelcomeActor } from './core/realtime/protocol.js';
// The shipped modules by name (`createTestApp({ modules: [auth, guests, mine] })`). Exporting them
// from the entry also brings their `Services` and `DomainEvents` declarations into every program
// that imports `neptuno`, so `ctx.services.users` and `on: { 'user.registered': … }` type-check.
export { builtinModules, auth, guests, users, apiKeys, coupons, gamification, wallet, notifications, payments, plans, seo, legal } from './modules/index.js';
export type { SitemapSource, SitemapUrl, PublicPage as SeoPublicPage } from './modules/seo/module.js';
export { verifyServiceJwt } from './modules/auth/jwt.js';
// Notification channels (docs/notifications.md): the contract a provider implements.
export type { NotificationChannel, Delivery, DeliveryContent, ChannelResult, ChannelContext, ChannelRetryPolicy, Recipient } from './modules/notifications/channels/contract.js';
// Mail (docs/mail.md): template and message types for `mail: { templates }` and `ctx.mail`.
export type { Mail, MailJob, MailRequest, MailSendOptions, MailTemplate, MailTemplates, MailTemplateSource, RawMail, RenderedMail, TemplateMail } from './core/mail/types.js';
// Data in and out (docs/imports.md, docs/reports.md): spreadsheet imports, reports, formula-safe cells.
export { defineImport, type ImportDefinition, type ImportBatchContext, type ImportCheckContext } from './core/imports/types.js';
export { safeCell } from './core/imports/safe-cell.js';
export { defineReport, type ReportDefinition, type ReportData, type ReportQueryContext } from './core/reports/types.js';
export type { MailAttachment } from './core/mail/types.js';
