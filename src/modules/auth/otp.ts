import { createHmac, hkdfSync } from 'node:crypto';
import type { BetterAuthPlugin } from 'better-auth';
import { APIError } from 'better-auth/api';
import { emailOTP } from 'better-auth/plugins/email-otp';
import { phoneNumber } from 'better-auth/plugins/phone-number';
import { safeEqual } from '../../core/crypto.js';
import type { ModuleContext } from '../../core/module.js';
import type { AuthConfig } from './config.js';
import { PLUGIN_SCHEMAS } from './plugins/migrations.js';

/** The phone-number plugin's verification identifiers (better-auth plugins/phone-number/routes). */
const PHONE_PREFIX = 'phone-number-otp-';
const E164 = /^\+[1-9][0-9]{6,14}$/;
/** Marks a stored phone code as hashed, so the hook never hashes a value twice. */
const HASHED = 'h1.';

type Endpoint = { request?: Request; headers?: Headers; context: { internalAdapter: InternalAdapter } } | undefined;
interface VerificationRow {
  value: string;
  expiresAt: Date;
}
interface InternalAdapter {
  findVerificationValue(identifier: string): Promise<VerificationRow | null>;
  consumeVerificationValue(identifier: string): Promise<VerificationRow | null>;
  createVerificationValue(data: { value: string; identifier: string; expiresAt: Date }): Promise<unknown>;
  deleteVerificationByIdentifier(identifier: string): Promise<void>;
}

/**
 * One-time codes by email (better-auth `emailOTP`: sign-in and email verification) and by
 * SMS/WhatsApp (`phoneNumber`: verify a number, then sign in with it). Codes travel as critical
 * `auth_otp` notifications through the notifications module's channels (the code sealed, never
 * readable in its tables), are stored hashed (email: the plugin's `storeOTP: 'hashed'`; phone:
 * an HMAC under a key derived from the app secret, written by a verification hook and checked by
 * `verifyOTP` below), expire in `expiresIn` seconds and allow `allowedAttempts` guesses. The
 * kernel rate limits (`rateLimit.otpSend`, `rateLimit.otpVerify`) hold across replicas.
 */
export class OneTimeCodes {
  private readonly key: Buffer;

  constructor(private readonly ctx: ModuleContext<AuthConfig>) {
    this.key = Buffer.from(hkdfSync('sha256', ctx.secret, 'neptuno', 'auth/otp/v1', 32));
  }

  private get cfg() {
    return this.ctx.config.otp;
  }

  hash(identifier: string, code: string): string {
    return HASHED + createHmac('sha256', this.key).update(`${identifier}\n${code}`).digest('base64url');
  }

  /** databaseHooks.verification.create.before: a phone code is stored as its HMAC, never as typed. */
  hashOnCreate = async (v: { identifier: string; value: string }) => {
    if (!v.identifier.startsWith(PHONE_PREFIX) || v.value.startsWith(HASHED)) return;
    const [code, attempts] = v.value.split(':');
    return { data: { ...v, value: `${this.hash(v.identifier, code)}:${attempts ?? '0'}` } };
  };

  /** Sends a code as a critical `auth_otp` notification (sealed), in the request's language. */
  private async deliver(to: { email: string } | { phone: string }, channel: string, code: string, purpose: string, endpoint: Endpoint): Promise<void> {
    const header = endpoint?.request?.headers.get('accept-language') ?? endpoint?.headers?.get('accept-language') ?? undefined;
    const locale = this.ctx.i18n.negotiate(header);
    const minutes = Math.max(1, Math.round(this.cfg.expiresIn / 60));
    const notifications = this.ctx.services.notifications as typeof this.ctx.services.notifications | undefined;
    if (!notifications) {
      if ('email' in to) {
        await this.ctx.mail.send({ to: to.email, subject: `${code}`, text: locale === 'es' ? `Tu código es ${code}. Vence en ${minutes} minutos.` : `Your code is ${code}. It expires in ${minutes} minutes.` });
        return;
      }
      this.ctx.log.error('phone codes need the notifications module with Twilio configured');
      throw new APIError('SERVICE_UNAVAILABLE', { message: 'Codes by SMS are not available', code: 'otp_channel_unavailable' });
    }
    try {
      await notifications.send({ to, type: 'auth_otp', channels: [channel], critical: true, data: { minutes, purpose }, secret: { code }, locale });
    } catch (err) {
      this.ctx.log.error({ err, channel }, 'one-time code could not be queued');
      throw new APIError('SERVICE_UNAVAILABLE', { message: 'Codes are not available on this channel', code: 'otp_channel_unavailable' });
    }
  }

