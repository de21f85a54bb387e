import type { ModuleContext } from '../../core/module.js';
import { createMailer, type Mailer } from '../../core/drivers/mail/index.js';
import type { AuthConfig } from './config.js';
import { createBetterAuth, type BetterAuthInstance } from './better-auth.js';
import { AuthService } from './service.js';

/** One app's auth objects: the better-auth instance, its mailer and the service. */
export interface AuthRuntime {
  auth: BetterAuthInstance;
  mailer: Mailer;
  service: AuthService;
  /** The session cookie's full name (with `__Secure-` outside development). */
  sessionCookieName: string;
}

// A module manifest is shared by every app in a process (tests run several); state is per app,
// keyed by the app's database handle.
const runtimes = new WeakMap<object, AuthRuntime>();

export function authRuntime(ctx: ModuleContext<AuthConfig>): AuthRuntime {
  let runtime = runtimes.get(ctx.db);
  if (!runtime) {
    const mailer = createMailer({
      smtpUrl: ctx.config.mail.smtpUrl,
      from: ctx.config.mail.from,
      database: ctx.database,
      log: ctx.log,
    });
    const auth = createBetterAuth(ctx, { mailer });
    const development = ctx.appConfig.env === 'development';
    runtime = {
      auth,
      mailer,
      service: new AuthService(ctx),
      // better-auth's naming: `<prefix>.session_token`, `__Secure-` prefixed when cookies are secure.
      sessionCookieName: `${development ? '' : '__Secure-'}${ctx.config.cookies.prefix}.session_token`,
    };
    runtimes.set(ctx.db, runtime);
  }
  return runtime;
}

export async function closeAuthRuntime(ctx: ModuleContext<AuthConfig>): Promise<void> {
  const runtime = runtimes.get(ctx.db);
  if (!runtime) return;
  runtimes.delete(ctx.db);
  await runtime.mailer.close();
}
