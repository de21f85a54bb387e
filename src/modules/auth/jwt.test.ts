import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeJwt, decodeProtectedHeader, errors, type JSONWebKeySet } from 'jose';
import { defineModule } from '../../core/module.js';
import { targets } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/app.js';
import auth from './module.js';
import { verifyServiceJwt } from './jwt.js';
import { PLUGIN_TABLES } from './plugins/migrations.js';
import { signUpAndIn } from './test-helpers.js';

const ISSUER = 'http://localhost:8000';

const probe = defineModule({
  name: 'probe',
  routes: async (app) => {
    app.get('/whoami', async (request) => ({ actor: await request.actor() }));
  },
});

describe.each(targets)('service JWTs on %s', (target) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ target, modules: [auth, probe] });
  });
  afterAll(async () => {
    vi.useRealTimers();
    await t?.close();
  });

  const tokenFor = async (headers: Record<string, string>) => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/auth/token', headers });
    expect(res.statusCode).toBe(200);
    return (res.json() as { token: string }).token;
  };
  const jwksDoc = async () => (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as JSONWebKeySet;
  const whoami = async (token: string) =>
    (await t.app.inject({ method: 'GET', url: '/v1/probe/whoami', headers: { authorization: `Bearer ${token}` } })).json().actor;

  it('issues a short-lived EdDSA JWT with iss, aud, exp, sub, role and tenant to a signed-in user', async () => {
    const s = await signUpAndIn(t.app);
    await t.ctx.services.auth.setRole(s.userId, 'admin');
    const token = await tokenFor({ cookie: s.cookie });
    const header = decodeProtectedHeader(token);
    expect(header.alg).toBe('EdDSA');
    expect(header.kid).toEqual(expect.any(String));
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: ISSUER, aud: ISSUER, sub: s.userId, role: 'admin', tenant: null });
    expect(claims.exp! - claims.iat!).toBe(900);
    // A bearer session token gets one too; nobody gets one without a session.
    expect(decodeJwt(await tokenFor({ authorization: `Bearer ${s.token}` })).sub).toBe(s.userId);
    const anonymous = await t.app.inject({ method: 'GET', url: '/v1/auth/token' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('serves the public keys at /.well-known/jwks.json, never the private halves', async () => {
    await tokenFor({ cookie: (await signUpAndIn(t.app)).cookie });
    const res = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=60');
    const { keys } = res.json() as JSONWebKeySet;
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', kid: expect.any(String) });
      expect(key).not.toHaveProperty('d');
    }
    // Stored private keys are encrypted, not JWKs.
    const row = await t.ctx.db.selectFrom(PLUGIN_TABLES.jwks).select('private_key').executeTakeFirstOrThrow();
    expect(row.private_key).not.toContain('"d"');
  });

  it('verifyServiceJwt: a valid token verifies; wrong audience, wrong issuer, expired or tampered tokens fail', async () => {
    const s = await signUpAndIn(t.app);
    const token = await tokenFor({ cookie: s.cookie });
    const keys = await jwksDoc();

    const claims = await verifyServiceJwt(token, { audience: ISSUER, issuer: ISSUER, jwks: keys });
    expect(claims).toMatchObject({ sub: s.userId, role: 'user', tenant: null });

    await expect(verifyServiceJwt(token, { audience: 'https://other.example', issuer: ISSUER, jwks: keys })).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
    await expect(verifyServiceJwt(token, { audience: ISSUER, issuer: 'https://evil.example', jwks: keys })).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);

    const [h, p, sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...decodeJwt(token), role: 'admin' })).toString('base64url');
    await expect(verifyServiceJwt(`${h}.${forged}.${sig}`, { audience: ISSUER, issuer: ISSUER, jwks: keys })).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
    expect(p).not.toBe(forged);

    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 16 * 60_000);
      await expect(verifyServiceJwt(token, { audience: ISSUER, issuer: ISSUER, jwks: keys })).rejects.toBeInstanceOf(errors.JWTExpired);
    } finally {
      vi.useRealTimers();
    }
  });

  it('verifyServiceJwt fetches the JWKS from a running app (createRemoteJWKSet)', async () => {
    const token = await tokenFor({ cookie: (await signUpAndIn(t.app)).cookie });
    const replica = await createTestApp({ target, modules: [auth], replicaOf: t });
    try {
      await replica.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = replica.app.server.address() as AddressInfo;
      const url = new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`);
      expect((await verifyServiceJwt(token, { audience: ISSUER, issuer: ISSUER, jwks: url })).sub).toEqual(expect.any(String));
    } finally {
      await replica.close();
    }
  });

  it('accepts its own JWT as Authorization: Bearer (via jwt, role and tenant from the token); refuses forged ones', async () => {
    const s = await signUpAndIn(t.app);
    const token = await tokenFor({ cookie: s.cookie });
    expect(await whoami(token)).toEqual({ type: 'user', id: s.userId, role: 'user', tenantId: null, via: 'jwt' });

    const [h, , sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...decodeJwt(token), role: 'admin' })).toString('base64url');
    expect(await whoami(`${h}.${forged}.${sig}`)).toBeNull();
  });

  it('a JWT for another audience is not accepted by Neptuno itself', async () => {
    const other = await createTestApp({ target, modules: [auth, probe], replicaOf: t, config: { modules: { auth: { jwt: { audience: ['https://billing.internal'] } } } } });
    try {
      const s = await signUpAndIn(other.app);
      const res = await other.app.inject({ method: 'GET', url: '/v1/auth/token', headers: { cookie: s.cookie } });
      const token = res.json().token as string;
      expect(decodeJwt(token).aud).toBe('https://billing.internal');
      // The primary app expects aud = its own publicUrl.
      expect(await whoami(token)).toBeNull();
      await expect(verifyServiceJwt(token, { audience: 'https://billing.internal', issuer: ISSUER, jwks: await jwksDoc() })).resolves.toMatchObject({ sub: s.userId });
    } finally {
      await other.close();
    }
  });

  it('signs with ES256 (P-256) when configured', async () => {
    const es = await createTestApp({ target, modules: [auth], config: { modules: { auth: { jwt: { algorithm: 'ES256' } } } } });
    try {
      const s = await signUpAndIn(es.app);
      const token = (await es.app.inject({ method: 'GET', url: '/v1/auth/token', headers: { cookie: s.cookie } })).json().token as string;
      expect(decodeProtectedHeader(token).alg).toBe('ES256');
      const keys = (await es.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as JSONWebKeySet;
      expect(keys.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
      await expect(verifyServiceJwt(token, { audience: ISSUER, issuer: ISSUER, jwks: keys })).resolves.toMatchObject({ sub: s.userId });
    } finally {
      await es.close();
    }
  });

  it('documents the token, JWKS, two-factor and social routes in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    for (const path of ['/v1/auth/token', '/v1/auth/jwks', '/.well-known/jwks.json', '/v1/auth/two-factor/enable', '/v1/auth/two-factor/verify-totp', '/v1/auth/two-factor/verify-backup-code', '/v1/auth/two-factor/disable', '/v1/auth/sign-in/social', '/v1/auth/callback/{provider}']) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
  });

  it('rotates the signing key after rotationInterval and keeps the old public key published', async () => {
    const s = await signUpAndIn(t.app);
    const before = decodeProtectedHeader(await tokenFor({ cookie: s.cookie })).kid;
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      // Default rotation: 30 days. Sessions live 7 days, so sign in again in the future.
      vi.setSystemTime(Date.now() + 31 * 24 * 3600_000);
      const later = await signUpAndIn(t.app);
      const token = await tokenFor({ cookie: later.cookie });
      const after = decodeProtectedHeader(token).kid;
      expect(after).not.toBe(before);
      const kids = (await jwksDoc()).keys.map((k) => k.kid);
      expect(kids).toEqual(expect.arrayContaining([before, after]));
      // The resolver picks up the new key at once (its cache misses on an unknown kid).
      expect(await whoami(token)).toMatchObject({ id: later.userId, via: 'jwt' });
    } finally {
      vi.useRealTimers();
    }
  });
});
