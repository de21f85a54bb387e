import { Type } from 'typebox';

/**
 * The `modules.auth` keys of the plugin features (two-factor, social login, tenants, service
 * JWTs). Spread into AuthConfig (config.ts). Secrets are meant to come from the environment:
 * `NEPTUNO_MODULES__AUTH__SOCIAL__GOOGLE__CLIENT_SECRET`,
 * `NEPTUNO_MODULES__AUTH__SOCIAL__OIDC__<ID>__CLIENT_SECRET`.
 */
const Closed = { additionalProperties: false } as const;
const NullableString = (opts: object = {}) => Type.Union([Type.Null(), Type.String({ minLength: 1, ...opts })], { default: null });

/** An OAuth client at a provider. The provider is on when both values are set. */
const OAuthClient = Type.Object(
  {
    clientId: NullableString(),
    clientSecret: NullableString(),
  },
  { ...Closed, default: {} },
);

/** Any OpenID Connect provider, by its discovery document. */
const OidcProvider = Type.Object(
  {
    /** `https://issuer/.well-known/openid-configuration`. */
    discoveryUrl: Type.String({ pattern: '^https?://' }),
    clientId: Type.String({ minLength: 1 }),
    /** Omit for a public client (PKCE only). */
    clientSecret: Type.Optional(Type.String({ minLength: 1 })),
    /** Shown by front-ends; defaults to the provider id. */
    name: Type.Optional(Type.String({ minLength: 1 })),
    /** Default: openid email profile. */
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  },
  Closed,
);

export const PluginConfigProperties = {
  twoFactor: Type.Object(
    {
      /** TOTP (authenticator apps) with backup codes. */
      enabled: Type.Boolean({ default: true }),
      /** Issuer shown in authenticator apps; defaults to "Neptuno". */
      issuer: Type.String({ minLength: 1, maxLength: 64, default: 'Neptuno' }),
      digits: Type.Union([Type.Literal(6), Type.Literal(8)], { default: 6 }),
      /** Seconds a code lasts (RFC 6238 time step). */
      period: Type.Integer({ minimum: 15, maximum: 120, default: 30 }),
      backupCodes: Type.Integer({ minimum: 4, maximum: 20, default: 10 }),
    },
    { ...Closed, default: {} },
  ),
  social: Type.Object(
    {
      google: OAuthClient,
      facebook: OAuthClient,
      /** Generic OpenID Connect providers keyed by id (`[a-z0-9-]`); callback `/v1/auth/oauth2/callback/<id>`. */
      oidc: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }), OidcProvider, {
        default: {},
        // Unknown ids are refused (Record alone would accept any key).
        propertyNames: { pattern: '^[a-z][a-z0-9-]{0,31}$' },
      }),
    },
    { ...Closed, default: {} },
  ),
  tenants: Type.Object(
    {
      /** Multi-tenant: organizations, members, invitations; the active one is the actor's tenant. */
      enabled: Type.Boolean({ default: false }),
      /** Any signed-in user may create an organization (else only admins). */
      allowUserToCreate: Type.Boolean({ default: true }),
      membershipLimit: Type.Integer({ minimum: 1, default: 100 }),
      /** Invitation lifetime in seconds (default 48 h). */
      invitationExpiresIn: Type.Integer({ minimum: 60, default: 48 * 3600 }),
    },
    { ...Closed, default: {} },
  ),
  /** One-time codes (otp.ts): by email (sign-in, email verification) and by SMS/WhatsApp (phone verification, sign-in). */
  otp: Type.Object(
    {
      email: Type.Object(
        {
          /** `POST /v1/auth/email-otp/send-verification-otp`, `/sign-in/email-otp`, `/email-otp/verify-email`. */
          enabled: Type.Boolean({ default: false }),
          /** Signing in with a code for an unknown address creates the account (off: only existing accounts). */
          signUp: Type.Boolean({ default: false }),
        },
        { ...Closed, default: {} },
      ),
      phone: Type.Object(
        {
          /** `POST /v1/auth/phone-number/send-otp`, `/phone-number/verify`. Needs the notifications module's sms or whatsapp channel. */
          enabled: Type.Boolean({ default: false }),
          channel: Type.Union([Type.Literal('sms'), Type.Literal('whatsapp')], { default: 'sms' }),
        },
        { ...Closed, default: {} },
      ),
      length: Type.Integer({ minimum: 6, maximum: 10, default: 6 }),
      /** Seconds a code lasts. */
      expiresIn: Type.Integer({ minimum: 60, maximum: 3600, default: 300 }),
      /** Wrong guesses allowed per code; then it is gone and a new one must be asked for. */
      allowedAttempts: Type.Integer({ minimum: 1, maximum: 10, default: 3 }),
    },
    { ...Closed, default: {} },
  ),
  jwt: Type.Object(
    {
      /** Short-lived JWTs for other services (`GET /v1/auth/token`) and JWKS at `/.well-known/jwks.json`. */
      enabled: Type.Boolean({ default: true }),
      /** `iss`; defaults to server.publicUrl. */
      issuer: NullableString(),
      /** `aud`; defaults to server.publicUrl. Neptuno accepts its JWTs as Bearer only for the first one. */
      audience: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
      /** Lifetime in seconds (default 15 minutes). */
      expiresIn: Type.Integer({ minimum: 30, maximum: 24 * 3600, default: 900 }),
      algorithm: Type.Union([Type.Literal('EdDSA'), Type.Literal('ES256')], { default: 'EdDSA' }),
      /** A new signing key every this many seconds (default 30 days)… */
      rotationInterval: Type.Integer({ minimum: 3600, default: 30 * 24 * 3600 }),
      /** …while the old one stays in the JWKS this long, so tokens it signed still verify. */
      gracePeriod: Type.Integer({ minimum: 60, default: 7 * 24 * 3600 }),
    },
    { ...Closed, default: {} },
  ),
};
