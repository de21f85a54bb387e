import { createHmac } from 'node:crypto';
import { safeEqual } from '../../core/crypto.js';
import type { ModuleContext } from '../../core/module.js';
import type { AuthConfig } from './config.js';
import { betterAuthSecret } from './better-auth.js';
import { sql } from 'kysely';
import { TABLES } from './schema.js';

interface SessionRow {
  sessionId: string;
  userId: string;
  expiresAt: string | Date;
  activeOrganizationId: string | null;
  role: string | null;
}

const sessionQuery = (token: string) => sql<SessionRow>`
  select s.id as "sessionId", s.user_id as "userId", s.expires_at as "expiresAt",
         s.active_organization_id as "activeOrganizationId", u.role as "role"
  from ${sql.table(TABLES.sessions)} s join ${sql.table(TABLES.users)} u on u.id = s.user_id
  where s.token = ${token}`;

export interface CookieSession {
  sessionId: string;
  userId: string;
  role: string | null;
  activeOrganizationId: string | null;
  /** When the session ends (ms since the epoch). */
  expiresAt: number;
}

/**
 * The session behind a browser's session cookie, read the way better-auth reads it (HMAC-SHA256
 * signed token, then the session row joined to its user, unexpired) but without going through
 * its API: `auth.api.getSession` builds an endpoint context, runs every plugin hook and imports a
 * WebCrypto key per call, which cost ~2 ms of CPU per authenticated request here against a few
 * tens of µs for this. Sessions are still created, refreshed and revoked only by better-auth, and
 * what it resolves to is cached for at most a second (session-cache.ts), flushed on every replica
 * by any sign-out, revocation or account change.
 */
export function createCookieSessionReader(ctx: ModuleContext<AuthConfig>) {
  const key = betterAuthSecret(ctx.secret);

  /** The token of a `token.signature` cookie value, or null when the signature does not match. */
  const verify = (value: string): string | null => {
    const dot = value.lastIndexOf('.');
    if (dot < 1) return null;
    const token = value.slice(0, dot);
    const signature = value.slice(dot + 1);
    // better-call's format: standard base64 of a 32-byte HMAC, always 44 characters.
    if (signature.length !== 44 || !signature.endsWith('=')) return null;
    const expected = createHmac('sha256', key).update(token).digest('base64');
    return safeEqual(signature, expected) ? token : null;
  };

  return async (cookieValue: string): Promise<CookieSession | null> => {
    const token = verify(cookieValue);
    if (!token) return null;
    // Constant SQL text: no query building per request, and the prepared statement is reused.
    const { rows } = await sessionQuery(token).execute(ctx.db);
    const row = rows[0];
    const expiresAt = row ? new Date(row.expiresAt).getTime() : 0;
    if (!row || expiresAt <= Date.now()) return null;
    return { sessionId: row.sessionId, userId: row.userId, role: row.role ?? null, activeOrganizationId: row.activeOrganizationId ?? null, expiresAt };
  };
}
