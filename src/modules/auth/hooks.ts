import type { ModuleContext, Services } from '../../core/module.js';
import type { AuthConfig } from './config.js';

/**
 * better-auth database hooks. better-auth runs `after` hooks once the surrounding transaction has
 * committed, so handlers of our domain events see the rows and may use ctx.db freely (on SQLite a
 * query inside the open transaction would wait for the one connection forever).
 */

/** The few members of better-auth's endpoint context these hooks use. */
interface EndpointLike {
  getHeader?: (key: string) => string | null;
  request?: Request;
  setCookie?: (key: string, value: string, options?: Record<string, unknown>) => string;
}

export async function afterUserCreated(ctx: ModuleContext<AuthConfig>, user: { id: string; email: string }): Promise<void> {
  try {
    await ctx.events.emit('user.registered', { userId: user.id, email: user.email });
  } catch (err) {
    // The account exists either way; a failing subscriber must not turn sign-up into an error.
    ctx.log.error({ err, userId: user.id }, 'user.registered handler failed');
  }
}

/**
 * Every new session (password, social, 2FA, verification link…): fire user.signed_in and, when
 * the caller played as a guest, merge that guest into the user and clear its cookie.
 */
export async function afterSessionCreated(
  ctx: ModuleContext<AuthConfig>,
  session: { userId: string },
  endpoint: unknown,
): Promise<void> {
  const ep = (endpoint ?? null) as EndpointLike | null;
  try {
    await ctx.events.emit('user.signed_in', { userId: session.userId });
  } catch (err) {
    ctx.log.error({ err, userId: session.userId }, 'user.signed_in handler failed');
  }
  const guests = (ctx.services as Partial<Services>).guests;
  if (!guests || !ep) return;
  const cookieHeader = ep.request?.headers.get('cookie') ?? ep.getHeader?.('cookie') ?? undefined;
  const guestId = guests.guestIdFromCookieHeader(cookieHeader);
  if (!guestId) return;
  try {
    await guests.merge(guestId, session.userId);
  } catch (err) {
    // Signing in matters more than the merge; guests can replay a merge later.
    ctx.log.error({ err, guestId, userId: session.userId }, 'guest merge failed');
    return;
  }
  const name = guests.cookieName;
  ep.setCookie?.(name, '', {
    path: '/',
    maxAge: 0,
    httpOnly: true,
    sameSite: 'lax',
    secure: name.startsWith('__Host-') || name.startsWith('__Secure-'),
  });
}
