import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import type { App, ModuleContext } from '../../core/module.js';
import type { AuthConfig } from './config.js';
import { BASE_PATH } from './better-auth.js';
import { sendWebResponse, toWebRequest, withoutTrailingSlash } from './handler.js';
import { enforceRateLimit } from './rate-limit.js';
import type { AuthRuntime } from './runtime.js';
import {
  assertPasswordPolicy,
  ChangePasswordBody,
  EmailBody,
  ResetPasswordBody,
  RevokeSessionBody,
  SignInBody,
  SignUpBody,
} from './validation.js';

const TAGS = ['auth'];

/**
 * /v1/auth/*: better-auth's endpoints behind Fastify. The account endpoints are declared with
 * schemas (validation, OpenAPI) and our password policy; every other better-auth path goes
 * through the catch-all. All of them pass the per-IP/per-account limits first.
 */
export async function authRoutes(app: App, ctx: ModuleContext<AuthConfig>, runtime: AuthRuntime): Promise<() => void> {
  const origin = new URL(ctx.appConfig.server.publicUrl).origin;
  // The routes declared below with schemas, so the endpoint table at the end skips them.
  // Parameter names differ (ours `:provider`, better-auth's `:id`): compared without them.
  const declared = new Set<string>();
  const key = (method: string, path: string) => `${method} ${path.replace(/:[^/]+/g, ':')}`;
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) declared.add(key(method, route.routePath));
  });

  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = withoutTrailingSlash(request.url.split('?')[0]).slice(BASE_PATH.length);
    // A completed sign-in clears the account's sign-in budget (hooks.ts afterSignIn), not a
    // correct password alone: with 2FA on, the second factor is still to be proven.
    await enforceRateLimit(ctx, path, request);
    const response = await runtime.auth.handler(toWebRequest(request, origin));
    return sendWebResponse(response, reply, ctx.i18n);
  };

  const policy = (password: string, pointer: string, request: FastifyRequest) =>
    assertPasswordPolicy(password, pointer, ctx.config, { i18n: ctx.i18n, locale: request.locale });

  app.post(
    '/sign-up/email',
    {
      schema: {
        tags: TAGS,
        summary: 'Create an account with email and password',
        description:
          'Always answers 200 with `token: null`, also when the email is taken (the owner gets an email instead), so the answer never reveals whether an account exists. Sign in afterwards.',
        body: SignUpBody,
      },
    },
    async (request, reply) => {
      policy((request.body as Static<typeof SignUpBody>).password, '/body/password', request);
      return forward(request, reply);
    },
  );

  app.post(
    '/sign-in/email',
    {
      schema: {
        tags: TAGS,
        summary: 'Sign in with email and password',
        description: 'Sets the HttpOnly session cookie; the body and the `set-auth-token` header carry the token for `Authorization: Bearer`.',
        body: SignInBody,
      },
    },
    forward,
  );

  app.post('/sign-out', { schema: { tags: TAGS, summary: 'End the current session' } }, forward);

  app.post(
    '/request-password-reset',
    {
      schema: {
        tags: TAGS,
        summary: 'Email a password-reset link',
        description: 'Answers the same whether or not the email has an account.',
        body: EmailBody,
      },
    },
    forward,
  );

  app.post(
    '/reset-password',
    { schema: { tags: TAGS, summary: 'Set a new password with a reset token; ends every session', body: ResetPasswordBody } },
    async (request, reply) => {
      policy((request.body as Static<typeof ResetPasswordBody>).newPassword, '/body/newPassword', request);
      return forward(request, reply);
    },
  );

  app.post(
    '/change-password',
    { schema: { tags: TAGS, summary: 'Change the password; ends the other sessions', body: ChangePasswordBody } },
    async (request, reply) => {
      const body = request.body as Static<typeof ChangePasswordBody>;
      policy(body.newPassword, '/body/newPassword', request);
      // A password change always ends the other sessions, whatever the client asked.
      request.body = { ...body, revokeOtherSessions: true };
      return forward(request, reply);
    },
  );

  app.post(
    '/send-verification-email',
    { schema: { tags: TAGS, summary: 'Send the email-verification link again', body: EmailBody } },
    forward,
  );

  app.get('/get-session', { schema: { tags: TAGS, summary: 'The current session and user, or null' } }, forward);
  app.get('/list-sessions', { schema: { tags: TAGS, summary: "The caller's active sessions" } }, forward);
  app.post('/revoke-session', { schema: { tags: TAGS, summary: 'End one session by token', body: RevokeSessionBody } }, forward);
  app.post('/revoke-sessions', { schema: { tags: TAGS, summary: 'Sign out everywhere: end every session' } }, forward);
  app.post('/revoke-other-sessions', { schema: { tags: TAGS, summary: 'End every session but this one' } }, forward);
  app.get('/verify-email', { schema: { tags: TAGS, summary: 'Target of the verification link (redirects to callbackURL)' } }, forward);

  // Everything else better-auth serves (reset-password/:token redirect, plugin endpoints…), by its
  // own endpoint table rather than a catch-all: a path it does not serve is our 404 before any
  // of its code (which converts and walks the body) runs. Called once every route with a schema
  // of ours (plugin routes included) is declared.
  return () => {
    for (const endpoint of Object.values(runtime.auth.api) as BetterAuthEndpoint[]) {
      if (!endpoint.path) continue; // server-only endpoints have no HTTP path
      const methods = [endpoint.options?.method ?? []].flat().flatMap((m) => (m === '*' ? ['GET', 'POST'] : [m]));
      for (const method of methods) {
        if ((method === 'GET' || method === 'POST') && !declared.has(key(method, endpoint.path))) {
          app.route({ method, url: endpoint.path, schema: { hide: true } as object, handler: forward });
        }
      }
    }
  };
}

interface BetterAuthEndpoint {
  path?: string;
  options?: { method?: string | string[] };
}
