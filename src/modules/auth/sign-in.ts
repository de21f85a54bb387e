import type { BetterAuthPlugin } from 'better-auth';
import { createAuthMiddleware } from 'better-auth/api';
import type { ModuleContext } from '../../core/module.js';
import type { AuthConfig } from './config.js';
import { afterSignIn } from './hooks.js';

/**
 * Decides when a request signed someone in, so `user.signed_in`, the guest merge and the
 * sign-in budget reset happen once per real sign-in and never for a session that does not last.
 *
 * A database hook on session creation is too early: for a two-factor account the password step
 * creates a session that the two-factor plugin's after-hook deletes a moment later (the caller
 * gets a `two_factor` challenge instead), and 2FA enrolment, 2FA removal and password changes
 * replace the caller's session with a new one without anyone signing in. So the decision is taken
 * in an endpoint after-hook of a plugin loaded last, when every other plugin has had its say:
 *
 * - `ctx.context.newSession` is the session the response hands out (the two-factor plugin sets it
 *   back to null when it turns the sign-in into a challenge);
 * - it was created by this request (not an existing session re-sent after a refresh);
 * - the caller did not already hold a session of the same user (a rotation, not a sign-in).
 */

/** Ids of the sessions created during one better-auth request, keyed by its context object. */
const createdIn = new WeakMap<object, Set<string>>();

/** better-auth `session.create.after` database hook: remembers the session for the after-hook. */
export function noteSessionCreated(session: { id: string }, endpoint: unknown): void {
  const context = (endpoint as { context?: object } | null | undefined)?.context;
  if (!context) return;
  let ids = createdIn.get(context);
  if (!ids) createdIn.set(context, (ids = new Set()));
  ids.add(session.id);
}

export function signInPlugin(ctx: ModuleContext<AuthConfig>): BetterAuthPlugin {
  return {
    id: 'neptuno-sign-in',
    hooks: {
      after: [
        {
          matcher: () => true,
          handler: createAuthMiddleware(async (actx) => {
            const fresh = actx.context.newSession;
            if (!fresh) return;
            if (!createdIn.get(actx.context)?.has(fresh.session.id)) return;
            const prior = actx.context.session;
            if (prior?.user?.id === fresh.user.id) return;
            await afterSignIn(ctx, { userId: fresh.user.id, email: fresh.user.email }, actx);
          }),
        },
      ],
    },
  };
}
