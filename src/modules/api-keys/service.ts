import { randomUUID } from 'node:crypto';
import type { ModuleContext } from '../../core/module.js';
import type { Actor } from '../../core/http/access.js';
import { grantsScope } from '../../core/http/scopes.js';
import { paginate, type PageResult } from '../../core/db/paginate.js';
import { badRequest, conflict, forbidden, notFound, tooManyRequests, unauthorized, type FieldError } from '../../core/http/problem.js';
import { parseDateTime } from '../../core/http/datetime.js';
import type { ApiKeysConfig } from './config.js';
import { generateSecret, hashSecret, isWellFormed, visiblePrefix } from './secret.js';
import { lockKey, timestampParam, toIso, toIsoOrNull, typedDb, typedTrx } from '../../core/db/dialect.js';
import type { ApiKeyRow, ApiKeysTables } from './schema.js';

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  /** null: the owner's role applies unrestricted. */
  scopes: string[] | null;
  rateLimitPerMinute: number;
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export interface CreateApiKeyInput {
  name: string;
  scopes?: string[] | null;
  expiresAt?: string | null;
  rateLimitPerMinute?: number;
}

const toApiKey = (r: ApiKeyRow): ApiKey => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  scopes: r.scopes === null ? null : (JSON.parse(r.scopes) as string[]),
  rateLimitPerMinute: Number(r.rate_limit_per_minute),
  expiresAt: toIsoOrNull(r.expires_at),
  lastUsedAt: toIsoOrNull(r.last_used_at),
  createdAt: toIso(r.created_at),
  revokedAt: toIsoOrNull(r.revoked_at),
});

const CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
/** last_used_at is written at most this often per key (the conditional UPDATE also dedupes replicas). */
const LAST_USED_GRANULARITY_MS = 60_000;

export class ApiKeyService {
  private readonly db;

  constructor(private readonly ctx: ModuleContext<ApiKeysConfig>) {
    this.db = typedDb<ApiKeysTables>(ctx);
  }

  /**
   * Permissions: those named in `roles:`, modules.api-keys.extraScopes and `admin` (what admin
   * routes need). A key may carry one only when its owner's role grants it.
   */
  permissionScopes(): Set<string> {
    const known = new Set([...this.ctx.config.extraScopes, 'admin']);
    for (const role of Object.values(this.ctx.appConfig.roles)) for (const p of role.permissions) known.add(p);
    return known;
  }

  /** Every scope a key may name: the permissions plus the scopes routes declare (profile:read…). */
  knownScopes(): Set<string> {
    return new Set([...this.permissionScopes(), ...this.ctx.access.scopes.declared()]);
  }

  /** A known scope, or a `prefix:*` pattern covering at least one (`gamification:*`). */
  private isKnown(scope: string, known: Set<string>): boolean {
    if (known.has(scope)) return true;
    if (!scope.endsWith(':*')) return false;
    const prefix = scope.slice(0, -1);
    return [...known].some((k) => k.startsWith(prefix));
  }

  private async ownerRole(userId: string): Promise<string> {
    const user = await this.ctx.services.auth.getUser(userId);
    // Service actors (the admin token) have no account to own a key.
    if (!user) throw forbidden('api_keys_users_only');
    return user.role;
  }

