import type { Access } from '../core/http/access.js';
import { defineModule } from '../core/module.js';

/**
 * Test-only actors: a request with `x-test-user: <id>` (and optionally `x-test-tenant: <id>`) is a
 * signed-in user with the role `user`. Suites that need hundreds of users use it instead of
 * sign-ups (argon2 hashing would dominate their time); real sign-in is covered by the auth suites.
 * Never part of an application.
 */
export function addHeaderUsers(access: Access, order = 5): void {
  access.addResolver((req) => {
    const id = req.headers['x-test-user'];
    if (typeof id !== 'string') return null;
    const tenant = req.headers['x-test-tenant'];
    return { type: 'user', id, role: 'user', tenantId: typeof tenant === 'string' ? tenant : null, via: 'test' };
  }, order);
}

/** The module form of addHeaderUsers, to list beside the modules under test. */
export const headerUsers = defineModule({ name: 'test-users', start: (ctx) => addHeaderUsers(ctx.access) });

/** Headers that make a request come from test user `id` (in `tenant`, when given). */
export const headerUser = (id: string, tenant?: string): Record<string, string> => ({
  'x-test-user': id,
  ...(tenant ? { 'x-test-tenant': tenant } : {}),
});
