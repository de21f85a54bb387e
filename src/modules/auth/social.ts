import type { BetterAuthOptions } from 'better-auth';
import { genericOAuth } from 'better-auth/plugins/generic-oauth';
import type { AuthConfig } from './config.js';

/**
 * Social login. Google and Facebook are better-auth built-in providers; any other OpenID
 * Connect provider goes through the `genericOAuth` plugin from its discovery document. All of
 * them use the same two endpoints:
 *
 *   POST /v1/auth/sign-in/social {provider, callbackURL} -> {url, redirect: true}
 *   GET  /v1/auth/callback/<provider>?code&state          -> session cookie, 302 to callbackURL
 *
 * better-auth keeps `state` in the database, binds it to a signed state cookie, sends PKCE
 * (S256) and, for OIDC, checks the ID token's signature, issuer, audience and nonce. An account
 * is linked to an existing user with the same email only when the provider says the email is
 * verified AND the local account's email is verified too (better-auth's default), so nobody can
 * pre-register someone's address and get their social sign-ins.
 */

/** Redirect URI to register at the provider. */
export const callbackPath = (providerId: string) => `/v1/auth/callback/${providerId}`;

/** Built-in providers with both client id and secret set. */
export function socialProviders(config: AuthConfig): NonNullable<BetterAuthOptions['socialProviders']> {
  const { google, facebook } = config.social;
  const providers: NonNullable<BetterAuthOptions['socialProviders']> = {};
  if (google.clientId && google.clientSecret) {
    providers.google = { clientId: google.clientId, clientSecret: google.clientSecret, prompt: 'select_account' };
  }
  if (facebook.clientId && facebook.clientSecret) {
    providers.facebook = { clientId: facebook.clientId, clientSecret: facebook.clientSecret };
  }
  return providers;
}

/** The generic OpenID Connect providers, or null when none is configured. */
export function oidcPlugin(config: AuthConfig) {
  const entries = Object.entries(config.social.oidc);
  if (!entries.length) return null;
  return genericOAuth({
    config: entries.map(([providerId, p]) => ({
      providerId,
      name: p.name ?? providerId,
      discoveryUrl: p.discoveryUrl,
      clientId: p.clientId,
      clientSecret: p.clientSecret,
      scopes: p.scopes ?? ['openid', 'email', 'profile'],
      pkce: true,
      // Refuse a provider whose discovery gives no JWKS: the ID token must be verifiable.
      requireIdTokenVerification: true,
    })),
  });
}

/** Provider ids a client may pass to /sign-in/social (for front-ends and docs). */
export function enabledProviders(config: AuthConfig): string[] {
  return [...Object.keys(socialProviders(config)), ...Object.keys(config.social.oidc)];
}
