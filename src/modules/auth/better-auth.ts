import { hkdfSync } from 'node:crypto';
import { betterAuth, type BetterAuthOptions } from 'better-auth';
import type { ModuleContext } from '../../core/module.js';
import type { AuthConfig } from './config.js';
import { afterUserCreated } from './hooks.js';
import { noteSessionCreated } from './sign-in.js';
import { sendAuthEmail } from './emails.js';
import { hashPassword, verifyPassword } from './password.js';
import { authPlugins } from './plugins.js';
import { OneTimeCodes } from './otp.js';
import { socialProviders } from './social.js';
import { modelNames } from './schema.js';
import { betterAuthApiErrors, betterAuthLogger } from './logging.js';
import { CLIENT_IP_HEADER, trustedOrigins } from './origins.js';

export const BASE_PATH = '/v1/auth';

/**
 * Builds the better-auth instance for one app from the module config. Everything security
 * relevant is set here explicitly rather than left to better-auth's environment detection
 * (NODE_ENV), so behaviour is the same under tests and in production.
 */
/** better-auth's own key: derived from the app secret, so its signatures serve nothing else. */
export const betterAuthSecret = (appSecret: string) => Buffer.from(hkdfSync('sha256', appSecret, 'neptuno', 'auth/better-auth/v1', 32)).toString('base64url');

export function createBetterAuth(ctx: ModuleContext<AuthConfig>) {
  const cfg = ctx.config;
  const development = ctx.appConfig.env === 'development';
  const log = ctx.log.child({ component: 'better-auth' });
  const codes = new OneTimeCodes(ctx);

  const options = {
    appName: 'Neptuno',
    baseURL: ctx.appConfig.server.publicUrl,
    basePath: BASE_PATH,
    // A key of its own, derived from the app secret, so better-auth's signatures cannot be
    // replayed against any other feature that signs with the secret.
    secret: betterAuthSecret(ctx.secret),
    database: { db: ctx.db, type: ctx.dialect, transaction: true },
    telemetry: { enabled: false },
    // Into pino, never better-auth's console output, which bypasses LOG_LEVEL and would print
    // every refused request (an untrusted Origin…) at ERROR level: see logging.ts.
    logger: betterAuthLogger(log),
    onAPIError: betterAuthApiErrors,
    trustedOrigins: trustedOrigins(ctx),
    user: {
      ...modelNames.user,
      additionalFields: {
        // Never taken from request bodies; set by the service (createUser/setRole).
        role: { type: 'string', required: false, defaultValue: 'user', input: false },
      },
    },
    session: {
      ...modelNames.session,
      expiresIn: cfg.session.expiresIn,
      updateAge: cfg.session.updateAge,
      // No cookie cache: every request reads the session row, so revocation is immediate.
      cookieCache: { enabled: false },
    },
    // Google/Facebook from modules.auth.social (social.ts); OIDC providers are a plugin.
    socialProviders: socialProviders(cfg),
    // Linking a social sign-in to an existing user needs a verified email on both sides (social.ts).
    account: { ...modelNames.account, accountLinking: { enabled: true, requireLocalEmailVerified: true } },
    verification: { ...modelNames.verification },
    emailAndPassword: {
      enabled: true,
      disableSignUp: cfg.emailAndPassword.disableSignUp,
      requireEmailVerification: cfg.emailAndPassword.requireEmailVerification,
      minPasswordLength: cfg.emailAndPassword.minPasswordLength,
      maxPasswordLength: cfg.emailAndPassword.maxPasswordLength,
      // Sign-up never signs in: with it, better-auth answers a duplicate email exactly like a new
      // one (a synthetic user, no session), so sign-up cannot be used to probe for accounts.
      autoSignIn: false,
      revokeSessionsOnPasswordReset: true,
      password: { hash: hashPassword, verify: verifyPassword },
      // ctx.mail only queues the email (a job sends it), so a slow SMTP server never holds the request.
      sendResetPassword: ({ user, url }, request) => sendAuthEmail(ctx, 'reset-password', user.email, { name: user.name, url }, request),
      onExistingUserSignUp: ({ user }, request) =>
        sendAuthEmail(ctx, 'existing-account', user.email, { name: user.name, url: ctx.appConfig.server.publicUrl }, request),
      customSyntheticUser: ({ coreFields, additionalFields, id }) => ({ ...coreFields, role: 'user', ...additionalFields, id }),
    },
    emailVerification: {
      sendOnSignUp: true,
      autoSignInAfterVerification: false,
      sendVerificationEmail: ({ user, url }, request) => sendAuthEmail(ctx, 'verify-email', user.email, { name: user.name, url }, request),
    },
    // Neptuno's own limiter (rate-limit.ts) covers these endpoints per IP and per account and
    // holds across replicas through ctx.rateLimiter; better-auth's in-memory one would not.
    rateLimit: { enabled: false },
    // Profile edits go through the users module (validated, audited); account deletion is
    // anonymization by AuthService. Paths relative to basePath.
    // The code-based email change and password resets stay off: the link flows above cover them.
    disabledPaths: [
      '/update-user',
      '/delete-user',
      '/change-email',
      '/email-otp/request-email-change',
      '/email-otp/change-email',
      '/forget-password/email-otp',
      '/email-otp/request-password-reset',
      '/email-otp/reset-password',
      '/phone-number/request-password-reset',
      '/phone-number/reset-password',
    ],
    advanced: {
      useSecureCookies: !development,
      cookiePrefix: cfg.cookies.prefix,
      defaultCookieAttributes: { httpOnly: true, sameSite: cfg.cookies.sameSite, secure: !development, path: '/' },
      // better-auth turns these off when NODE_ENV=test; Neptuno wants the same checks everywhere.
      disableOriginCheck: false,
      disableCSRFCheck: false,
      // The route handler puts Fastify's request.ip (which honours server.trustProxy) here and
      // drops any client-sent value, so better-auth never reads a spoofable X-Forwarded-For.
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
      database: { validateSchema: true },
    },
    databaseHooks: {
      user: { create: { after: async (user) => afterUserCreated(ctx, user) } },
      // Only noted here; sign-in.ts decides at the end of the request whether it was a sign-in.
      session: { create: { after: async (session, endpoint) => noteSessionCreated(session, endpoint) } },
      // Phone one-time codes are stored as an HMAC, never as sent (otp.ts).
      verification: { create: { before: async (v) => codes.hashOnCreate(v) } },
    },
    plugins: authPlugins(ctx, cfg, codes),
  } satisfies BetterAuthOptions;

  return betterAuth(options);
}

export type BetterAuthInstance = ReturnType<typeof createBetterAuth>;
