import type { ModuleContext } from '../../core/module.js';
import { KernelMail } from '../../core/mail/service.js';
import type { AuthConfig } from './config.js';
import { createBetterAuth, type BetterAuthInstance } from './better-auth.js';
import { AuthService } from './service.js';
import { SessionCache } from './session-cache.js';

/** One app's auth objects: the better-auth instance and the service. */
export interface AuthRuntime {
  auth: BetterAuthInstance;
  service: AuthService;
  /** The session cookie's full name (with `__Secure-` outside development). */
  sessionCookieName: string;
  /** Actors of verified session cookies, per process, for at most `session.cacheSeconds`. */
  sessions: SessionCache;
}

// A module manifest is shared by every app in a process (tests run several); state is per app,
// keyed by the app's database handle.
const runtimes = new WeakMap<object, AuthRuntime>();

export function authRuntime(ctx: ModuleContext<AuthConfig>): AuthRuntime {
  let runtime = runtimes.get(ctx.db);
  if (!runtime) {
    adoptLegacyMailSettings(ctx);
    const auth = createBetterAuth(ctx);
    const development = ctx.appConfig.env === 'development';
    const sessions = new SessionCache({
      ttlMs: ctx.config.session.cacheSeconds * 1000,
      onError: (err) => ctx.log.error({ err }, 'could not publish a session cache flush; other replicas forget within session.cacheSeconds'),
    });
    runtime = {
      auth,
      service: new AuthService(ctx, () => sessions.flush()),
      sessions,
      // better-auth's naming: `<prefix>.session_token`, `__Secure-` prefixed when cookies are secure.
      sessionCookieName: `${development ? '' : '__Secure-'}${ctx.config.cookies.prefix}.session_token`,
    };
    runtimes.set(ctx.db, runtime);
  }
  return runtime;
}

/**
 * `modules.auth.mail` (deprecated, removed in the next release) still works for this one: its
 * values fill in what the top-level `mail:` section leaves unset, for every module's email.
 */
function adoptLegacyMailSettings(ctx: ModuleContext<AuthConfig>): void {
  const legacy = ctx.config.mail;
  if (!legacy) return;
  ctx.log.warn(
    'modules.auth.mail is deprecated and will be removed in the next release: move smtpUrl to mail.url (or MAIL_URL) and from to mail.from (docs/mail.md)',
  );
  if (ctx.mail instanceof KernelMail) ctx.mail.adoptLegacySettings(legacy);
}

export async function closeAuthRuntime(ctx: ModuleContext<AuthConfig>): Promise<void> {
  runtimes.delete(ctx.db);
}