  /**
   * The phone-number plugin's `verifyOTP`, against the hashed value. Same race gate as the
   * plugin's own check: the row is consumed first, so two concurrent guesses cannot both spend
   * one attempt; a wrong code puts it back with one attempt more, until `allowedAttempts`.
   */
  private verifyPhone = async (data: { phoneNumber: string; code: string }, endpoint?: Endpoint): Promise<boolean> => {
    const adapter = endpoint!.context.internalAdapter;
    const identifier = PHONE_PREFIX + data.phoneNumber;
    const allowed = this.cfg.allowedAttempts;
    const existing = await adapter.findVerificationValue(identifier);
    if (!existing) throw new APIError('BAD_REQUEST', { message: 'OTP not found', code: 'OTP_NOT_FOUND' });
    if (existing.expiresAt < new Date()) {
      await adapter.deleteVerificationByIdentifier(identifier);
      throw new APIError('BAD_REQUEST', { message: 'OTP expired', code: 'OTP_EXPIRED' });
    }
    const consumed = await adapter.consumeVerificationValue(identifier);
    if (!consumed) throw new APIError('BAD_REQUEST', { message: 'Invalid OTP', code: 'INVALID_OTP' });
    const [stored, raw] = consumed.value.split(':');
    const attempts = Number(raw) || 0;
    if (attempts >= allowed) throw new APIError('FORBIDDEN', { message: 'Too many attempts', code: 'TOO_MANY_ATTEMPTS' });
    if (!safeEqual(stored, this.hash(identifier, String(data.code)))) {
      // Put it back with the attempt counted; past the budget it stays gone.
      if (attempts + 1 < allowed) await adapter.createVerificationValue({ value: `${stored}:${attempts + 1}`, identifier, expiresAt: consumed.expiresAt });
      throw new APIError(attempts + 1 < allowed ? 'BAD_REQUEST' : 'FORBIDDEN', attempts + 1 < allowed ? { message: 'Invalid OTP', code: 'INVALID_OTP' } : { message: 'Too many attempts', code: 'TOO_MANY_ATTEMPTS' });
    }
    return true;
  };

  /** The better-auth plugins, as switched on in `modules.auth.otp`. */
  plugins(): BetterAuthPlugin[] {
    const cfg = this.cfg;
    const out: BetterAuthPlugin[] = [];
    if (cfg.email.enabled) {
      out.push(
        emailOTP({
          otpLength: cfg.length,
          expiresIn: cfg.expiresIn,
          allowedAttempts: cfg.allowedAttempts,
          storeOTP: 'hashed',
          disableSignUp: this.ctx.config.emailAndPassword.disableSignUp || !cfg.email.signUp,
          sendVerificationOTP: ({ email, otp, type }, endpoint) => this.deliver({ email }, 'email', otp, type, endpoint as Endpoint),
        }) as unknown as BetterAuthPlugin,
      );
    }
    if (cfg.phone.enabled) {
      out.push(
        phoneNumber({
          otpLength: cfg.length,
          expiresIn: cfg.expiresIn,
          allowedAttempts: cfg.allowedAttempts,
          phoneNumberValidator: (n) => E164.test(n),
          sendOTP: ({ phoneNumber: phone, code }, endpoint) => this.deliver({ phone }, cfg.phone.channel, code, 'phone', endpoint as Endpoint),
          verifyOTP: this.verifyPhone as never,
          schema: PLUGIN_SCHEMAS.phoneNumber,
        }) as unknown as BetterAuthPlugin,
      );
    }
    return out;
  }
}
