import type { FastifyRequest } from 'fastify';
import { jwt } from 'better-auth/plugins/jwt';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { Actor, ActorResolver } from '../../core/http/access.js';
import type { ModuleContext } from '../../core/module.js';
import type { AuthConfig } from './config.js';
import { PLUGIN_SCHEMAS } from './plugins/migrations.js';
import type { AuthRuntime } from './runtime.js';
import { activeTenant } from './tenancy.js';

/**
 * Short-lived JWTs for other services: `GET /v1/auth/token` (signed in) answers
 * `{token}` with `iss`, `aud`, `iat`, `exp`, `sub` (user id), `role` and `tenant`. Keys are
 * better-auth's `jwt` plugin's: EdDSA (Ed25519) or ES256 pairs in `auth_jwks`, private halves
 * encrypted with the auth secret, a new one every `rotationInterval`, old public keys kept in
 * the JWKS for `gracePeriod`. The JWKS is served at `/.well-known/jwks.json` (the module's rootRoutes)
 * and `/v1/auth/jwks`.
 */

export interface ServiceJwtClaims extends JWTPayload {
  sub: string;
  role: string;
  tenant: string | null;
}

export const jwtIssuer = (ctx: ModuleContext<AuthConfig>) => ctx.config.jwt.issuer ?? new URL(ctx.appConfig.server.publicUrl).origin;
export const jwtAudiences = (ctx: ModuleContext<AuthConfig>) =>
  ctx.config.jwt.audience.length ? ctx.config.jwt.audience : [new URL(ctx.appConfig.server.publicUrl).origin];

export function jwtPlugin(ctx: ModuleContext<AuthConfig>) {
  const cfg = ctx.config.jwt;
  const audiences = jwtAudiences(ctx);
  return jwt({
    jwks: {
      keyPairConfig: cfg.algorithm === 'EdDSA' ? { alg: 'EdDSA', crv: 'Ed25519' } : { alg: 'ES256' },
      rotationInterval: cfg.rotationInterval,
      gracePeriod: cfg.gracePeriod,
    },
    jwt: {
      issuer: jwtIssuer(ctx),
      audience: audiences.length === 1 ? audiences[0] : audiences,
      expirationTime: `${cfg.expiresIn}s`,
      definePayload: async ({ user, session }) => ({
        role: (user as { role?: string }).role ?? 'user',
        tenant: await activeTenant(ctx, user.id, session as { activeOrganizationId?: string | null }),
      }),
    },
    // Tokens only when asked for at /token, not on every get-session answer.
    disableSettingJwtHeader: true,
    schema: PLUGIN_SCHEMAS.jwt,
  });
}

export interface VerifyServiceJwtOptions {
  audience: string | string[];
  issuer: string;
  /** Keys: a JWKS document, a jose key getter, or (default) `<issuer>/.well-known/jwks.json` fetched and cached. */
  jwks?: JSONWebKeySet | JWTVerifyGetKey | URL;
  /** Seconds of clock skew tolerated (default 5). */
  clockTolerance?: number;
}

const remoteSets = new Map<string, JWTVerifyGetKey>();
function remoteSet(url: URL): JWTVerifyGetKey {
  let set = remoteSets.get(url.href);
  if (!set) remoteSets.set(url.href, (set = createRemoteJWKSet(url)));
  return set;
}

/**
 * Verifies a Neptuno service JWT for another service (or Neptuno itself): signature against the
 * JWKS, `iss`, `aud`, `exp`/`nbf`, and the algorithms Neptuno signs with. Throws jose's errors
 * (JWTExpired, JWTClaimValidationFailed, JWSSignatureVerificationFailed…) on any failure.
 */
export async function verifyServiceJwt(token: string, opts: VerifyServiceJwtOptions): Promise<ServiceJwtClaims> {
  const source = opts.jwks ?? new URL('/.well-known/jwks.json', opts.issuer);
  const keys =
    source instanceof URL ? remoteSet(source) : typeof source === 'function' ? source : createLocalJWKSet(source);
  const { payload } = await jwtVerify(token, keys, {
    issuer: opts.issuer,
    audience: opts.audience,
    algorithms: ['EdDSA', 'ES256'],
    clockTolerance: opts.clockTolerance ?? 5,
    requiredClaims: ['sub', 'exp', 'iat'],
  });
  return { ...payload, sub: String(payload.sub), role: typeof payload.role === 'string' ? payload.role : 'user', tenant: typeof payload.tenant === 'string' ? payload.tenant : null };
}

/** What other modules may do with service JWTs (ctx.services.authTokens). */
export interface AuthTokenService {
  /** The public keys (JWKS document) that verify Neptuno's JWTs. */
  jwks(): Promise<JSONWebKeySet>;
  /** Verifies a JWT Neptuno issued, for `audience` (default: Neptuno's own first audience). */
  verify(token: string, opts?: { audience?: string | string[] }): Promise<ServiceJwtClaims>;
}

const JWKS_CACHE_MS = 60_000;

export function createAuthTokenService(ctx: ModuleContext<AuthConfig>, runtime: () => AuthRuntime): AuthTokenService {
  let cached: { set: JSONWebKeySet; at: number } | null = null;
  const load = async (): Promise<JSONWebKeySet> => {
    // The plugin list is typed loosely (plugins.ts), so its endpoints are not in the api type.
    const api = runtime().auth.api as unknown as { getJwks(): Promise<JSONWebKeySet> };
    const set = await api.getJwks();
    cached = { set, at: Date.now() };
    return set;
  };
  // Keys are read from the database at most once a minute, and again at once when a token names
  // a key not seen yet (a replica just rotated).
  const keyGetter: JWTVerifyGetKey = async (header, token) => {
    const set = cached && Date.now() - cached.at < JWKS_CACHE_MS ? cached.set : await load();
    try {
      return await createLocalJWKSet(set)(header, token);
    } catch (err) {
      if (!(err instanceof joseErrors.JWKSNoMatchingKey) || cached?.set !== set) throw err;
      return createLocalJWKSet(await load())(header, token);
    }
  };
  return {
    jwks: () => (cached && Date.now() - cached.at < JWKS_CACHE_MS ? Promise.resolve(cached.set) : load()),
    verify: (token, opts) =>
      verifyServiceJwt(token, { issuer: jwtIssuer(ctx), audience: opts?.audience ?? jwtAudiences(ctx)[0], jwks: keyGetter }),
  };
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Actor resolver for `Authorization: Bearer <service JWT>` issued by this app for its own
 * audience. Registered before the session resolver so a JWT costs no session lookup; anything
 * that is not shaped like a JWT, or fails verification, falls through to the next resolver.
 */
export function createJwtResolver(tokens: AuthTokenService): ActorResolver {
  return async (request: FastifyRequest): Promise<Actor | null> => {
    const header = request.headers.authorization;
    if (!header || !/^bearer\s/i.test(header)) return null;
    const token = header.slice(7).trim();
    if (!JWT_SHAPE.test(token)) return null;
    try {
      const claims = await tokens.verify(token);
      return { type: 'user', id: claims.sub, role: claims.role, tenantId: claims.tenant, via: 'jwt' };
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) return null;
      throw err;
    }
  };
}

declare module '../../core/module.js' {
  interface Services {
    /** Present when modules.auth.jwt.enabled. */
    authTokens?: AuthTokenService;
  }
}
