import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { App, ModuleContext } from '../../../core/module.js';
import { tooManyRequests } from '../../../core/http/problem.js';
import type { AuthConfig } from '../config.js';
import { sendWebResponse, toWebRequest } from '../handler.js';
import { ipKey } from '../rate-limit.js';
import type { AuthRuntime } from '../runtime.js';
import { enforceTwoFactorLimit } from '../two-factor.js';
import { NO_CONTROL } from '../validation.js';

/**
 * The plugin endpoints (two-factor, social sign-in, organizations, tokens) declared with
 * schemas, so they are validated and appear in the OpenAPI document. They forward to
 * better-auth like the core routes; static routes win over routes.ts's catch-all. Only the
 * features switched on are declared; the others are not loaded in better-auth either.
 */
const Closed = { additionalProperties: false } as const;
const Password = Type.String({ minLength: 1, maxLength: 1024, pattern: NO_CONTROL });
const Code = Type.String({ minLength: 4, maxLength: 32, pattern: '^[A-Za-z0-9-]+$', description: 'TOTP or backup code' });
const Id = Type.String({ minLength: 1, maxLength: 128, pattern: NO_CONTROL });
const CallbackURL = Type.String({ maxLength: 2048, pattern: NO_CONTROL, description: 'Relative path or URL on a trusted origin' });
const PasswordBody = Type.Object({ password: Password }, Closed);
const VerifyBody = Type.Object({ code: Code, trustDevice: Type.Optional(Type.Boolean()) }, Closed);

export async function pluginRoutes(app: App, ctx: ModuleContext<AuthConfig>, runtime: AuthRuntime): Promise<void> {
  const origin = new URL(ctx.appConfig.server.publicUrl).origin;
  const cfg = ctx.config;

  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    const response = await runtime.auth.handler(toWebRequest(request, origin));
    return sendWebResponse(response, reply, ctx.i18n);
  };

  if (cfg.twoFactor.enabled) {
    const tags = ['auth: two-factor'];
    app.post('/two-factor/enable', { schema: { tags, summary: 'Start TOTP enrolment: answers the otpauth:// URI and backup codes', body: Type.Object({ password: Password, issuer: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: NO_CONTROL })) }, Closed) } }, forward);
    app.post('/two-factor/get-totp-uri', { schema: { tags, summary: 'The otpauth:// URI again (password needed)', body: PasswordBody } }, forward);
    app.post('/two-factor/disable', { schema: { tags, summary: 'Remove the second factor (password needed)', body: PasswordBody } }, forward);
    app.post('/two-factor/generate-backup-codes', { schema: { tags, summary: 'Replace the backup codes (password needed)', body: PasswordBody } }, forward);

    // Code guesses: per-IP and per-account budgets first; a correct code clears the account's.
    const verify = async (request: FastifyRequest, reply: FastifyReply) => {
      const key = await enforceTwoFactorLimit(ctx, runtime, request);
      const response = await runtime.auth.handler(toWebRequest(request, origin));
      if (key && response.status === 200) await ctx.rateLimiter.reset(key);
      return sendWebResponse(response, reply, ctx.i18n);
    };
    app.post('/two-factor/verify-totp', { schema: { tags, summary: 'Confirm enrolment, or finish a sign-in, with an authenticator code', body: VerifyBody } }, verify);
    app.post('/two-factor/verify-backup-code', { schema: { tags, summary: 'Finish a sign-in with a backup code (each works once)', body: VerifyBody } }, verify);
  }

  {
    const tags = ['auth: social'];
    app.post(
      '/sign-in/social',
      {
        schema: {
          tags,
          summary: 'Start a social / OpenID Connect sign-in: answers the provider URL to redirect to',
          body: Type.Object(
            {
              provider: Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z][a-z0-9-]*$' }),
              callbackURL: Type.Optional(CallbackURL),
              errorCallbackURL: Type.Optional(CallbackURL),
              newUserCallbackURL: Type.Optional(CallbackURL),
              disableRedirect: Type.Optional(Type.Boolean()),
            },
            Closed,
          ),
        },
      },
      async (request, reply) => {
        // Each start writes a state row, so it shares the sign-in per-IP budget.
        if (cfg.rateLimit.enabled) {
          const hit = await ctx.rateLimiter.hit(ipKey('signIn', request.ip), cfg.rateLimit.signIn.ip);
          if (!hit.allowed) throw tooManyRequests(hit.retryAfterMs);
        }
        return forward(request, reply);
      },
    );
    app.get('/callback/:provider', { schema: { tags, summary: "The provider's redirect target: creates the session and redirects to callbackURL", params: Type.Object({ provider: Id }) } }, forward);
  }

  if (cfg.jwt.enabled) {
    const tags = ['auth: tokens'];
    app.get('/token', { schema: { tags, summary: 'A short-lived JWT (iss, aud, exp, sub, role, tenant) for other services' } }, forward);
    app.get('/jwks', { schema: { tags, summary: 'Public keys that verify the JWTs (also at /.well-known/jwks.json)' } }, forward);
  }

  if (cfg.tenants.enabled) {
    const tags = ['auth: organizations'];
    app.post('/organization/create', { schema: { tags, summary: 'Create an organization (the caller becomes its owner)', body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100, pattern: NO_CONTROL }), slug: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9-]*$' }), logo: Type.Optional(Type.String({ maxLength: 2048, pattern: NO_CONTROL })), keepCurrentActiveOrganization: Type.Optional(Type.Boolean()) }, Closed) } }, forward);
    app.get('/organization/list', { schema: { tags, summary: "The caller's organizations" } }, forward);
    app.post('/organization/set-active', { schema: { tags, summary: 'Make an organization the active tenant of this session (null: none)', body: Type.Object({ organizationId: Type.Optional(Type.Union([Type.Null(), Id])), organizationSlug: Type.Optional(Id) }, Closed) } }, forward);
    app.get('/organization/get-full-organization', { schema: { tags, summary: 'The active (or given) organization with members and invitations' } }, forward);
    app.post('/organization/invite-member', { schema: { tags, summary: 'Invite an email address (emailed a link)', body: Type.Object({ email: Type.String({ format: 'email', maxLength: 254 }), role: Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z][a-z0-9_-]*$' }), organizationId: Type.Optional(Id), resend: Type.Optional(Type.Boolean()) }, Closed) } }, forward);
    app.post('/organization/accept-invitation', { schema: { tags, summary: 'Accept an invitation addressed to the caller', body: Type.Object({ invitationId: Id }, Closed) } }, forward);
    app.post('/organization/reject-invitation', { schema: { tags, summary: 'Reject an invitation addressed to the caller', body: Type.Object({ invitationId: Id }, Closed) } }, forward);
    app.get('/organization/list-members', { schema: { tags, summary: 'Members of the active (or given) organization' } }, forward);
    app.post('/organization/remove-member', { schema: { tags, summary: 'Remove a member (by member id or email)', body: Type.Object({ memberIdOrEmail: Id, organizationId: Type.Optional(Id) }, Closed) } }, forward);
    app.post('/organization/update-member-role', { schema: { tags, summary: "Change a member's role", body: Type.Object({ memberId: Id, role: Type.String({ minLength: 1, maxLength: 32 }), organizationId: Type.Optional(Id) }, Closed) } }, forward);
    app.post('/organization/leave', { schema: { tags, summary: 'Leave an organization', body: Type.Object({ organizationId: Id }, Closed) } }, forward);
    app.post('/organization/delete', { schema: { tags, summary: 'Delete an organization (owners)', body: Type.Object({ organizationId: Id }, Closed) } }, forward);
  }
}