  /** Creates a key; the secret is in the answer and nowhere else, ever. */
  async create(userId: string, input: CreateApiKeyInput): Promise<ApiKey & { secret: string }> {
    const role = await this.ownerRole(userId);
    const errors: FieldError[] = [];
    const name = input.name.trim();
    if (!name || [...name].length > 100 || CONTROL.test(input.name)) {
      errors.push({ pointer: '/body/name', code: 'invalid', detail: 'Must be 1 to 100 characters without control characters' });
    }
    const scopes = input.scopes == null ? null : [...new Set(input.scopes)];
    const known = this.knownScopes();
    const permissions = this.permissionScopes();
    const roleActor: Actor = { type: 'user', id: userId, role, tenantId: null, via: 'check' };
    scopes?.forEach((scope, i) => {
      // A route scope (profile:write…) only narrows what the owner can already do, so any owner
      // may delegate it; a permission (admin, a role's) only when the owner's role grants it.
      const privileged = scope === '*' || [...permissions].some((p) => grantsScope([scope], p));
      if (scope !== '*' && !this.isKnown(scope, known)) {
        errors.push({ pointer: `/body/scopes/${i}`, code: 'unknown_scope', detail: `Unknown scope "${scope}"` });
      } else if (privileged && !this.ctx.access.can(roleActor, scope)) {
        errors.push({ pointer: `/body/scopes/${i}`, code: 'exceeds_role', detail: `Your role does not grant "${scope}"` });
      }
    });
    const expiresAt = this.checkExpiry(input.expiresAt ?? null, errors);
    const { defaultRateLimitPerMinute, maxRateLimitPerMinute, maxKeysPerUser } = this.ctx.config;
    const rate = input.rateLimitPerMinute ?? defaultRateLimitPerMinute;
    if (rate > maxRateLimitPerMinute) {
      errors.push({ pointer: '/body/rateLimitPerMinute', code: 'maximum', detail: `Must be at most ${maxRateLimitPerMinute}` });
    }
    if (errors.length) throw badRequest('validation_failed', { errors });

    const secret = generateSecret();
    const row: ApiKeyRow = {
      id: randomUUID(),
      user_id: userId,
      name,
      prefix: visiblePrefix(secret),
      key_hash: hashSecret(secret),
      scopes: scopes === null ? null : JSON.stringify(scopes),
      rate_limit_per_minute: rate,
      expires_at: expiresAt,
      last_used_at: null,
      created_at: new Date().toISOString(),
      revoked_at: null,
    };
    await this.ctx.tx(async (tx) => {
      // Two concurrent creates must not both pass the per-user limit (lockKey: an advisory lock
      // released at commit on PostgreSQL; SQLite runs one write transaction at a time).
      await lockKey(tx, this.ctx.dialect, `api-keys:${userId}`);
      const trx = typedTrx<ApiKeysTables>(tx);
      const { n } = await trx
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow();
      if (Number(n) >= maxKeysPerUser) throw conflict('api_key_limit_reached', { params: { max: maxKeysPerUser } });
      await trx.insertInto('api_keys').values(row).execute();
      await this.ctx.audit.record({ action: 'api_keys.created', target: { type: 'api_key', id: row.id }, after: { ownerId: userId, scopes, expiresAt, rateLimitPerMinute: rate } }, tx);
    });
    return { ...toApiKey(row), secret };
  }

  private checkExpiry(value: string | null, errors: FieldError[]): string | null {
    const maxDays = this.ctx.config.maxLifetimeDays;
    const pointer = '/body/expiresAt';
    if (value === null) {
      if (maxDays > 0) errors.push({ pointer, code: 'required', detail: `Keys must expire within ${maxDays} days` });
      return null;
    }
    const ms = parseDateTime(value)?.getTime();
    if (ms === undefined) {
      errors.push({ pointer, code: 'format', detail: 'Must be an ISO 8601 date-time, years 1000-9999' });
      return null;
    }
    if (ms <= Date.now()) errors.push({ pointer, code: 'past', detail: 'Must be in the future' });
    if (maxDays > 0 && ms > Date.now() + maxDays * 86_400_000) {
      errors.push({ pointer, code: 'maximum', detail: `Must be within ${maxDays} days` });
    }
    return new Date(ms).toISOString();
  }

