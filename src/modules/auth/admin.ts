import type { KernelContext } from '../../core/module.js';

/**
 * `neptuno create-admin`: the first administrator. There is no default account or password;
 * the password is checked against the same policy as sign-up. Needs an app context with the
 * auth module enabled (ctx.services.auth).
 */
export async function createAdmin(
  ctx: Pick<KernelContext, 'services'>,
  input: { email: string; password: string; name: string },
): Promise<{ id: string }> {
  const auth = ctx.services.auth;
  if (!auth) throw new Error('The auth module is not enabled (modules.auth.enabled).');
  return auth.createUser({ ...input, role: 'admin', emailVerified: true });
}
