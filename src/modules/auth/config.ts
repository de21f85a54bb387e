import { Type, type Static } from 'typebox';
import { PluginConfigProperties } from './plugins/config.js';

/**
 * `modules.auth` in neptuno.yaml. Every key has a default, so an empty section is a working
 * development setup; production only needs `trustedOrigins` (browser front-ends on other
 * origins), besides the top-level `mail.url`.
 */
const Closed = { additionalProperties: false } as const;

const Rule = (limit: number, windowMs: number) =>
  Type.Object(
    {
      limit: Type.Integer({ minimum: 1, default: limit }),
      windowMs: Type.Integer({ minimum: 1000, default: windowMs }),
    },
    { ...Closed, default: {} },
  );

/** A per-IP and a per-account (email) budget for one group of endpoints. */
const GroupRule = (ip: [number, number], account: [number, number]) =>
  Type.Object({ ip: Rule(...ip), account: Rule(...account) }, { ...Closed, default: {} });

const MINUTE = 60_000;

/**
 * Sign-in budgets. Per IP (across accounts); per (account, IP) pair, which is what stops a
 * guesser at one address without locking the owner out from another; and a slower budget per
 * account across all addresses, which slows a distributed attack. When only that last one is
 * spent, an address the account completed a sign-in from within `knownIpDays` still gets in.
 */
const SignInRule = Type.Object(
  { ip: Rule(30, 5 * MINUTE), accountIp: Rule(10, 15 * MINUTE), account: Rule(50, 60 * MINUTE) },
  { ...Closed, default: {} },
);

export const AuthConfig = Type.Object(
  {
    /**
     * Origins (scheme://host[:port]) allowed to make cookie-authenticated unsafe requests, besides
     * `server.publicUrl`. Wildcards as in better-auth: `https://*.example.com`.
     */
    trustedOrigins: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    cookies: Type.Object(
      {
        sameSite: Type.Union([Type.Literal('lax'), Type.Literal('strict'), Type.Literal('none')], { default: 'lax' }),
        /** Name prefix: `neptuno.session_token` (with `__Secure-` in front outside development). */
        prefix: Type.String({ pattern: '^[a-z][a-z0-9_-]*$', default: 'neptuno' }),
      },
      { ...Closed, default: {} },
    ),
    session: Type.Object(
      {
        /** Lifetime of a session, in seconds (default 7 days). */
        expiresIn: Type.Integer({ minimum: 60, default: 7 * 24 * 3600 }),
        /** A session used after this many seconds gets its expiry pushed forward (default 1 day). */
        updateAge: Type.Integer({ minimum: 0, default: 24 * 3600 }),
        /**
         * How long a replica may answer a session cookie from memory (0 = read every request).
         * Sign-outs and revocations flush it on every replica at once; this bounds a lost message.
         */
        cacheSeconds: Type.Number({ minimum: 0, maximum: 1, default: 1 }),
      },
      { ...Closed, default: {} },
    ),
    emailAndPassword: Type.Object(
      {
        /** Refuse sign-in until the email is verified. */
        requireEmailVerification: Type.Boolean({ default: false }),
        /** Also refuse sign-up (for invite-only apps; admins still create users). */
        disableSignUp: Type.Boolean({ default: false }),
        minPasswordLength: Type.Integer({ minimum: 10, maximum: 128, default: 10 }),
        maxPasswordLength: Type.Integer({ minimum: 16, maximum: 1024, default: 128 }),
      },
      { ...Closed, default: {} },
    ),
    rateLimit: Type.Object(
      {
        /** On in every environment; switch off only behind another limiter. */
        enabled: Type.Boolean({ default: true }),
        signIn: SignInRule,
        /** How long a completed sign-in makes its address "known" to the account (0: never). */
        knownIpDays: Type.Integer({ minimum: 0, maximum: 400, default: 30 }),
        signUp: GroupRule([30, 10 * MINUTE], [5, 60 * MINUTE]),
        passwordReset: GroupRule([10, 10 * MINUTE], [5, 60 * MINUTE]),
        verificationEmail: GroupRule([10, 10 * MINUTE], [5, 60 * MINUTE]),
        twoFactor: GroupRule([30, 5 * MINUTE], [10, 15 * MINUTE]),
        /** Asking for one-time codes (each one is an email or an SMS someone pays for). */
        otpSend: GroupRule([10, 10 * MINUTE], [5, 60 * MINUTE]),
        /** Entering one-time codes (on top of each code's own allowedAttempts). */
        otpVerify: GroupRule([30, 5 * MINUTE], [10, 15 * MINUTE]),
      },
      { ...Closed, default: {} },
    ),
    /**
     * @deprecated Use the top-level `mail:` section (docs/mail.md); removed in the next release.
     * Still read for one release: `smtpUrl` and `from` fill in what `mail.url` / `mail.from`
     * leave unset, with a warning in the log. No defaults, so "not written" is visible.
     */
    mail: Type.Optional(
      Type.Object(
        {
          smtpUrl: Type.Optional(Type.Union([Type.String({ pattern: '^smtps?://' }), Type.Null()])),
          from: Type.Optional(Type.String({ minLength: 3 })),
        },
        Closed,
      ),
    ),
    // twoFactor, social, tenants, jwt (plugins/config.ts).
    ...PluginConfigProperties,
  },
  Closed,
);

export type AuthConfig = Static<typeof AuthConfig>;
export type RateLimitGroup = Exclude<keyof AuthConfig['rateLimit'], 'enabled' | 'knownIpDays'>;
