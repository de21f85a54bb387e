import { Type } from 'typebox';
import type { I18n, Locale } from '../../core/i18n/index.js';
import { badRequest } from '../../core/http/problem.js';
import type { AuthConfig } from './config.js';
import { authMessages } from './messages.js';
import { checkPasswordPolicy } from './password.js';

/**
 * Request schemas of the account endpoints we front (Fastify validates them: 400
 * validation_failed with field errors) and the password policy, which needs code.
 * No control characters anywhere: they have no business in names, emails or passwords and
 * are a classic way to smuggle line breaks into emails and logs.
 */
export const NO_CONTROL = '^[^\\p{Cc}]*$';

const Email = Type.String({ format: 'email', maxLength: 254, description: 'Email address' });
const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '^(?=.*\\S)[^\\p{Cc}]*$', description: 'Display name' });
/** Hard upper bound only; the policy (length, common list) is checked on new passwords. */
const Password = Type.String({ minLength: 1, maxLength: 1024, pattern: NO_CONTROL });
const CallbackURL = Type.String({ maxLength: 2048, pattern: NO_CONTROL, description: 'Relative path or URL on a trusted origin' });
const Closed = { additionalProperties: false } as const;

export const SignUpBody = Type.Object(
  {
    email: Email,
    password: Password,
    name: Name,
    image: Type.Optional(Type.Union([Type.String({ format: 'uri', maxLength: 2048 }), Type.Null()])),
    callbackURL: Type.Optional(CallbackURL),
  },
  Closed,
);

export const SignInBody = Type.Object(
  {
    email: Email,
    password: Password,
    rememberMe: Type.Optional(Type.Boolean()),
    callbackURL: Type.Optional(CallbackURL),
  },
  Closed,
);

export const EmailBody = Type.Object({ email: Email, redirectTo: Type.Optional(CallbackURL), callbackURL: Type.Optional(CallbackURL) }, Closed);

export const ResetPasswordBody = Type.Object({ newPassword: Password, token: Type.String({ minLength: 1, maxLength: 512, pattern: NO_CONTROL }) }, Closed);

export const ChangePasswordBody = Type.Object(
  {
    currentPassword: Password,
    newPassword: Password,
    /** Ignored: changing the password always ends the other sessions. */
    revokeOtherSessions: Type.Optional(Type.Boolean()),
  },
  Closed,
);

export const RevokeSessionBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 512, pattern: NO_CONTROL }) }, Closed);

/** Throws 400 validation_failed with a field error at `pointer` when `password` breaks the policy. */
export function assertPasswordPolicy(
  password: string,
  pointer: string,
  cfg: AuthConfig,
  i18n?: { i18n: I18n; locale: Locale },
): void {
  const opts = { minLength: cfg.emailAndPassword.minPasswordLength, maxLength: cfg.emailAndPassword.maxPasswordLength };
  const code = checkPasswordPolicy(password, opts);
  if (!code) return;
  const params = { min: opts.minLength, max: opts.maxLength };
  const locale = i18n?.locale ?? 'en';
  const detail =
    i18n?.i18n.t(locale, code, params) ?? authMessages[locale][code].replace(/\{(\w+)\}/g, (_, k: 'min' | 'max') => String(params[k]));
  throw badRequest('validation_failed', { errors: [{ pointer, code, detail }] });
}

/** Control characters or blank/oversized values in a name; used by the service for direct calls. */
export function isValidName(name: string): boolean {
  return name.length >= 1 && name.length <= 100 && /\S/.test(name) && !/\p{Cc}/u.test(name);
}

export function isValidEmail(email: string): boolean {
  // Same shape as ajv-formats' "email" (fast mode), plus the length limit.
  return email.length <= 254 && !/\p{Cc}/u.test(email) && /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i.test(email);
}
