import type { ModuleContext, Services } from '../../core/module.js';
import type { AuthConfig } from './config.js';
import { rememberSignIn } from './rate-limit.js';
import { CLIENT_IP_HEADER } from './origins.js';

/**
 * What happens around better-auth's writes. `afterUserCreated` is a database hook, which
 * better-auth runs once the surrounding transaction has committed, so handlers of our domain
 * events see the rows and may use ctx.db freely (on SQLite a query inside the open transaction
 * would wait for the one connection forever). `afterSignIn` runs from an endpoint after-hook
 * (sign-in.ts), after the endpoint has finished.
 */

/** The few members of better-auth's endpoint context afterSignIn uses. */
interface EndpointLike {
  headers?: Headers;
  request?: Request;
  setCookie: (key: string, value: string, options?: Record<string, never> | object) => unknown;
}

export async function afterUserCreated(ctx: ModuleContext<AuthConfig>, user: { id: string; email: string }): Promise<void> {
  // better-auth owns (and has committed) the transaction that created the user, so the event is
  // written by a transaction of its own right after; from there the kernel delivers it, retrying
  // failing handlers, and sign-up never fails because of a subscriber.
  try {
    await ctx.tx(async (trx) => void trx.emit('user.registered', { userId: user.id, email: user.email }), { awaitDelivery: true });
  } catch (err) {
    ctx.log.error({ err, userId: user.id }, 'could not record user.registered');
  }
}

/**
 * A real sign-in finished (password without 2FA, second factor, social callback…; decided in
 * sign-in.ts): fire user.signed_in and, when the caller played as a guest, merge that guest into
 * the user and clear its cookie. Also clears the (account, IP) sign-in budget and remembers the IP.
 */
export async function afterSignIn(ctx: ModuleContext<AuthConfig>, user: { userId: string; email: string }, endpoint: EndpointLike): Promise<void> {
  const { userId } = user;
  // The owner got in, so their own earlier typos from this address no longer count, and the
  // address becomes one they are known to use (rate-limit.ts). Only here, once the sign-in is
  // complete: a right password with the second factor pending is not enough, or it would hand a
  // password-guesser a fresh budget for every challenge.
  try {
    const ip = endpoint.request?.headers.get(CLIENT_IP_HEADER) ?? endpoint.headers?.get(CLIENT_IP_HEADER) ?? null;
    await rememberSignIn(ctx, user.email, ip);
  } catch (err) {
    ctx.log.error({ err, userId }, 'sign-in budget reset failed');
  }
  try {
    await ctx.tx(
      async (trx) => {
        trx.emit('user.signed_in', { userId });
        // The audit entry commits with the event (docs/audit.md).
        await ctx.audit.record({ action: 'auth.signed_in', actor: { type: 'user', id: userId }, target: { type: 'user', id: userId } }, trx);
      },
      { awaitDelivery: true },
    );
  } catch (err) {
    // Signing in does not depend on its consequences being recorded.
    ctx.log.error({ err, userId }, 'could not record user.signed_in');
  }
  const guests = (ctx.services as Partial<Services>).guests;
  if (!guests) return;
  const cookieHeader = endpoint.request?.headers.get('cookie') ?? endpoint.headers?.get('cookie') ?? undefined;
  const guestId = guests.guestIdFromCookieHeader(cookieHeader);
  if (!guestId) return;
  try {
    await guests.merge(guestId, userId);
  } catch (err) {
    // Signing in matters more than the merge (the guest stays unmerged; a later sign-in merges it).
    ctx.log.error({ err, guestId, userId }, 'guest merge failed');
    return;
  }
  const name = guests.cookieName;
  endpoint.setCookie(name, '', {
    path: '/',
    maxAge: 0,
    httpOnly: true,
    sameSite: 'lax',
    secure: name.startsWith('__Host-') || name.startsWith('__Secure-'),
  });
}