  async list(userId: string, q: { limit?: number; cursor?: string; includeRevoked?: boolean }): Promise<PageResult<ApiKey>> {
    let query = this.db.selectFrom('api_keys').selectAll().where('user_id', '=', userId);
    if (!q.includeRevoked) query = query.where('revoked_at', 'is', null);
    const page = await paginate(query, {
      limit: q.limit,
      cursor: q.cursor,
      orderBy: ['created_at', 'id'],
      key: (r) => [toIso(r.created_at), r.id],
    });
    return { data: page.data.map(toApiKey), nextCursor: page.nextCursor };
  }

  async get(userId: string, id: string): Promise<ApiKey> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    if (!row) throw notFound('api_key_not_found');
    return toApiKey(row);
  }

  /** Revokes a key of this user at once (every replica: the next lookup sees revoked_at). Idempotent. */
  async revoke(userId: string, id: string): Promise<void> {
    const revoked = await this.ctx.tx(async (tx) => {
      const result = await typedTrx<ApiKeysTables>(tx)
        .updateTable('api_keys')
        .set({ revoked_at: new Date().toISOString() })
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      const n = Number(result.numUpdatedRows);
      if (n) await this.ctx.audit.record({ action: 'api_keys.revoked', target: { type: 'api_key', id }, after: { ownerId: userId } }, tx);
      return n;
    });
    if (revoked === 0) await this.get(userId, id); // 404 unless already revoked
  }

  /** Removes every key of a user (account deletion). */
  async removeAllFor(userId: string): Promise<void> {
    await this.db.deleteFrom('api_keys').where('user_id', '=', userId).execute();
    await this.ctx.cache.delete(`api-keys:owner:${userId}`);
  }

  async exportFor(userId: string): Promise<ApiKey[]> {
    const rows = await this.db.selectFrom('api_keys').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
    return rows.map(toApiKey);
  }

  /**
   * X-API-Key -> the owner as actor, limited to the key's scopes. A key that is given but bad
   * is an error (401), never an anonymous request; over its rate limit, 429 with Retry-After.
   */
  async authenticate(secret: string): Promise<Actor> {
    if (!isWellFormed(secret)) throw unauthorized('invalid_api_key');
    const row = await this.db.selectFrom('api_keys').selectAll().where('key_hash', '=', hashSecret(secret)).executeTakeFirst();
    if (!row) throw unauthorized('invalid_api_key');
    if (row.revoked_at !== null) throw unauthorized('api_key_revoked');
    const now = Date.now();
    if (row.expires_at !== null && Date.parse(toIso(row.expires_at)) <= now) throw unauthorized('api_key_expired');

    const owner = await this.ctx.cache.getOrSet(`api-keys:owner:${row.user_id}`, this.ctx.config.ownerCacheSeconds * 1000 || 1, async () => {
      const user = await this.ctx.services.auth.getUser(row.user_id);
      return user ? { role: user.role } : null;
    });
    if (!owner) throw unauthorized('invalid_api_key');

    const limit = await this.ctx.rateLimiter.hit(`api-key:${row.id}`, { limit: Number(row.rate_limit_per_minute), windowMs: 60_000 });
    if (!limit.allowed) {
      throw tooManyRequests(limit.retryAfterMs, 'api_key_rate_limited', {
        headers: { 'x-ratelimit-limit': String(limit.limit), 'x-ratelimit-remaining': '0' },
      });
    }

    if (row.last_used_at === null || Date.parse(toIso(row.last_used_at)) < now - LAST_USED_GRANULARITY_MS) {
      const stamp = new Date(now).toISOString();
      const stale = new Date(now - LAST_USED_GRANULARITY_MS).toISOString();
      await this.db
        .updateTable('api_keys')
        .set({ last_used_at: stamp })
        .where('id', '=', row.id)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', timestampParam(this.ctx.dialect, stale))]))
        .execute();
    }
    return {
      type: 'user',
      id: row.user_id,
      role: owner.role,
      tenantId: null,
      via: 'api_key',
      scopes: row.scopes === null ? undefined : (JSON.parse(row.scopes) as string[]),
    };
  }
}
