/**
 * Neptuno's public API for your own modules: `import { defineModule, problem } from 'neptuno'`.
 */
export { defineModule } from './core/module.js';
export type { App, KernelContext, ModuleContext, ModuleDefinition, Services } from './core/module.js';
export type { DomainEvents } from './core/events.js';
export type { Actor } from './core/http/access.js';
export { HttpProblem, problem, badRequest, unauthorized, forbidden, notFound, conflict, tooManyRequests } from './core/http/problem.js';
export { paginate, Page, PageQuery } from './core/db/paginate.js';
export { isUniqueViolation } from './core/db/database.js';
export { safeEqual } from './core/crypto.js';
export { columnTypes, dialectOf, toIso, toIsoOrNull, timestampParam, boolValue, forUpdate, lockKey, typedDb, typedTrx } from './core/db/dialect.js';
export type { Timestamp } from './core/db/dialect.js';
export { scopeToTenant, tenantValue, requireTenant } from './core/db/tenant.js';
export { verifyServiceJwt } from './modules/auth/jwt.js';
export { createApp } from './core/app.js';
export { loadConfig } from './core/config/load.js';
export type { IdempotencyClaim, IdempotentRouteOptions } from './core/http/idempotency.js';
